package diskfree

import "golang.org/x/sys/windows"

func available(dir string) (int64, bool, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, false, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, false, err
	}
	return bytesOf(avail, 1), true, nil
}
