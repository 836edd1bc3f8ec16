package account

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// RefreshLockFile is the file in the state dir whose lock every calwatch on
// one home takes before it spends a refresh token.
const RefreshLockFile = "refresh.lock"

// lockPollInterval is how often a waiting process retries the lock.
const lockPollInterval = 20 * time.Millisecond

// lockFile takes the exclusive cross-process lock on path (created 0600),
// waiting until it is free or ctx ends. release gives it back.
func lockFile(ctx context.Context, path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s for the refresh lock: %w", filepath.Dir(path), err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the refresh lock %s: %w", path, err)
	}
	ticker := time.NewTicker(lockPollInterval)
	defer ticker.Stop()
	for {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", path, err)
		}
		if !busy {
			return func() { unlock(f); f.Close() }, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("another calwatch held the refresh lock %s too long: %w", path, ctx.Err())
		case <-ticker.C:
		}
	}
}
