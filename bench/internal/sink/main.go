// Command sink is the minimal upload server of bench/run's stock pipeline
// (age -r KEY < file | curl -T - URL): every PUT body is written to a new
// file in the directory and fsynced before the server answers 201, as a
// durable drop-box must. It listens on 127.0.0.1 only.
//
//	sink -dir DIR -listen 127.0.0.1:PORT
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "", "directory for the uploaded files")
	listen := flag.String("listen", "127.0.0.1:0", "address (127.0.0.1 only)")
	flag.Parse()
	if host, _, err := net.SplitHostPort(*listen); err != nil || host != "127.0.0.1" || *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: sink -dir DIR -listen 127.0.0.1:PORT")
		os.Exit(2)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /", func(w http.ResponseWriter, r *http.Request) {
		if err := store(*dir, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	fmt.Fprintln(os.Stderr, http.ListenAndServe(*listen, mux))
	os.Exit(1)
}

// store writes body to a new file in dir and fsyncs it and the directory.
func store(dir string, body io.Reader) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, hex.EncodeToString(b[:])), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(f, body); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
