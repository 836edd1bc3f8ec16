package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// TestConcurrentDeliveriesAllSurviveReopen: many goroutines record at once;
// after Close and reopen every acknowledged delivery is there, applied, and
// the database passes integrity_check.
func TestConcurrentDeliveriesAllSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 16, 25
	acked := make(chan int64, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				at := testT0.Add(time.Duration(w*each+i) * time.Second)
				ev := newEvent(id, at, 1)
				body := inviteeBody(t, calendly.EventInviteeCreated, at, newInvitee(ev, id, fmt.Sprintf("p%d@example.com", w), "P", at), ev)
				rec, err := s.RecordDelivery(ctx, signedDelivery(t, body, at))
				if err != nil {
					t.Errorf("RecordDelivery %s: %v", id, err)
					return
				}
				acked <- rec.ID
			}
		})
	}
	wg.Wait()
	close(acked)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := s.ListDeliveries(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[int64]bool{}
	for _, r := range log {
		stored[r.ID] = r.Outcome == OutcomeApplied
	}
	n := 0
	for id := range acked {
		n++
		if !stored[id] {
			t.Errorf("acknowledged delivery #%d is missing after reopen", id)
		}
	}
	if n != workers*each {
		t.Fatalf("%d acknowledged, want %d", n, workers*each)
	}
	if evs := mustEvents(t, s, EventFilter{}); len(evs) != workers*each {
		t.Errorf("%d events after reopen, want %d", len(evs), workers*each)
	}
	var check string
	if err := s.readDB.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check = %q, %v", check, err)
	}
}

func TestDatabaseFilesArePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ev := newEvent("a", testT0, 1)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(ev, "1", "a@example.com", "A", testT0), ev), testT0))
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v (WAL mode should have created it)", p, err)
		}
		if mode := info.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", filepath.Base(p), mode)
		}
	}
}

func TestOpenTightensALooseExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil { // past any umask
		t.Fatal(err)
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode after Open = %v, %v; want 600", info.Mode().Perm(), err)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvent("a", testT0, 1)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(ev, "1", "a@example.com", "A", testT0), ev), testT0))
	before := snapshot(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if after := snapshot(t, s); after != before {
		t.Errorf("reopened state differs:\n%s\nwant\n%s", after, before)
	}
	all, _ := migrations()
	var version int
	if err := s.readDB.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil || version != len(all) {
		t.Errorf("user_version = %d, %v; want %d", version, err, len(all))
	}
}

func TestOpenRefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.conn.ExecContext(ctx, "PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, path); err == nil || !errorsContain(err, "upgrade calwatch") {
		t.Errorf("Open of a newer schema: err = %v, want a hint to upgrade", err)
	}
}

func TestOpenRefusesAFileThatIsNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte("these are not the bytes you are looking for, not even close to sqlite"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(context.Background(), path); err == nil {
		s.Close()
		t.Fatal("Open of a text file succeeded")
	} else if !errorsContain(err, "calwatch database") {
		t.Errorf("err = %v, want it to say the file is not a calwatch database", err)
	}
}

func TestCloseDrainsQueuedWritesAndRefusesLaterOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var ds []IncomingDelivery
	for i := range 50 {
		id := fmt.Sprint(i)
		ev := newEvent(id, testT0, 1)
		ds = append(ds, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(ev, id, "a@example.com", "A", testT0), ev), testT0.Add(time.Duration(i)*time.Second)))
	}
	reqs := make([]*writeRequest, len(ds))
	for i := range ds {
		d, _ := prepareIncoming(ds[i])
		reqs[i] = &writeRequest{delivery: &d, result: make(chan writeResult, 1)}
		if err := s.w.enqueue(ctx, reqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil { // without waiting for any result first
		t.Fatal(err)
	}
	for i, r := range reqs {
		if res := <-r.result; res.err != nil || res.record.ID == 0 {
			t.Errorf("queued delivery #%d: %+v", i, res)
		}
	}
	if _, err := s.RecordDelivery(ctx, ds[0]); !errors.Is(err, ErrClosed) {
		t.Errorf("RecordDelivery after Close: err = %v, want ErrClosed", err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if evs := mustEvents(t, s, EventFilter{}); len(evs) != len(ds) {
		t.Errorf("%d events after reopen, want %d", len(evs), len(ds))
	}
}

func errorsContain(err error, s string) bool {
	return err != nil && strings.Contains(err.Error(), s)
}

// TestWriterConnectionSettings: a missing fsync cannot be seen by a kill -9
// test, so the writer's settings are read back from its connection.
func TestWriterConnectionSettings(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"journal_size_limit", fmt.Sprint(walSizeLimit)},
		{"wal_autocheckpoint", fmt.Sprint(writerCheckpointPages)}, // the backstop; checkpoint.go copies first
		{"secure_delete", "1"},
		{"temp_store", "2"}, // MEMORY
		{"foreign_keys", "1"},
		{"cache_size", fmt.Sprint(-defaultWriterCacheKiB)},
	} {
		var got string
		if err := s.conn.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("writer PRAGMA %s = %s, want %s", tc.pragma, got, tc.want)
		}
	}
}

// TestForIngestGivesTheWriterTheLargerCache: calwatch listen opens with
// ForIngest, whose writer keeps 64 MB of pages (on a grown store, half the
// page reads of 16 MB); the read pool keeps SQLite's default, and a store
// opened without it keeps 16 MB (the TUI's memory budget).
func TestForIngestGivesTheWriterTheLargerCache(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	s, err := Open(ctx, path, ForIngest())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var writer, reader int
	if err := s.conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&writer); err != nil {
		t.Fatal(err)
	}
	if err := s.readDB.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&reader); err != nil {
		t.Fatal(err)
	}
	if writer != -ingestWriterCacheKiB {
		t.Errorf("ForIngest: writer cache_size = %d, want %d (KiB)", writer, -ingestWriterCacheKiB)
	}
	if reader == writer {
		t.Errorf("ForIngest: the read pool's cache_size = %d too, want SQLite's default", reader)
	}
	// Reopened without it, the writer is back to the default.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.conn.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&writer); err != nil {
		t.Fatal(err)
	}
	if writer != -defaultWriterCacheKiB {
		t.Errorf("Open: writer cache_size = %d, want %d (KiB)", writer, -defaultWriterCacheKiB)
	}
}
