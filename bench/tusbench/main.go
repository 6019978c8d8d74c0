// Command tusbench measures tus upload throughput against refuge-server and
// against any other tus 1.0 server (tusd) with the same client: one large
// upload streamed from a file in one PATCH, and many concurrent small
// uploads. It is a benchmark tool, run by bench/server; it talks only to
// 127.0.0.1.
//
//	tusbench setup -dir DIR                       demo root key, officer recipient, signed manifest
//	tusbench gen -recipient R -size N -o FILE     an age file of about N bytes for R
//	tusbench run -url URL -file F [-n 64 -conc 64] [-refuge] [-syncfs DIR]
//
// -syncfs DIR makes the run end only when the file system holding DIR has
// written everything out (syncfs(2)): the cost of making a server that never
// fsyncs (tusd) as durable as one that does, counted in its time.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"filippo.io/age"

	"refuge/crypto/manifest"
	"refuge/crypto/signing"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tusbench setup|gen|run ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(os.Args[2:])
	case "gen":
		err = gen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tusbench:", err)
		os.Exit(1)
	}
}

// setup writes manifest.json, manifest.json.minisig, root.pub and
// recipient.txt into dir.
func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	dir := fs.String("dir", "", "output directory")
	fs.Parse(args)
	root, err := signing.Generate()
	if err != nil {
		return err
	}
	ack, err := signing.Generate()
	if err != nil {
		return err
	}
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		return err
	}
	m, sig, err := manifest.Sign(manifest.Manifest{
		Version: 1, Expires: time.Now().UTC().AddDate(0, 0, 7).Format(manifest.DateLayout),
		Recipients: []string{id.Recipient().String()}, AckKey: ack.Public().String(),
	}, root, time.Now())
	if err != nil {
		return err
	}
	for name, b := range map[string][]byte{
		"manifest.json": m, "manifest.json.minisig": sig,
		"root.pub": []byte(root.Public().String()), "recipient.txt": []byte(id.Recipient().String()),
	} {
		if err := os.WriteFile(filepath.Join(*dir, name), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// gen writes an age file of size plaintext zero bytes for the recipient.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	rcpt := fs.String("recipient", "", "age1pq1 recipient")
	size := fs.Int64("size", 1<<30, "plaintext bytes")
	out := fs.String("o", "", "output file")
	fs.Parse(args)
	r, err := age.ParseHybridRecipient(*rcpt)
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := age.Encrypt(f, r)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(w, zeros{}, *size); err != nil {
		return err
	}
	return w.Close()
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// run uploads the file n times, conc at a time, one PATCH each, and prints
// the throughput.
func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	url := fs.String("url", "", "creation URL, e.g. http://127.0.0.1:8443/v1/uploads")
	file := fs.String("file", "", "file to upload")
	n := fs.Int("n", 1, "uploads")
	conc := fs.Int("conc", 1, "concurrent uploads")
	refuge := fs.Bool("refuge", false, "send refuge's submission-id and verifier metadata")
	syncDir := fs.String("syncfs", "", "after the uploads, syncfs(2) the file system holding this directory, within the timing")
	fs.Parse(args)
	fi, err := os.Stat(*file)
	if err != nil {
		return err
	}
	var small []byte
	if fi.Size() <= 64<<20 {
		if small, err = os.ReadFile(*file); err != nil {
			return err
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc, DisableCompression: true}}
	start := time.Now()
	sem := make(chan struct{}, *conc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	for range *n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := upload(client, *url, *file, small, fi.Size(), *refuge); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if *syncDir != "" {
		if err := syncfs(*syncDir); err != nil {
			return err
		}
	}
	el := time.Since(start)
	total := float64(fi.Size()) * float64(*n)
	fmt.Printf("%d x %d bytes, %d concurrent: %.2f s, %.0f MB/s\n", *n, fi.Size(), *conc, el.Seconds(), total/el.Seconds()/1e6)
	return nil
}

func upload(c *http.Client, url, file string, small []byte, size int64, refuge bool) error {
	req, _ := http.NewRequest("POST", url, nil)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Length", strconv.FormatInt(size, 10))
	if refuge {
		var id [16]byte
		var tok [32]byte
		rand.Read(id[:])
		rand.Read(tok[:])
		v := sha256.Sum256(tok[:])
		b64 := base64.StdEncoding.EncodeToString
		req.Header.Set("Upload-Metadata", "submission-id "+b64([]byte(hex.EncodeToString(id[:])))+",verifier "+b64([]byte(hex.EncodeToString(v[:]))))
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		return fmt.Errorf("POST: %s", resp.Status)
	}
	loc, err := resp.Location()
	if err != nil {
		return err
	}
	var body io.Reader
	if small != nil {
		body = bytes.NewReader(small)
	} else {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		body = f
	}
	req, _ = http.NewRequest("PATCH", loc.String(), body)
	req.ContentLength = size
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Upload-Offset", "0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	resp, err = c.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 204 {
		return fmt.Errorf("PATCH: %s", resp.Status)
	}
	return nil
}
