package secrets

import "golang.org/x/sys/unix"

// notDumpable sets PR_SET_DUMPABLE to 0: no core dump even if a limit is
// raised later, and other processes of the same user can neither ptrace
// this one nor read its /proc/PID/mem.
func notDumpable() error {
	return unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
}
