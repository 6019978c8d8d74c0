//go:build unix

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"refuge/client/clienttest"
	"refuge/internal/fstree"
	"refuge/server/store"
)

// The hints refuge-server gives on a refuge.db that is not a sound
// database.
const (
	hintPutBack = "refuge-server: hint: refuge-server never overwrites or repairs refuge.db: if the right file is elsewhere " +
		"(a copy that did not finish, another file copied in its place), put it back whole, with the server stopped\n"
	hintAfresh = "refuge-server: hint: if it is lost: leave this folder as it is, and start the server with a new --data folder; " +
		"submissions not yet pulled are lost (docs/operating.md, section 8)\n"
	hintLink   = "refuge-server: hint: put the database file itself in the data directory in place of the link (mv, not ln -s), or give --data the folder that holds it\n"
	hintNotDir = "refuge-server: hint: check the path: give the --data DIR the server runs with (such as /var/lib/refuge)\n"
)

// badDB is a data directory, made under root as name, whose refuge.db is
// no sound database, with what the token and publish commands (admin)
// and the server's start (serve) say of it on stderr.
type badDB struct {
	name         string
	make         func(t *testing.T, db string)
	admin, serve string
}

// badDBs returns the bad refuge.db cases; real is the refuge.db of a
// data directory the server made, beside them under root as "refuge".
func badDBs(real []byte) []badDB {
	write := func(b []byte) func(*testing.T, string) {
		return func(t *testing.T, db string) {
			if err := os.WriteFile(db, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	link := func(target string) func(*testing.T, string) {
		return func(t *testing.T, db string) {
			if err := os.Symlink(target, db); err != nil {
				t.Fatal(err)
			}
		}
	}
	ps := int(binary.NativeEndian.Uint32(real[16+8:])) // bbolt's page size
	meta := real[16:]                                  // of the later transaction, which bbolt reads
	if later := real[ps+16:]; binary.NativeEndian.Uint64(later[48:]) > binary.NativeEndian.Uint64(meta[48:]) {
		meta = later
	}
	inUse := strconv.FormatUint(binary.NativeEndian.Uint64(meta[40:])*uint64(ps), 10)
	otherMagic := append([]byte(nil), real...)
	otherMagic[16] ^= 0xff
	otherMagic[ps+16] ^= 0xff
	same := func(name string, make func(*testing.T, string), msg string) badDB {
		return badDB{name, make, msg, msg}
	}
	notBolt := "refuge-server: error: %s/refuge.db is not a database of refuge-server: it does not begin as one (a bbolt database); nothing was changed\n" + hintPutBack + hintAfresh
	return []badDB{
		{"empty", write(nil),
			"refuge-server: error: empty/refuge.db is empty (0 bytes): it holds no database; nothing was changed\n" +
				"refuge-server: hint: if the server has never run with this folder: remove the empty file (rm empty/refuge.db) and start the server, which makes the database\n" + hintPutBack,
			"refuge-server: error: empty/refuge.db is empty (0 bytes): it holds no database; nothing was changed\n" +
				"refuge-server: hint: if the server has never run with this folder: remove the empty file (rm empty/refuge.db) and start it again, to make the database\n" + hintPutBack + hintAfresh},
		same("text", write([]byte("desk1 courier 2026-12-01 active\n")), strings.ReplaceAll(notBolt, "%s", "text")),
		same("othermagic", write(otherMagic), strings.ReplaceAll(notBolt, "%s", "othermagic")),
		same("cut", write(real[:2*ps]), "refuge-server: error: cut/refuge.db is cut short: it holds "+strconv.Itoa(2*ps)+" bytes, and its header says at least "+inUse+"; nothing was changed\n"+hintPutBack+hintAfresh),
		same("cutheader", write(real[:100]), "refuge-server: error: cutheader/refuge.db is cut short: it holds 100 bytes, and its header says at least "+inUse+"; nothing was changed\n"+hintPutBack+hintAfresh),
		same("link", link("../refuge/refuge.db"), "refuge-server: error: link/refuge.db is a symbolic link: refuge-server opens only a database file in the data directory itself; nothing was changed\n"+hintLink),
		same("dangling", link("../nowhere.db"), "refuge-server: error: dangling/refuge.db is a symbolic link: refuge-server opens only a database file in the data directory itself; nothing was changed\n"+hintLink),
		same("fifo", func(t *testing.T, db string) {
			if err := syscall.Mkfifo(db, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "refuge-server: error: fifo/refuge.db is a named pipe, not a database file; nothing was changed\n"+hintNotDir),
		same("folder", func(t *testing.T, db string) {
			if err := os.Mkdir(db, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "refuge-server: error: folder/refuge.db is a folder, not a database file; nothing was changed\n"+hintNotDir),
		same("foreign", func(t *testing.T, db string) {
			foreignDB(t, db, "accounts")
		}, "refuge-server: error: foreign/refuge.db is not a database of refuge-server: it is a bbolt database, but holds another program's data; nothing was changed\n"+hintPutBack+hintAfresh),
	}
}

// foreignDB makes at path a bbolt database that another program could
// have made: a bucket of each name, holding one record.
func foreignDB(t *testing.T, path string, buckets ...string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			b, err := tx.CreateBucket([]byte(name))
			if err != nil {
				return err
			}
			if err := b.Put([]byte("desk1"), []byte(`{"balance":12}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
}

// makeBadDBs makes, under a new folder, the real data directory
// "refuge" and a data directory of each of badDBs, each holding a
// submission's ciphertext as a server's would, and returns the folder and
// the cases.
func makeBadDBs(t *testing.T) (string, []badDB) {
	t.Helper()
	root := t.TempDir()
	makeDataDir(t, filepath.Join(root, "refuge"))
	real, err := os.ReadFile(filepath.Join(root, "refuge", store.DBName))
	if err != nil {
		t.Fatal(err)
	}
	cases := badDBs(real)
	for _, c := range cases {
		makeDataDir(t, filepath.Join(root, c.name))
		if err := os.Remove(filepath.Join(root, c.name, store.DBName)); err != nil {
			t.Fatal(err)
		}
		c.make(t, filepath.Join(root, c.name, store.DBName))
		if err := os.WriteFile(filepath.Join(root, c.name, "blobs", "00112233445566778899aabbccddeeff.age"), []byte("age ciphertext"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return root, cases
}

// TestAdminCommandsRefuseBadDB runs every token and publish command of the
// real binary on a data directory whose refuge.db is no sound database:
// empty (0 bytes), a text file, another file's magic, a copy cut short
// after two pages and inside its first header, a link to the real
// database beside it, a link to nothing, a named pipe, a folder, another
// program's bbolt database. Each is
// refused in words, with a hint, exit 1, nothing on stdout, and nothing
// under the test's folder (the real data directory included) is made or
// changed. Before, an empty file got a new database and the token, a
// copy cut short crashed the command (SIGBUS), a link led to the real
// database's tokens and a dangling one to "holds no refuge.db", and a
// text file said "store: open database: invalid database", and another
// program's database got Refuge's buckets and the token.
func TestAdminCommandsRefuseBadDB(t *testing.T) {
	bin := buildServer(t)
	keys := clienttest.NewKeys(t)
	mf, sf := writeManifest(t, keys, t.TempDir())
	root, cases := makeBadDBs(t)
	for _, c := range cases {
		for _, args := range adminCommands(c.name, keys.RootPub.String(), mf, sf) {
			t.Run(c.name+"/"+strings.Join(args[:2], " "), func(t *testing.T) {
				before := fstree.Snapshot(t, root)
				out, errs, rc := runBin(t, bin, root, args...)
				if rc != exitError || out != "" || errs != c.admin {
					t.Errorf("%q: exit %d, stdout %q, stderr\n%s\nwant exit 1, stderr\n%s", args, rc, out, errs, c.admin)
				}
				if after := fstree.Snapshot(t, root); after != before {
					t.Errorf("%q changed the folders:\n%s\nwas\n%s", args, after, before)
				}
			})
		}
	}
}

// TestServerRefusesBadDB starts the real server on each data directory
// of TestAdminCommandsRefuseBadDB, and on one that holds a submission's
// ciphertext but no refuge.db: each start is refused in words, exit 1,
// and nothing under the test's folder is made or changed; the ciphertext
// stays. Before, an empty refuge.db, or none, got a new database whose
// first sweep removed the ciphertext as unknown, a link was followed (to
// nothing: the file was made there), a named pipe was written to, and a
// copy cut short crashed the server (SIGBUS).
func TestServerRefusesBadDB(t *testing.T) {
	bin := buildServer(t)
	keys := clienttest.NewKeys(t)
	root, cases := makeBadDBs(t)
	makeDataDir(t, filepath.Join(root, "nodb"))
	if err := os.Remove(filepath.Join(root, "nodb", store.DBName)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "nodb", "blobs", "00112233445566778899aabbccddeeff.age"), []byte("age ciphertext"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases = append(cases, badDB{name: "nodb", serve: "refuge-server: error: nodb holds uploads or submissions but no refuge.db: " +
		"a new database would not know them, and they would be removed as unknown files; nothing was changed\n" +
		"refuge-server: hint: refuge-server never makes a new database beside ciphertext: if refuge.db is elsewhere " +
		"(moved, or not yet copied back), put it back whole, with the server stopped\n" + hintAfresh})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := fstree.Snapshot(t, root)
			// The deadline only ends a server that, wrongly, started.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--data", c.name, "--root-pub", keys.RootPub.String(), "--listen", "127.0.0.1:0") // #nosec G204 -- the binary the test built
			cmd.Dir = root
			var out, errb strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errb
			_ = cmd.Run()
			if rc := cmd.ProcessState.ExitCode(); rc != exitError || out.Len() != 0 || errb.String() != c.serve {
				t.Errorf("start on %s: exit %d, stdout %q, stderr\n%s\nwant exit 1, stderr\n%s", c.name, rc, out.String(), errb.String(), c.serve)
			}
			if after := fstree.Snapshot(t, root); after != before {
				t.Errorf("start on %s changed the folders:\n%s\nwas\n%s", c.name, after, before)
			}
		})
	}
}

// TestAdminCommandsRefuseBadDBWhileServing replaces the refuge.db of a
// running server's data directory with an empty file and with a text
// file (the server keeps the file it opened): every token and publish
// command refuses it, and changes nothing, rather than make a new
// database the server never reads. Before, token add printed a token of
// that new database.
func TestAdminCommandsRefuseBadDBWhileServing(t *testing.T) {
	bin := buildServer(t)
	keys := clienttest.NewKeys(t)
	mf, sf := writeManifest(t, keys, t.TempDir())
	s := newSetup(t, bin)
	s.start(t)
	db := filepath.Join(s.data, store.DBName)
	if err := os.Rename(db, filepath.Join(t.TempDir(), "held.db")); err != nil { // the server keeps it open
		t.Fatal(err)
	}
	for _, c := range []struct {
		desc    string
		content []byte
		want    string
	}{
		{"empty", nil, "refuge-server: error: " + db + " is empty (0 bytes): it holds no database; nothing was changed\n" +
			"refuge-server: hint: if the server has never run with this folder: remove the empty file (rm " + db + ") and start the server, which makes the database\n" + hintPutBack},
		{"text", []byte("not a database\n"), "refuge-server: error: " + db + " is not a database of refuge-server: it does not begin as one (a bbolt database); nothing was changed\n" + hintPutBack + hintAfresh},
	} {
		if err := os.WriteFile(db, c.content, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range adminCommands(s.data, keys.RootPub.String(), mf, sf) {
			before := fstree.Snapshot(t, s.data)
			out, errs, rc := runBin(t, bin, t.TempDir(), args...)
			if rc != exitError || out != "" || errs != c.want {
				t.Errorf("%s: %q: exit %d, stdout %q, stderr\n%s\nwant exit 1, stderr\n%s", c.desc, args, rc, out, errs, c.want)
			}
			if after := fstree.Snapshot(t, s.data); after != before {
				t.Errorf("%s: %q changed the folders:\n%s\nwas\n%s", c.desc, args, after, before)
			}
		}
	}
}
