//go:build linux

// Command pagecache measures what holding written data in the page cache
// costs on this machine: it writes SIZE MiB to a new file in 1 MiB writes
// and frees what it wrote LAG MiB behind (punching holes, as refuge
// submit's spool frees what the server acknowledged), then prints the
// wall time and the system time the writes took.
//
//	pagecache [-size MIB] [-dir DIR] [-pause D] LAG...
//
// On a VM that hands freed memory back to its host, writing into pages
// the host must back again costs several times more than writing into
// pages just freed: the larger LAG, the more new pages (bench/analysis.md).
// Linux only: it frees with fallocate(2) PUNCH_HOLE.
// Each run waits -pause first, so that what the run before freed has gone
// back to the host and does not make the next look cheaper.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	size := flag.Int64("size", 1024, "MiB to write")
	dir := flag.String("dir", os.TempDir(), "directory for the scratch file")
	pause := flag.Duration("pause", 5*time.Second, "wait before each run")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: pagecache [-size MIB] [-dir DIR] [-pause D] LAG...")
		os.Exit(2)
	}
	for _, a := range flag.Args() {
		lag, err := strconv.ParseInt(a, 10, 64)
		if err != nil || lag < 0 {
			fmt.Fprintf(os.Stderr, "pagecache: LAG %q is not a number of MiB\n", a)
			os.Exit(2)
		}
		time.Sleep(*pause)
		wall, sys, err := run(*dir, *size, lag)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pagecache:", err)
			os.Exit(1)
		}
		fmt.Printf("lag %5d MiB: %4d ms, system %4d ms\n", lag, wall.Milliseconds(), sys.Milliseconds())
	}
}

func run(dir string, size, lag int64) (wall, sys time.Duration, err error) {
	f, err := os.CreateTemp(dir, "pagecache-*")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 1<<20)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	var r0, r1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	t0 := time.Now()
	for i := int64(0); i < size; i++ {
		if _, err := f.WriteAt(buf, i<<20); err != nil {
			return 0, 0, err
		}
		if i >= lag {
			off := (i - lag) << 20
			if err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, 1<<20); err != nil {
				return 0, 0, fmt.Errorf("cannot punch holes here: %w", err)
			}
		}
	}
	wall = time.Since(t0)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	return wall, time.Duration(r1.Stime.Nano() - r0.Stime.Nano()), nil
}
