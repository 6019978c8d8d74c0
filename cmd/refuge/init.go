package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"aead.dev/minisign"

	"refuge/client"
	"refuge/internal/cli"
	"refuge/internal/progress"
	"refuge/internal/strictjson"
	"refuge/server/api"
)

const initHelp = `Usage: refuge init --server URL --root-pub KEY [--proxy URL] [--force]

Writes a profile so that later commands need no flags: the server's address,
the officers' root public key that every key manifest must be signed with
(pinned: a manifest signed by another key is refused), and optionally a proxy.
The profile is profile.json in $REFUGE_STATE_DIR, else in the "refuge" folder
of your user configuration directory; folder 0700, file 0600.

Every command also takes --server, --root-pub and --proxy, which override the
profile. Changing the pinned root key of an existing profile needs --force:
a new root key is exactly what an attacker would want you to accept.

Flags:
    --server URL     the drop-box, https://… or an http://….onion address
    --root-pub KEY   the root public key (minisign, "RW…"), from a trusted
                     source
    --proxy URL      socks5h://127.0.0.1:9050 for Tor, or an http(s):// proxy;
                     "direct" ignores HTTPS_PROXY/ALL_PROXY
    --force          replace a profile that pins another root key

Examples:
    $ refuge init --server https://drop.example.org --root-pub RWQ…
    $ refuge init --server http://abc…xyz.onion --root-pub RWQ… \
          --proxy socks5h://127.0.0.1:9050

Exit codes: 0 written, 1 failed (nothing changed), 2 bad command line.`

// profile is the saved defaults of every command. It holds no secret.
type profile struct {
	Server  string `json:"server"`
	RootPub string `json:"root_pub"`
	Proxy   string `json:"proxy,omitempty"`
}

const profileFile = "profile.json"

// stateDir is $REFUGE_STATE_DIR, else the user's configuration directory
// plus "refuge" (the same place crypto/manifest keeps the versions seen).
// It is not created here: a command makes it (makeStateDir) only when it
// has something to keep, so one that fails before then leaves nothing on
// the device. One that exists is made private (0700) if it is not.
func stateDir() (string, error) {
	dir := os.Getenv("REFUGE_STATE_DIR")
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return "", failf("cannot find a configuration directory: %v", err).Hint("set REFUGE_STATE_DIR to a private folder")
		}
		dir = filepath.Join(base, "refuge")
	}
	if err := privateDir(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// makeStateDir creates the state folder dir if it is missing, and its
// missing parents, each 0700 from the start (or tighter, never looser,
// whoever else makes it at the same moment), at the moment a command has
// something to keep in it. It returns the folders it made, for a command
// that in the end keeps nothing to remove again (made.RemoveEmpty).
func makeStateDir(dir string) (made cli.MadeDirs, err error) {
	if made, err = cli.MakeDirs(dir); err != nil {
		return nil, failf("cannot create the state folder: %v", err)
	}
	if err := privateDir(dir); err != nil {
		made.RemoveEmpty()
		return nil, err
	}
	return made, nil
}

// privateDir makes the folder dir, if it exists, readable by its owner
// alone.
func privateDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil { // #nosec G302 -- a directory: 0700 is the owner-only mode
			return failf("the state folder is readable by others and cannot be made private: %v", err)
		}
	}
	return nil
}

func loadProfile(dir string) (profile, error) {
	var p profile
	data, err := os.ReadFile(filepath.Join(dir, profileFile))
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return p, failf("cannot read the profile: %v", err)
	}
	// As strict as what refuge init writes: a field named twice or in
	// another letter case, which encoding/json would read one way and
	// another reader another way, is refused. The error names the file and
	// repeats none of it.
	damaged := func(why string) error {
		return failf("the profile %s is damaged: %s", filepath.Join(dir, profileFile), why).
			Hint("run refuge init again with --force, with the server and the root key you were given")
	}
	if err := strictjson.CheckFieldNames(data, "server", "root_pub", "proxy"); err != nil {
		return profile{}, damaged(err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return profile{}, damaged("it is not the JSON object refuge init writes")
	}
	if _, err := dec.Token(); err != io.EOF {
		return profile{}, damaged("something follows its JSON object")
	}
	return p, nil
}

