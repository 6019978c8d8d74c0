// Command sealopen is the benchmark driver of bench/seal-open: it seals and
// opens bundles with crypto/bundle exactly as the Refuge commands do, without
// their passphrase and manifest handling. It is not an officer tool: its
// identity file is unencrypted.
//
//	sealopen keygen KEYFILE            write a plain age1pq1 identity, print the recipient
//	sealopen seal [-nosync] -r RECIPIENT -o OUT FILE...
//	sealopen open -i KEYFILE -o OUTDIR BUNDLE
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"

	"filippo.io/age"

	"refuge/crypto/bundle"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "keygen":
		err = keygen(os.Args[2:])
	case "seal":
		err = seal(os.Args[2:])
	case "open":
		err = open(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sealopen:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: sealopen keygen KEYFILE | seal [-nosync] -r RECIPIENT -o OUT FILE... | open -i KEYFILE -o OUTDIR BUNDLE")
	os.Exit(2)
}

func keygen(args []string) error {
	if len(args) != 1 {
		usage()
	}
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return err
	}
	f, err := os.OpenFile(args[0], os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "# public key: %s\n%s\n", id.Recipient(), id)
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Println(id.Recipient())
	return nil
}

func seal(args []string) error {
	fs := flag.NewFlagSet("seal", flag.ExitOnError)
	r := fs.String("r", "", "age1pq1 recipient")
	out := fs.String("o", "", "output bundle")
	nosync := fs.Bool("nosync", false, "write with os.Create, no fsync (to compare with age -o)")
	fs.Parse(args)
	rcp, err := age.ParseHybridRecipient(*r)
	if err != nil {
		return err
	}
	files, err := bundle.CollectFiles(fs.Args())
	if err != nil {
		return err
	}
	id := make([]byte, 16)
	rand.Read(id)
	c := bundle.Contents{Files: files, SubmissionID: hex.EncodeToString(id), Kind: bundle.KindAnonymous}
	if *nosync {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		if _, err := bundle.Seal(f, []age.Recipient{rcp}, c); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	o, err := bundle.CreateOutput(*out, os.Stdout)
	if err != nil {
		return err
	}
	defer o.Abort()
	if _, err := bundle.Seal(o, []age.Recipient{rcp}, c); err != nil {
		return err
	}
	return o.Commit()
}

func open(args []string) error {
	fs := flag.NewFlagSet("open", flag.ExitOnError)
	key := fs.String("i", "", "plain identity file")
	outDir := fs.String("o", "", "output directory")
	fs.Parse(args)
	if fs.NArg() != 1 {
		usage()
	}
	kf, err := os.Open(*key)
	if err != nil {
		return err
	}
	ids, err := age.ParseIdentities(kf)
	kf.Close()
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := bundle.Open(io.Reader(f), ids, *outDir, bundle.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "opened %s: %d entries\n", res.SubmissionID, len(res.Entries))
	return nil
}
