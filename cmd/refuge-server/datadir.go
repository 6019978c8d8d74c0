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
	switch _, err := os.Lstat(filepath.Join(data, store.DBName)); {
	case errors.Is(err, fs.ErrPermission):
		return cannotRead(shown)
	case errors.Is(err, fs.ErrNotExist):
		return cli.Errorf(exitError, "%s is not a data directory of refuge-server: it holds no %s; nothing was changed", shown, store.DBName).
			Hint("%s", checkPath).Hint("%s", startFirst)
	}
	if err := store.CheckDB(data); err != nil {
		if e := dbRefused(data, err, true); e != nil {
			return e
		}
		return cli.Errorf(exitError, "cannot read the %s of %s: %v; nothing was changed", store.DBName, shown, cli.Reason(err)).Hint("%s", checkPath)
	}
	return nil
}

// dbRefused returns the error to show for err, an error of store.CheckDB
// or store.Open about the database file of data (or its absence beside
// ciphertext), or nil if err is none of those. admin tells whether a
// token or publish command asks, rather than the server's start. It says
// what is wrong with the file, never what it holds: refuge-server never
// overwrites or repairs it, since records may still be read from it.
func dbRefused(data string, err error, admin bool) *cli.Error {
	db := pathWord(filepath.Join(data, store.DBName))
	dir := pathWord(data)
	putBack := "refuge-server never overwrites or repairs " + store.DBName + ": if the right file is elsewhere " +
		"(a copy that did not finish, another file copied in its place), put it back whole, with the server stopped"
	afresh := "if it is lost: leave this folder as it is, and start the server with a new --data folder; " +
		"submissions not yet pulled are lost (docs/operating.md, section 8)"
	var cut *store.DBCutError
	switch {
	case errors.Is(err, store.ErrDBMissing):
		return cli.Errorf(exitError, "%s holds uploads or submissions but no %s: a new database would not know them, "+
			"and they would be removed as unknown files; nothing was changed", dir, store.DBName).
			Hint("refuge-server never makes a new database beside ciphertext: if %s is elsewhere (moved, or not yet copied back), put it back whole, with the server stopped", store.DBName).
			Hint("%s", afresh)
	case errors.Is(err, store.ErrDBEmpty):
		e := cli.Errorf(exitError, "%s is empty (0 bytes): it holds no database; nothing was changed", db)
		if admin {
			return e.Hint("if the server has never run with this folder: remove the empty file (rm %s) and start the server, which makes the database", db).
				Hint("%s", putBack)
		}
		return e.Hint("if the server has never run with this folder: remove the empty file (rm %s) and start it again, to make the database", db).
			Hint("%s", putBack).Hint("%s", afresh)
	case errors.Is(err, store.ErrDBLink):
		return cli.Errorf(exitError, "%s is a symbolic link: refuge-server opens only a database file in the data directory itself; nothing was changed", db).
			Hint("put the database file itself in the data directory in place of the link (mv, not ln -s), or give --data the folder that holds it")
	case errors.Is(err, store.ErrDBNotFile):
		return cli.Errorf(exitError, "%s is %s, not a database file; nothing was changed", db, fileKind(filepath.Join(data, store.DBName))).
			Hint("check the path: give the --data DIR the server runs with (such as /var/lib/refuge)")
	case errors.As(err, &cut):
		return cli.Errorf(exitError, "%s is cut short: it holds %d bytes, and its header says at least %d; nothing was changed", db, cut.Size, cut.Need).
			Hint("%s", putBack).Hint("%s", afresh)
	case errors.Is(err, store.ErrDBNotBolt):
		return cli.Errorf(exitError, "%s is not a database of refuge-server: it does not begin as one (a bbolt database); nothing was changed", db).
			Hint("%s", putBack).Hint("%s", afresh)
	case errors.Is(err, store.ErrDBForeign):
		return cli.Errorf(exitError, "%s is not a database of refuge-server: it is a bbolt database, but holds another program's data; nothing was changed", db).
			Hint("%s", putBack).Hint("%s", afresh)
	case errors.Is(err, store.ErrDBDamaged):
		return cli.Errorf(exitError, "%s is damaged: neither of its two headers checks out; nothing was changed", db).
			Hint("%s", putBack).Hint("%s", afresh)
	case errors.Is(err, fs.ErrPermission):
		e := cli.Errorf(exitError, "%s cannot be read: permission denied; nothing was changed", db)
		if admin {
			e.Hint("run the command as the server's user, which owns the data directory: sudo -u refuge refuge-server …")
		} else {
			e.Hint("run refuge-server as the user that owns the data directory (refuge, in docs/operating.md, section 3)")
		}
		return e.Hint("if it is that user already: the file belongs to another (a copy made as root?); give it back: chown refuge: %s", db)
	}
	return nil
}

// fileKind names the kind of file at path that is not a regular file:
// "a folder", "a named pipe", "a socket", "a device".
func fileKind(path string) string {
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		return "not a regular file"
	case fi.IsDir():
		return "a folder"
	case fi.Mode()&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case fi.Mode()&fs.ModeSocket != 0:
		return "a socket"
	case fi.Mode()&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
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
