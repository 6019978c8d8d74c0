//go:build unix

package flock

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWrapUnix(t *testing.T) {
	const f = "state/lock"
	for _, e := range []error{unix.ENOLCK, unix.EOPNOTSUPP, unix.ENOSYS, unix.EINVAL} {
		if err := wrap(f, e); !errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, e) {
			t.Errorf("%v: %v", e, err)
		}
	}
	for _, e := range []error{unix.EBADF, unix.EIO} {
		if err := wrap(f, e); errors.Is(err, errors.ErrUnsupported) || !errors.Is(err, e) {
			t.Errorf("%v: %v", e, err)
		}
	}
	if wrap(f, nil) != nil {
		t.Error("nil wrapped")
	}
}
