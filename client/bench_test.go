package client_test

import (
	"context"
	"os"
	"testing"

	"refuge/client"
	"refuge/client/clienttest"
)

// BenchmarkUpload measures a 256 MiB tus upload (8 MiB chunks, sha256
// checksums) into a real in-process server on 127.0.0.1, on a clean link
// and through a link cut every 16 MiB.
func BenchmarkUpload(b *testing.B) {
	for _, bc := range []struct {
		name string
		cut  int64
	}{{"clean", 0}, {"cut-every-16MiB", 16 << 20}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := clienttest.StartServer(b)
			path := sealedB(b, srv, 256<<20)
			fi, _ := os.Stat(path)
			addr := srv.Addr
			if bc.cut > 0 {
				addr = clienttest.StartCutProxy(b, srv.Addr, bc.cut).Addr
			}
			c, err := client.New(client.Options{Server: "http://" + addr, Proxy: "direct", Retry: fast})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(fi.Size())
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				f, _ := os.Open(path)
				meta, _ := anonymousMeta()
				u, err := c.CreateUpload(context.Background(), fi.Size(), meta, "")
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Upload(context.Background(), u, "", f, fi.Size(), nil); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}
