package client_test

import (
	"context"
	"os"
	"testing"

	"refuge/client"
	"refuge/client/clienttest"
)

// BenchmarkUpload measures a tus upload (the client's default chunk
// sizes, crc32c checksums) into a real in-process server on 127.0.0.1: 256
// MiB on a clean link and through a link cut every 16 MiB, and 1 GiB on a
// clean link. patches/op is the number of PATCH requests one upload took:
// what starting with a small chunk costs on a fast link.
func BenchmarkUpload(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int64
		cut  int64
	}{{"clean", 256 << 20, 0}, {"cut-every-16MiB", 256 << 20, 16 << 20}, {"clean-1GiB", 1 << 30, 0}} {
		b.Run(bc.name, func(b *testing.B) {
			srv := clienttest.StartServer(b)
			path := sealedB(b, srv, bc.size)
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
			before := srv.Requests()["PATCH"]
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
			b.StopTimer()
			b.ReportMetric(float64(srv.Requests()["PATCH"]-before)/float64(b.N), "patches/op")
		})
	}
}
