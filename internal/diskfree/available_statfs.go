//go:build linux || darwin

package diskfree

import "golang.org/x/sys/unix"

func available(dir string) (int64, bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false, err
	}
	return bytesOf(st.Bavail, unitOf(&st)), true, nil
}
