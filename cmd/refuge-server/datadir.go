package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"refuge/internal/cli"
	"refuge/server/store"
)

// The token and publish commands change the database of the data
// directory the server runs with; only the server makes one (store.Open,
// at its first start). On a --data mistyped they would otherwise make a
// new, empty data directory and database there, and put the token or the
// manifest where the running server never looks: a partner refused for
// ever with 401, defenders given the old manifest, and no word of it. So
// they refuse a --data that holds no refuge.db, and change nothing.

// checkDataDir returns nil when data is a data directory of refuge-server
// (a folder, or a link to one, that holds the file refuge.db), else why it
// is not, with what to do. rootPub is the --root-pub the command was given
// ("" if none), to fill in the command that starts the server. It only
// looks: it makes, opens and changes nothing.
func checkDataDir(data, rootPub string) *cli.Error {
	checkPath := "check the path: give the --data DIR the server runs with (such as /var/lib/refuge)"
	key := "KEY"
	if rootPub != "" {
		key = shellWord(rootPub)
	}
	shown := data
	if !printable(data) {
		shown = strconv.QuoteToASCII(data)
	}
	startFirst := "if the path is right and the server has never run: it makes its data directory, and refuge.db in it, " +
		"when it first starts; start it once with refuge-server --data " + pathWord(data) + " --root-pub " + key +
		" (docs/operating.md, section 3), then run this command again"
	fi, err := os.Stat(data)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return cannotRead(shown)
	case errors.Is(err, fs.ErrNotExist):
		if li, lerr := os.Lstat(data); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			return cli.Errorf(exitError, "%s is a symbolic link to something that does not exist; nothing was changed", shown).
				Hint("%s", checkPath)
		}
		e := cli.Errorf(exitError, "%s does not exist; nothing was changed", shown)
		if near := nearDataDir(data); near != "" {
			e.Hint("did you mean --data %s? it is a data directory of refuge-server", pathWord(near))
		}
		return e.Hint("%s", checkPath).Hint("%s", startFirst)
	case err != nil:
		// ENOTDIR (a file where a folder of the path should be), a loop
		// of links, a name too long: the path cannot be a data directory.
		return cli.Errorf(exitError, "%s is not a data directory of refuge-server: %v; nothing was changed", shown, cli.Reason(err)).
			Hint("%s", checkPath)
	case !fi.IsDir():
		return cli.Errorf(exitError, "%s is not a data directory of refuge-server: it is a file, not a folder; nothing was changed", shown).
			Hint("%s", checkPath)
	}
	db := filepath.Join(data, store.DBName)
	fi, err = os.Stat(db)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return cannotRead(shown)
	case errors.Is(err, fs.ErrNotExist):
		return cli.Errorf(exitError, "%s is not a data directory of refuge-server: it holds no %s; nothing was changed", shown, store.DBName).
			Hint("%s", checkPath).Hint("%s", startFirst)
	case err != nil:
		return cli.Errorf(exitError, "cannot read the %s of %s: %v; nothing was changed", store.DBName, shown, cli.Reason(err)).Hint("%s", checkPath)
	case !fi.Mode().IsRegular():
		return cli.Errorf(exitError, "%s is not a data directory of refuge-server: its %s is not a file; nothing was changed", shown, store.DBName).
			Hint("%s", checkPath)
	}
	return nil
}

// maxNear bounds how many entries of the parent folder nearDataDir
// looks at: a --data in a folder of thousands is left without a guess.
const maxNear = 256

// nearDataDir returns the data directory beside data, which does not
// exist, whose name is nearest to its own ("/var/lib/refgue":
// "/var/lib/refuge"), or "" if none comes near.
func nearDataDir(data string) string {
	clean := filepath.Clean(data)
	parent, base := filepath.Dir(clean), filepath.Base(clean)
	f, err := os.Open(parent)
	if err != nil {
		return ""
	}
	defer f.Close()
	ents, err := f.ReadDir(maxNear)
	if err != nil && len(ents) == 0 {
		return ""
	}
	var names []string
	for _, e := range ents {
		if fi, err := os.Stat(filepath.Join(parent, e.Name(), store.DBName)); err == nil && fi.Mode().IsRegular() {
			names = append(names, e.Name())
		}
	}
	near := cli.Nearest(base, names)
	if near == "" {
		return ""
	}
	return filepath.Join(parent, near)
}

// printable tells whether s has only printable characters (spaces too).
// A path with a control character in it is shown quoted in ASCII, as
// token names are: raw, it would break the message's lines, or command
// the terminal.
func printable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// pathWord is path as one word of a shell command (shellWord), or quoted
// in ASCII when it is not printable.
func pathWord(path string) string {
	if !printable(path) {
		return strconv.QuoteToASCII(path)
	}
	return shellWord(path)
}

// cannotRead says that this user cannot look into the folder shown, the
// server's data directory (0700) as often as not.
func cannotRead(shown string) *cli.Error {
	return cli.Errorf(exitError, "%s cannot be read: permission denied; nothing was changed", shown).
		Hint("run the command as the server's user, which owns the data directory: sudo -u refuge refuge-server …")
}
