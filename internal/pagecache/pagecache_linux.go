// Package pagecache tells tests how much of a file the kernel keeps in its
// page cache, to check that written files leave it once they are on disk.
package pagecache

import (
	"os"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Cached counts the pages of path's first n bytes that are in the page
// cache (mincore(2) on a read-only mapping, which reads nothing). It stops
// the test when it cannot tell.
func Cached(t testing.TB, path string, n int) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := unix.Mmap(int(f.Fd()), 0, n, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := os.Getpagesize()
	vec := make([]byte, (n+page-1)/page)
	// x/sys/unix has no wrapper for mincore(2); both pointers are to
	// memory that stays alive and mapped for the whole call.
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(n), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 { // #nosec G103 -- see above
		t.Fatal(errno)
	}
	cached := 0
	for _, v := range vec {
		cached += int(v & 1)
	}
	return cached
}
