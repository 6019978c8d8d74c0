package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
	"refuge/internal/cli"
	"refuge/server"
	"refuge/server/store"
)

// publishCmd stores a signed manifest (the first one, typically; later
// ones couriers PUT over HTTP). If the server is running, it publishes
// through the server's admin socket.
func publishCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("refuge-server publish", publishHelp, stdout)
	data := fs.String("data", "", "data directory")
	rootPub := fs.String("root-pub", "", "root public key")
	pos, err := cli.Parse(fs, args)
	if err != nil {
		return flagFail(stderr, err)
	}
	if len(pos) != 2 || *data == "" || *rootPub == "" {
		return fail(stderr, cli.Errorf(exitUsage, "bad arguments to publish").Hint("refuge-server publish --data DIR --root-pub KEY manifest.json manifest.json.minisig"))
	}
	root, err := signing.ParsePublicKey(strings.TrimSpace(*rootPub))
	if err != nil {
		return fail(stderr, cli.BadRootPub("refuge-server publish"))
	}
	req := publishRequest{Root: root}
	if req.Manifest, err = readFile(pos[0]); err != nil {
		return fail(stderr, cli.Errorf(exitError, "%v", err))
	}
	if req.Signature, err = readFile(pos[1]); err != nil {
		return fail(stderr, cli.Errorf(exitError, "%v", err))
	}
	res, ferr := runAdmin(*data, strings.TrimSpace(*rootPub), "/manifest", req, "stop the server and run the command again, or PUT the manifest with a courier token",
		func(st store.Store) adminResult { return doPublish(context.Background(), st, root, req) })
	if ferr != nil {
		return fail(stderr, ferr)
	}
	res.print(stdout, stderr)
	return exitOK
}

// publishRequest is one publish command, run directly on the database or
// sent to a running server over its admin socket. Root is the key the
// operator gave (--root-pub).
type publishRequest struct {
	Manifest  []byte            `json:"manifest"`
	Signature []byte            `json:"signature"`
	Root      signing.PublicKey `json:"root"`
}

// publishRequestFields are publishRequest's JSON names, all the admin
// socket takes in a publish request.
var publishRequestFields = []string{"manifest", "signature", "root"}

// doPublish verifies req's manifest against root, the key the server
// pins, and stores it. A running server refuses a request made with
// another root key: the operator meant another server, or the server
// pins a key it should not. It says which active partner tokens the new
// manifest does not list (partnerNotes).
func doPublish(ctx context.Context, st store.Store, root signing.PublicKey, req publishRequest) adminResult {
	if !req.Root.Equal(root) {
		return adminResult{Error: "publish manifest: the running server pins another root key than --root-pub; nothing was published"}
	}
	before, _ := publishedPartners(ctx, st) // nil, as for none, when the old one cannot be read
	now := time.Now()
	if err := server.Publish(ctx, st, root, req.Manifest, req.Signature, now); err != nil {
		if m, perr := manifest.Parse(req.Manifest); errors.Is(err, store.ErrBadState) && perr == nil && before != nil {
			// Verified, and not newer: say which version is published and
			// what the next one needs.
			return adminResult{
				Error: fmt.Sprintf("publish manifest: this key manifest is version %d, not higher than version %d, which the server publishes; nothing was published", m.Version, before.version),
				Hints: []string{fmt.Sprintf("a new key manifest needs a higher version: the officers sign it with refuge-officer manifest sign … --version %d", before.version+1)},
			}
		}
		return adminResult{Error: fmt.Sprintf("publish manifest: %v", err)}
	}
	m, err := manifest.Parse(req.Manifest) // verified above
	if err != nil {
		return adminResult{Error: fmt.Sprintf("publish manifest: %v", err)}
	}
	info := fmt.Sprintf("manifest published: version %d, valid through %s (UTC)", m.Version, m.Expires)
	if days, err := daysLeft(m, now); err == nil && days <= warnDays {
		info += fmt.Sprintf("; it expires %s: have the officers sign the next one soon", inDays(days))
	}
	return adminResult{Info: info, Notes: tokenNotes(ctx, st, before, m)}
}

// tokenNotes checks the active partner tokens against m, just published
// after the manifest before (nil if none).
func tokenNotes(ctx context.Context, st store.Store, before *published, m *manifest.Manifest) []string {
	toks, err := st.Tokens(ctx)
	if err != nil {
		return []string{fmt.Sprintf("warning: cannot list the tokens to check their names against the new manifest: %v", err)}
	}
	return partnerNotes(before, partnersOf(m, m.Version), activePartners(toks))
}
