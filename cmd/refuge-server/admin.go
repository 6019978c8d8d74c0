package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/internal/lowerhex"
	"refuge/internal/strictjson"
	"refuge/server/store"
)

// The admin socket lets the token commands change a running server's
// tokens: bbolt lets one process open the database, so without it adding
// or revoking a token (or publishing a manifest) meant stopping the
// server. It is a Unix socket in the data directory (0700), itself 0600:
// only the server's own user (and root), who can read the database
// anyway, can connect. It answers only tokenRequests and
// publishRequests, and logs nothing about them.
const adminSocketName = "admin.sock"

// maxAdminRequest bounds a token request (a role and a name);
// maxPublishRequest a publish request (a manifest and its signature, each
// at most 64 KiB as the store takes them, in base64, and a root key).
const (
	maxAdminRequest   = 4 << 10
	maxPublishRequest = 192 << 10
)

func adminSocket(data string) string { return filepath.Join(data, adminSocketName) }

// listenAdmin serves the admin socket of data until ctx ends. The caller
// holds the database, so a socket file left by a crash is stale and goes.
func listenAdmin(ctx context.Context, data string, st store.Store, root signing.PublicKey, log *slog.Logger) error {
	path := adminSocket(data)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("admin socket: %w", err)
	}
	l, err := listenPrivate(path)
	if err != nil {
		return fmt.Errorf("admin socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		var req tokenRequest
		res := adminResult{Error: "malformed admin request"}
		if decodeAdmin(w, r, maxAdminRequest, &req, tokenRequestFields...) {
			res = doToken(r.Context(), st, req)
		}
		writeAdmin(w, res)
	})
	mux.HandleFunc("POST /manifest", func(w http.ResponseWriter, r *http.Request) {
		var req publishRequest
		res := adminResult{Error: "malformed admin request"}
		if decodeAdmin(w, r, maxPublishRequest, &req, publishRequestFields...) {
			res = doPublish(r.Context(), st, root, req)
		}
		writeAdmin(w, res)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, ErrorLog: stdlog.New(io.Discard, "", 0)}
	go func() {
		<-ctx.Done()
		hs.Close()
		os.Remove(path)
	}()
	go func() {
		if err := hs.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin socket stopped", "err", err)
		}
	}()
	return nil
}

// listenPrivate listens on a Unix socket at path that is 0600 from the
// moment it is there. listen makes a socket with the permissions the umask
// leaves, so the socket is made in a fresh 0700 folder beside path (no one
// else may enter it), made 0600 there, and renamed to path. Setting the
// umask around listen instead would change it for the whole process, and
// so for any file that another goroutine creates meanwhile.
//
// The folder's name and the socket's in it ("<dir>/.a1b2c3/s") are as
// long as "<dir>/admin.sock": a socket's path has a short limit (about
// 100 bytes), and a data folder whose path fits it must not lose its
// admin socket to a longer temporary name. A folder of that form left by a
// kill is stale (the caller holds the database, so no other server uses
// this data folder) and goes first.
func listenPrivate(path string) (net.Listener, error) {
	parent := filepath.Dir(path)
	removeStaleSocketDirs(parent)
	dir, err := mkdirShort(parent)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l.SetUnlinkOnClose(false) // the name it would unlink is gone; listenAdmin removes path
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// socketDirPrefix begins the name of the folder listenPrivate makes the
// socket in: the prefix and 6 lowercase hex digits, so that with "/s" it
// is as long as adminSocketName.
const socketDirPrefix = ".a"

// mkdirShort makes a fresh 0700 folder in parent named socketDirPrefix
// and 6 random lowercase hex digits (a name taken is drawn again).
func mkdirShort(parent string) (string, error) {
	for range 100 {
		var b [3]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", err
		}
		dir := filepath.Join(parent, socketDirPrefix+hex.EncodeToString(b[:]))
		err := os.Mkdir(dir, 0o700)
		if !errors.Is(err, fs.ErrExist) {
			return dir, err
		}
	}
	return "", errors.New("cannot make a temporary folder for the admin socket")
}

// isSocketDir tells whether name is of mkdirShort's form, or of the
// ".adminNNN" form that earlier versions made with os.MkdirTemp.
func isSocketDir(name string) bool {
	if h, ok := strings.CutPrefix(name, socketDirPrefix); ok && lowerhex.Valid(h, 6) {
		return true
	}
	d, ok := strings.CutPrefix(name, ".admin")
	return ok && d != "" && strings.Trim(d, "0123456789") == ""
}

