package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// dialSink connects bulkDial to a listener on 127.0.0.1 that receives until
// the connection closes and then sends what it received on got.
func dialSink(t *testing.T) (bc *bulkConn, got <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			ch <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		ch <- b
	}()
	c, err := bulkDial(&net.Dialer{})(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	bc, ok := c.(*bulkConn)
	if !ok {
		t.Fatalf("bulkDial gave a %T, want *bulkConn", c)
	}
	return bc, ch
}

// A connection from bulkDial sends what ReadFrom is given, byte for byte,
// in pieces of up to 1 MiB, including a body that ends early.
func TestBulkConn(t *testing.T) {
	bc, got := dialSink(t)
	data := make([]byte, 3<<20+123)
	rand.Read(data)
	// Not a WriterTo: the copy goes through the buffer.
	n, err := bc.ReadFrom(io.LimitReader(struct{ io.Reader }{bytes.NewReader(data)}, int64(len(data))-100))
	if err != nil || n != int64(len(data))-100 {
		t.Fatalf("ReadFrom: %d, %v", n, err)
	}
	bc.Close()
	if b := <-got; !bytes.Equal(b, data[:len(data)-100]) {
		t.Fatalf("received %d bytes, not what was sent", len(b))
	}
}

// A body whose file is shorter than the request says fails with
// io.ErrUnexpectedEOF after sending what there was, whether it goes by
// sendfile or through the buffer.
func TestBulkConnShortFile(t *testing.T) {
	bc, got := dialSink(t)
	data := make([]byte, 3000)
	rand.Read(data)
	f, err := os.Create(filepath.Join(t.TempDir(), "short"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Write(data)
	var sent atomic.Int64
	w := &watchedReader{src: f, file: f, pos: 1000, end: 9000, sent: &sent, idle: time.Minute, timer: time.AfterFunc(time.Minute, func() {})}
	defer w.timer.Stop()
	n, err := bc.ReadFrom(io.LimitReader(w, 8000))
	if !errors.Is(err, io.ErrUnexpectedEOF) || n != 2000 || w.pos != 3000 || sent.Load() != 2000 {
		t.Fatalf("ReadFrom: %d, %v, position %d, %d counted as sent: want 2000 bytes, unexpected EOF, position 3000, 2000 sent", n, err, w.pos, sent.Load())
	}
	bc.Close()
	if b := <-got; !bytes.Equal(b, data[1000:]) {
		t.Fatalf("received %d bytes, not what there was", len(b))
	}
}
