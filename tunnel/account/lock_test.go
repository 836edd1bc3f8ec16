package account

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRefreshLockIsExclusiveUntilReleased(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", RefreshLockFile)
	release, err := lockFile(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v; want it created 0600", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := lockFile(ctx, path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("a second holder got the lock, or the error does not name it: %v", err)
	}
	got := make(chan func(), 1)
	go func() {
		r, err := lockFile(context.Background(), path)
		if err != nil {
			t.Error(err)
			got <- func() {}
			return
		}
		got <- r
	}()
	release()
	(<-got)()
}
