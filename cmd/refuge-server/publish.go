package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"refuge/crypto/signing"
	"refuge/server"
	"refuge/server/store"
)

// publishCmd stores a signed manifest directly (the first one, typically;
// later ones couriers PUT over HTTP).
func publishCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "data directory")
	rootPub := fs.String("root-pub", "", "root public key")
	if err := fs.Parse(args); err != nil || fs.NArg() != 2 || *data == "" || *rootPub == "" {
		errorf(stderr, []string{"refuge-server publish --data DIR --root-pub KEY manifest.json manifest.json.minisig"}, "bad arguments to publish")
		return exitUsage
	}
	root, err := signing.ParsePublicKey(strings.TrimSpace(*rootPub))
	if err != nil {
		errorf(stderr, nil, "--root-pub is not a minisign public key")
		return exitUsage
	}
	m, err := readFile(fs.Arg(0))
	if err != nil {
		errorf(stderr, nil, "%v", err)
		return exitError
	}
	sig, err := readFile(fs.Arg(1))
	if err != nil {
		errorf(stderr, nil, "%v", err)
		return exitError
	}
	st, err := store.Open(*data, store.Options{})
	if err != nil {
		errorf(stderr, []string{"stop refuge-server first, or PUT the manifest with a courier token"}, "%v", err)
		return exitError
	}
	defer st.Close()
	if err := server.Publish(context.Background(), st, root, m, sig, time.Now()); err != nil {
		errorf(stderr, nil, "publish manifest: %v", err)
		return exitError
	}
	fmt.Fprintln(stderr, "refuge-server: manifest published")
	return exitOK
}