func checkServer(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("--server must be an http:// or https:// URL")
	}
	if u.Scheme == "http" && !strings.HasSuffix(u.Hostname(), ".onion") && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1" {
		return errors.New("--server must use https:// unless it is an .onion address or this machine")
	}
	return nil
}

// validRootPub reports whether s is a minisign public key.
func validRootPub(s string) bool {
	var k minisign.PublicKey
	return k.UnmarshalText([]byte(strings.TrimSpace(s))) == nil
}

func cmdInit(e *env, args []string) error {
	fs := e.newFlags("init", initHelp)
	server := fs.String("server", "", "")
	rootPub := fs.String("root-pub", "", "")
	proxy := fs.String("proxy", "", "")
	force := fs.Bool("force", false, "")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("init", "unexpected argument %q", pos[0])
	}
	if *server == "" || *rootPub == "" {
		return usagef("init", "--server and --root-pub are both needed")
	}
	p := profile{Server: strings.TrimRight(*server, "/"), RootPub: strings.TrimSpace(*rootPub), Proxy: *proxy}
	if err := checkServer(p.Server); err != nil {
		return usagef("init", "%v", err)
	}
	if !validRootPub(p.RootPub) {
		return cli.BadRootPub(prog + " init")
	}
	if p.Proxy != "" {
		if _, err := client.ProxyFunc(p.Proxy); err != nil {
			return usagef("init", "--proxy: %v", err)
		}
	}
	dir, err := stateDir()
	if err != nil {
		return err
	}
	old, err := loadProfile(dir)
	if err != nil && !*force {
		return err
	}
	if old.RootPub != "" && old.RootPub != p.RootPub && !*force {
		return failf("the profile already pins another root key; nothing changed").
			Hint("if the officers really changed their root key (check with them on another channel), run again with --force")
	}
	made, err := makeStateDir(dir)
	if err != nil {
		return err
	}
	data, _ := json.MarshalIndent(p, "", "  ")
	if err := writeFileAtomic(filepath.Join(dir, profileFile), append(data, '\n')); err != nil {
		made.RemoveEmpty() // the folders made for it go with it
		return failf("cannot write the profile: %v", err)
	}
	e.out.Infof("profile written to %s", filepath.Join(dir, profileFile))
	return nil
}

// writeFileAtomic writes data to a temporary file (0600) in the same
// folder, fsyncs it and renames it over name.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// conn holds the flags every networked command shares.
type conn struct {
	server, rootPub, proxy *string
}

func addConn(fs *flag.FlagSet) *conn {
	return &conn{server: fs.String("server", "", ""), rootPub: fs.String("root-pub", "", ""), proxy: fs.String("proxy", "", "")}
}

// connHelp is the part of every networked command's help about them.
const connHelp = `    --server URL     the drop-box (default: from refuge init)
    --root-pub KEY   the pinned root public key (default: from refuge init)
    --proxy URL      socks5h://127.0.0.1:9050 (Tor), http(s)://…, or "direct";
                     default: the profile, else HTTPS_PROXY / ALL_PROXY`

// settings merges the flags over the profile. needRoot says whether the
// command verifies a manifest.
func (c *conn) settings(cmd string, needRoot bool) (profile, string, error) {
	dir, err := stateDir()
	if err != nil {
		return profile{}, "", err
	}
	p, err := loadProfile(dir)
	if err != nil {
		return p, "", err
	}
	if *c.server != "" {
		p.Server = strings.TrimRight(*c.server, "/")
	}
	if *c.rootPub != "" {
		p.RootPub = strings.TrimSpace(*c.rootPub)
	}
	if *c.proxy != "" {
		p.Proxy = *c.proxy
	}
	if p.Server == "" {
		return p, "", usagef(cmd, "no server: pass --server URL or run refuge init")
	}
	if err := checkServer(p.Server); err != nil {
		return p, "", usagef(cmd, "%v", err)
	}
	if needRoot {
		if p.RootPub == "" {
			return p, "", usagef(cmd, "no root key: pass --root-pub KEY or run refuge init")
		}
		if !validRootPub(p.RootPub) {
			return p, "", cli.BadRootPub(prog + " " + cmd)
		}
	}
	return p, dir, nil
}

// newClient makes the API client for p.
func (e *env) newClient(p profile) (*client.Client, error) {
	o := client.Options{Server: p.Server, Proxy: p.Proxy, Retry: e.tune.retry, Timeout: e.tune.timeout, AnswerTimeout: e.tune.answerTimeout, OnRetry: e.retrying}
	c, err := client.New(o)
	if err != nil {
		return nil, cli.Usagef(prog, "%v", err)
	}
	return c, nil
}

