//go:build windows

package home

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// errLockBusy says another open file holds a conflicting lock.
var errLockBusy = errors.New("lock held by another process")

// lockFile takes LockFileEx on f's first byte without waiting: exclusive,
// or shared for a probe. Windows drops the lock when the process ends.
func lockFile(f *os.File, exclusive bool) error {
	flags := uint32(windows.LOCKFILE_FAIL_IMMEDIATELY)
	if exclusive {
		flags |= windows.LOCKFILE_EXCLUSIVE_LOCK
	}
	err := windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, new(windows.Overlapped))
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLockBusy
	}
	return err
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, new(windows.Overlapped))
}
