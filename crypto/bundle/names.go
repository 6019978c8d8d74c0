package bundle

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Entry names at the top of a bundle, besides the sender's files under files/.
const (
	filesPrefix       = "files/"
	noteName          = "note.txt"
	referralName      = "referral.json"
	manifestName      = "manifest.json"
	signatureName     = "manifest.json.minisig"
	maxNameBytes      = 1024 // whole entry name, "files/" included
	maxComponentBytes = 255
	// maxDepth bounds the folders a name below files/ is nested in, and
	// maxFolders the folders of a bundle ("files" included). Without
	// them, 10 000 names of 1024 bytes ("files/1/a/a/a/…"), in a bundle
	// of a few megabytes, made five million folders on the officer's
	// disk, and 40 such names kept open busy for over a minute making
	// each of their folders durable.
	maxDepth   = 64
	maxFolders = DefaultMaxEntries
)

// errTooManyFolders is the error of nameSet.add past maxFolders.
var errTooManyFolders = fmt.Errorf("more than %d folders", maxFolders)

// checkFileName checks the path of a sender's file relative to files/ (for
// example "reports/2026/a.pdf"). The same rules apply when sealing and when
// opening, so whatever Seal writes Open accepts, and every accepted name is
// safe to create on Linux, macOS and Windows. The error never repeats the
// name, since it may come from a bundle.
func checkFileName(rel string) error {
	switch {
	case rel == "":
		return errors.New("empty name")
	case len(filesPrefix)+len(rel) > maxNameBytes:
		return errors.New("name is too long")
	case !utf8.ValidString(rel):
		return errors.New("name is not valid UTF-8")
	case strings.HasPrefix(rel, "/"):
		return errors.New("absolute path")
	case strings.Count(rel, "/") > maxDepth:
		return fmt.Errorf("name is nested more than %d folders deep", maxDepth)
	}
	for _, c := range strings.Split(rel, "/") {
		if err := checkComponent(c); err != nil {
			return err
		}
	}
	return nil
}

func checkComponent(c string) error {
	switch {
	case c == "":
		return errors.New("empty path component")
	case c == "." || c == "..":
		return errors.New("path component is . or .. (a path trick)")
	case len(c) > maxComponentBytes:
		return errors.New("path component is too long")
	case strings.HasSuffix(c, ".") || strings.HasSuffix(c, " "):
		return errors.New("path component ends with a dot or space, which is unsafe on Windows")
	case isWindowsDevice(c):
		return errors.New("path component is a Windows device name")
	}
	for _, r := range c {
		switch {
		case r == 0:
			return errors.New("name contains NUL")
		case r == '\\':
			return errors.New("name contains a backslash")
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return errors.New("name contains a control character")
		case strings.ContainsRune(`<>:"|?*`, r):
			return errors.New(`name contains one of <>:"|?* (unsafe on Windows)`)
		case r == unicode.ReplacementChar:
			return errors.New("name contains U+FFFD")
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return errors.New("name contains a bidirectional override (it could disguise the name)")
		}
	}
	return nil
}

func isWindowsDevice(c string) bool {
	base, _, _ := strings.Cut(c, ".")
	switch strings.ToUpper(strings.TrimRight(base, " ")) {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
		// Windows takes superscript ¹, ² and ³ for digits here too.
		"COM\u00b9", "COM\u00b2", "COM\u00b3", "LPT\u00b9", "LPT\u00b2", "LPT\u00b3":
		return true
	}
	return false
}

// checkEntryName checks a full entry name as stored in the tar stream and in
// manifest.json entries: "files/<rel>", note.txt or referral.json.
func checkEntryName(name string) error {
	if name == noteName || name == referralName {
		return nil
	}
	rel, ok := strings.CutPrefix(name, filesPrefix)
	if !ok {
		return errors.New("name is outside files/")
	}
	return checkFileName(rel)
}

// foldName maps a name to a key that is equal for names that a
// case-insensitive or normalization-insensitive file system (macOS's APFS
// and HFS+ are both) would treat as the same: the canonical decomposition
// (NFD), so "é" as one code point and as "e" with a combining accent are
// one name, without the code points HFS+ ignores (hfsIgnorable), then
// simple Unicode case folding (each rune becomes the smallest rune of its
// folding orbit).
func foldName(s string) string {
	s = norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if hfsIgnorable(r) {
			continue
		}
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}

// hfsIgnorable reports whether HFS+ (macOS's file system before APFS,
// still the "Mac OS Extended" of many external disks) ignores r when it
// compares names: "ab" and "a" U+200C "b" are one file there. U+200C, the
// zero-width non-joiner, is part of ordinary Persian words, so such names
// are not refused, only compared without these code points.
func hfsIgnorable(r rune) bool {
	return r >= 0x200c && r <= 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x206a && r <= 0x206f || r == 0xfeff
}

// nameSet detects duplicate names, including names equal up to case, and
// names that are both a file and a directory ("a" and "a/b"), and counts
// the folders. It is given whole entry names ("files/a/b"), when sealing
// as when opening, so that both count the same folders.
type nameSet struct {
	kinds   map[string]bool // folded name → is a directory
	folders int
}

func newNameSet() *nameSet { return &nameSet{kinds: make(map[string]bool)} }

// add records a file name; it fails if the name (up to case) is already a
// file or a directory, if one of its parent directories is already a file,
// or if it makes more than maxFolders folders (errTooManyFolders).
func (s *nameSet) add(name string) error {
	f := foldName(name)
	for i := 0; i < len(f); i++ {
		if f[i] != '/' {
			continue
		}
		dir := f[:i]
		isDir, seen := s.kinds[dir]
		switch {
		case seen && !isDir:
			return errors.New("a file name is also used as a folder name")
		case !seen && s.folders >= maxFolders:
			return errTooManyFolders
		case !seen:
			s.folders++
			s.kinds[dir] = true
		}
	}
	if isDir, seen := s.kinds[f]; seen {
		if isDir {
			return errors.New("a file name is also used as a folder name")
		}
		return errors.New("duplicate name (names are compared ignoring case and Unicode normalization)")
	}
	s.kinds[f] = false
	return nil
}