// retrying tells of a wait before the next try, from the second failure
// in a row: one that the next try mends is not news, but a person on a
// bad link should not sit in silence while the retries run (up to a few
// minutes in all). A try that timed out is told from the first: it kept
// the person waiting a minute already (a server that accepts and never
// answers used to leave two minutes without a word). Over a progress
// line, it clears that line first.
func (e *env) retrying(r client.RetryNotice) {
	if r.Failed < 2 && !client.TimedOut(r.Err) {
		return
	}
	// One write, clearing and notice: the progress line is redrawn from
	// another goroutine, and a redraw between the two would put the
	// notice after the progress line, on a row too long for the terminal.
	var b strings.Builder
	if progress.Redraws(e.stderr) {
		b.WriteString("\r\033[K")
	}
	wait := "a moment"
	if s := r.Wait.Round(time.Second); s > 0 {
		wait = s.String()
	}
	// The server of an upload that stalled, or that is still busy with
	// the try cut off by the stall, has answered before: "no answer from
	// the server yet" would say it never did.
	var msg string
	switch {
	case client.UploadStalled(r.Err):
		msg = fmt.Sprintf("the upload stalled: %s; it goes on from what the server holds in %s", strings.TrimPrefix(r.Err.Error(), "network: "), wait)
	case errors.Is(r.Err, api.ErrConflict):
		msg = "the server is still busy with an earlier try of this upload; trying again in " + wait
	default:
		msg = fmt.Sprintf("no answer from the server yet (%v); trying again in %s", r.Err, wait)
	}
	if r.Failed > 0 {
		// A chunk that broke and is tried again smaller does not count
		// towards giving up: "0 tries failed" said nothing.
		msg += fmt.Sprintf(" (%s failed in a row, giving up after %d)", cli.Plural(r.Failed, "try"), r.Of)
	}
	cli.Output{Prog: e.out.Prog, W: &b}.Infof("%s", msg)
	io.WriteString(e.stderr, b.String())
}

// exitNetwork is the exit code when the network failed after retries:
// running the same command again resumes (see the usage text).
const exitNetwork = 4

// netFail turns a client error into a cli.Error: exit code 4 with a hint
// when the failure may pass (network, 5xx, 408, 429 after the retries).
//
// what names the step, for errors that do not already (those of the
// client name theirs: "fetching the officers' keys (the key manifest): …"); "" adds nothing.
func netFail(what string, err error) error {
	msg := err.Error()
	if what != "" {
		msg = what + ": " + msg
	}
	switch {
	case errors.Is(err, api.ErrNoSpace):
		return (&cli.Error{Code: exitNetwork, Msg: msg}).
			Hint("nothing is lost: run the same command again later (hours rather than minutes), and it resumes where it stopped; if this lasts, tell the people who run the server")
	case client.Temporary(err):
		return (&cli.Error{Code: exitNetwork, Msg: msg}).
			Hint("check the connection (or the proxy, or Tor) and run the same command again; uploads and downloads resume where they stopped")
	case errors.Is(err, api.ErrUnauthorized):
		return (&cli.Error{Code: exitError, Msg: msg, Cause: err}).
			Hint("check the token (--token, or $REFUGE_TOKEN): use it exactly as the people who run the drop-box gave it to your organisation; a revoked token is refused")
	case errors.Is(err, api.ErrForbidden):
		return (&cli.Error{Code: exitError, Msg: msg, Cause: err}).
			Hint("this token's role cannot do that: partner tokens refer and relay, courier tokens pull and push")
	case errors.Is(err, client.ErrOnionNeedsTor):
		return failf("%s", msg).
			Hint("start Tor and give its proxy: --proxy socks5h://127.0.0.1:9050 (with Tor Browser running, 127.0.0.1:9150); refuge init --proxy … keeps it for later commands")
	case errors.Is(err, client.ErrNotTLS):
		return failf("%s", msg).
			Hint("check the server address; if it is right, something on the way (a censor's filter, a hotel or airport Wi-Fi login page) answered in its place: try again over Tor (--proxy socks5h://127.0.0.1:9050)")
	}
	return &cli.Error{Code: exitError, Msg: msg, Cause: err}
}
