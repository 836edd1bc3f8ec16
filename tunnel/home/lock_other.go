//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || windows)

package home

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

var errLockBusy = errors.New("lock held by another process")

func lockFile(*os.File, bool) error {
	return fmt.Errorf("calwatch has no listener lock on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func unlockFile(*os.File) error { return nil }