// removeStaleSocketDirs removes from parent the folders of isSocketDir's
// forms that a killed server left: each holds at most a socket. Anything
// else, or a folder that is not empty but for a socket, is left alone.
func removeStaleSocketDirs(parent string) {
	ents, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !isSocketDir(e.Name()) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if fi, err := os.Lstat(filepath.Join(dir, "s")); err == nil && fi.Mode().Type() == fs.ModeSocket {
			_ = os.Remove(filepath.Join(dir, "s"))
		}
		_ = os.Remove(dir) // only if empty
	}
}

// decodeAdmin reads one JSON request of at most limit bytes into v, as
// strictly as the other JSON that crosses a trust boundary: it refuses a
// field that is not exactly one of fields (v's names), one named twice or
// in another letter case (strictjson), and anything after the object.
func decodeAdmin(w http.ResponseWriter, r *http.Request, limit int64, v any, fields ...string) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil || strictjson.CheckFieldNames(body, fields...) != nil {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v) == nil && dec.Decode(new(json.RawMessage)) == io.EOF
}

func writeAdmin(w http.ResponseWriter, res adminResult) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(res)
}

// adminResult is what an admin command prints: Out on stdout (a new
// token, the list), Info and then each of Notes on stderr; Error and its
// Hints if it failed.
type adminResult struct {
	Out   string   `json:"out,omitempty"`
	Info  string   `json:"info,omitempty"`
	Notes []string `json:"notes,omitempty"`
	Error string   `json:"error,omitempty"`
	Hints []string `json:"hints,omitempty"`
}

// print writes what a successful command says: Out on stdout, Info and
// Notes on stderr, each a line after "refuge-server: " (a note or warning
// begins "note: " or "warning: " itself).
func (res adminResult) print(stdout, stderr io.Writer) {
	fmt.Fprint(stdout, res.Out)
	for _, line := range append([]string{res.Info}, res.Notes...) {
		if line != "" {
			out(stderr).Infof("%s", line)
		}
	}
}

// runAdmin runs one admin command on the data directory data: on the
// database itself when no server holds it (local), else by the running
// server through its admin socket (callAdmin with endpoint and req).
// A data that is not a data directory the server has made is refused
// first, and nothing is made (checkDataDir; rootPub is the command's
// --root-pub, or ""). stopHint tells the operator what to do when the
// socket does not answer. It returns the command's result, or its
// failure (exitError) with the hints to print; either way the same,
// whichever ran the command.
func runAdmin(data, rootPub, endpoint string, req any, stopHint string, local func(store.Store) adminResult) (adminResult, *cli.Error) {
	var res adminResult
	if e := checkDataDir(data, rootPub); e != nil {
		return res, e
	}
	st, err := store.Open(data, store.Options{})
	switch {
	case errors.Is(err, store.ErrInUse):
		if res, err = callAdmin(data, endpoint, req); err != nil {
			return res, cli.Errorf(exitError, "%v", err).
				Hint("refuge-server is running but its admin socket %s does not answer; %s", adminSocket(data), stopHint)
		}
	case err != nil:
		if e := dbRefused(data, err, true); e != nil {
			return res, e
		}
		return res, cli.Errorf(exitError, "%v", err)
	default:
		res = local(st)
		st.Close()
	}
	if res.Error != "" {
		// A hint that gives a command to run says --data DIR; this one
		// is DIR.
		e := &cli.Error{Code: exitError, Msg: res.Error}
		for _, h := range res.Hints {
			e.Hints = append(e.Hints, strings.ReplaceAll(h, " --data DIR", " --data "+shellWord(data)))
		}
		return res, e
	}
	return res, nil
}

// callAdmin sends req to the admin socket of the server running on data,
// at path ("/token", "/manifest").
func callAdmin(data, endpoint string, req any) (adminResult, error) {
	var res adminResult
	path := adminSocket(data)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	body, err := json.Marshal(req)
	if err != nil {
		return res, err
	}
	resp, err := c.Post("http://refuge-server"+endpoint, "application/json", bytes.NewReader(body))
	if err != nil {
		return res, fmt.Errorf("the database is in use (the server is running) and its admin socket failed: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
		return res, fmt.Errorf("the server's admin socket answered %s", resp.Status)
	}
	return res, nil
}
