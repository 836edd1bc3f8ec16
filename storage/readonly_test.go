package storage

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// storeWithOneBooking makes a database holding one delivery, closed.
func storeWithOneBooking(t *testing.T, path string) {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, simpleDelivery(t, "kept"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// readOnlyReads opens path read-only, reads the booking and is refused a write.
func readOnlyReads(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	s, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	defer s.Close()
	if evs := mustEvents(t, s, EventFilter{}); len(evs) != 1 {
		t.Errorf("%d events read, want 1", len(evs))
	}
	if log, err := s.ListDeliveries(ctx, 0); err != nil || len(log) != 1 {
		t.Errorf("delivery log: %d rows, %v; want 1", len(log), err)
	}
	if _, err := s.RecordDelivery(ctx, simpleDelivery(t, "write")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("RecordDelivery on a read-only store: err = %v, want ErrReadOnly", err)
	}
}

// TestOpenReadOnlyOnReadOnlyMedia: the read commands work where nothing
// can be written, after a clean shutdown left no -wal or -shm file. As
// root, file modes do not stop writes, so the folder is made a read-only
// bind mount in a mount namespace of its own (skipped where that is not
// allowed).
func TestOpenReadOnlyOnReadOnlyMedia(t *testing.T) {
	if path := os.Getenv("CALWATCH_TEST_READ_ONLY_DB"); path != "" {
		if err := os.WriteFile(filepath.Join(filepath.Dir(path), "probe"), nil, 0o600); err == nil {
			t.Fatal("the folder is writable: the test proves nothing")
		}
		readOnlyReads(t, path)
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "calwatch.db")
	storeWithOneBooking(t, path)
	if os.Geteuid() != 0 {
		for p, mode := range map[string]os.FileMode{path: 0o400, dir: 0o500} {
			if err := os.Chmod(p, mode); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
		t.Setenv("CALWATCH_TEST_READ_ONLY_DB", path)
		TestOpenReadOnlyOnReadOnlyMedia(t)
		return
	}
	script := `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit 77; exec "$2" -test.run='^TestOpenReadOnlyOnReadOnlyMedia$' -test.v`
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, "sh", dir, os.Args[0])
	cmd.Env = append(os.Environ(), "CALWATCH_TEST_READ_ONLY_DB="+path)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.Is(err, exec.ErrNotFound) || (errors.As(err, &exit) && (exit.ExitCode() == 77 || strings.Contains(string(out), "unshare failed"))) {
		t.Skipf("cannot make a read-only mount here: %s", out)
	}
	if err != nil || !strings.Contains(string(out), "--- PASS: TestOpenReadOnlyOnReadOnlyMedia") {
		t.Fatalf("on a read-only mount: %v\n%s", err, out)
	}
}

// TestOpenReadOnlyNeverUpgrades: a database of an older schema (an older
// listener may be running on it) is not migrated by a read; the error says
// in one line what to do. A newer one asks for a newer calwatch.
func TestOpenReadOnlyNeverUpgrades(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn := openRawConn(t, path)
	if err := migrateScripts(ctx, conn, all[:len(all)-1]); err != nil {
		t.Fatal(err)
	}
	_, err = OpenReadOnly(ctx, path)
	var older *OlderSchemaError
	if !errors.As(err, &older) || older.Version != len(all)-1 || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "listen") {
		t.Errorf("OpenReadOnly of an older schema: err = %v; want one line that says to run listen", err)
	}
	if v := userVersion(t, conn); v != len(all)-1 {
		t.Errorf("user_version = %d after a read-only open, want %d (untouched)", v, len(all)-1)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReadOnly(ctx, path); err == nil || !strings.Contains(err.Error(), "upgrade calwatch") {
		t.Errorf("OpenReadOnly of a newer schema: err = %v, want a hint to upgrade calwatch", err)
	}
	if _, err := OpenReadOnly(ctx, filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Error("OpenReadOnly of a missing file succeeded")
	}
}

// TestOpenReadOnlyBesideARunningWriter: a read-only store sees what a
// running listener's store commits.
func TestOpenReadOnlyBesideARunningWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	record(t, w, simpleDelivery(t, "first"))
	r, err := OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	record(t, w, simpleDelivery(t, "second"))
	if evs := mustEvents(t, r, EventFilter{}); len(evs) != 2 {
		t.Errorf("the reader sees %d events, want both committed", len(evs))
	}
}
