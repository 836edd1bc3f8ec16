//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package home

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// errLockBusy says another open file holds a conflicting lock.
var errLockBusy = errors.New("lock held by another process")

// lockFile takes flock(2) on f without waiting: exclusive, or shared for a
// probe. flock locks belong to the open file, so two opens in one process
// conflict like two processes do, and the kernel drops them when the
// process ends.
func lockFile(f *os.File, exclusive bool) error {
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return errLockBusy
		default:
			return err
		}
	}
}

func unlockFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }
