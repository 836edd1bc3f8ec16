package storage

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// realisticDeliveries is n deliveries of the loadgen stream, signed and
// parsed as the listener does.
func realisticDeliveries(t *testing.T, runID string, n int) []IncomingDelivery {
	t.Helper()
	stream := loadgen.Realistic(runID, n)
	out := make([]IncomingDelivery, len(stream))
	at := time.Now()
	for i, d := range stream {
		out[i] = signedDelivery(t, d.Body, at.Add(time.Duration(i)*time.Microsecond))
	}
	return out
}

// useCheckpointer replaces the store's background checkpointer by one
// with these settings (every ≤ 0: none) and turns the writer's own
// checkpoint off, so whatever is copied back was copied by the background.
func useCheckpointer(t *testing.T, s *Store, every int64, delay time.Duration) {
	t.Helper()
	useCheckpointerRestart(t, s, every, checkpointRestartFrames, delay)
}

// useCheckpointerRestart is useCheckpointer with the WAL length at which the
// writer finishes a background checkpoint. The swap runs on the writer's
// goroutine, which is the one that calls the checkpointer's hook.
func useCheckpointerRestart(t *testing.T, s *Store, every int64, restart int, delay time.Duration) {
	t.Helper()
	swap := func(ctx context.Context, conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
			return err
		}
		if s.ckpt != nil {
			if err := s.ckpt.close(); err != nil {
				return err
			}
			s.ckpt = nil
		}
		if every <= 0 {
			return nil
		}
		c, err := startCheckpointer(ctx, s.path, every, restart, delay)
		s.ckpt = c
		return err
	}
	if _, err := s.w.submit(context.Background(), &writeRequest{exec: swap}); err != nil {
		t.Fatal(err)
	}
}

// truncateWAL copies the whole WAL into the database and empties it, on
// the writer's connection, once no background checkpoint is running (a
// TRUNCATE checkpoint that finds one returns busy and does nothing).
func truncateWAL(t *testing.T, s *Store) {
	t.Helper()
	waitFor(t, "a TRUNCATE checkpoint that is not busy", func() bool {
		var busy, frames, moved int
		err := s.conn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &moved)
		if err != nil {
			t.Fatal(err)
		}
		return busy == 0
	})
}

func sizeOf(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// contentOf is the database file's bytes: a copied-back page may fill a
// free page without growing the file.
func contentOf(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBackgroundCheckpointCopiesTheWAL: with the writer's own checkpoint
// off, the pages deliveries wrote reach the database file only when the
// background checkpoint copies them (and never without it).
func TestBackgroundCheckpointCopiesTheWAL(t *testing.T) {
	ds := realisticDeliveries(t, "ckpt", 120)
	for _, tc := range []struct {
		name  string
		every int64
	}{{"background", 40}, {"none", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			s := openTestStore(t)
			useCheckpointer(t, s, tc.every, time.Hour)
			if tc.every > 0 { // its first checkpoint copies the migrations back
				waitFor(t, "the first checkpoint", func() bool { return s.CheckpointStats().Runs >= 1 })
			}
			before := sizeOf(t, s.path)
			record(t, s, ds...)
			if tc.every == 0 {
				if got := sizeOf(t, s.path); got != before {
					t.Fatalf("with no checkpoint the database file changed size: %d → %d bytes", before, got)
				}
				return
			}
			// 120 items at 40 an attempt: at least two more checkpoints.
			waitFor(t, "two more checkpoints", func() bool { return s.CheckpointStats().Runs >= 3 })
			st := s.CheckpointStats()
			if st.Failures != 0 || st.Moved == 0 {
				t.Fatalf("checkpoints: %+v", st)
			}
			if got := sizeOf(t, s.path); got <= before {
				t.Errorf("the database file did not grow (%d → %d bytes): nothing was copied back", before, got)
			}
		})
	}
}

// TestCheckpointAfterTheDelay: fewer items than a checkpoint waits for are
// copied back once the delay has passed, so a burst's end leaves no WAL
// behind.
func TestCheckpointAfterTheDelay(t *testing.T) {
	s := openTestStore(t)
	useCheckpointer(t, s, 1<<40, 20*time.Millisecond)
	waitFor(t, "the first checkpoint", func() bool { return s.CheckpointStats().Runs >= 1 })
	before := contentOf(t, s.path)
	record(t, s, realisticDeliveries(t, "delay", 5)...)
	waitFor(t, "a checkpoint after the delay", func() bool { return s.CheckpointStats().Runs >= 2 })
	if st := s.CheckpointStats(); st.Moved != st.WALFrames || st.Moved == 0 {
		t.Errorf("after the delay: %+v, want every frame copied", st)
	}
	if bytes.Equal(contentOf(t, s.path), before) {
		t.Error("the database file is unchanged: nothing was copied back")
	}
}

// TestCloseStopsTheCheckpointer: Close waits for the background goroutine
// and leaves none behind.
func TestCloseStopsTheCheckpointer(t *testing.T) {
	baseline := runtime.NumGoroutine()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	useCheckpointer(t, s, 10, time.Millisecond)
	c := s.ckpt
	record(t, s, realisticDeliveries(t, "close", 30)...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	default:
		t.Fatal("Close returned while the checkpointer still ran")
	}
	c.committed(nil, 100) // a late hook call neither blocks nor panics
	waitFor(t, "the store's goroutines to end", func() bool { return runtime.NumGoroutine() <= baseline })
}

// TestAStoreLeftWithABigWALOpensAndReadsRight: a crash that leaves every
// committed page in the WAL (none yet copied) loses nothing: the copy opens,
// reads back the same, and its background checkpoint copies the WAL in.
func TestAStoreLeftWithABigWALOpensAndReadsRight(t *testing.T) {
	s := openTestStore(t)
	useCheckpointer(t, s, 0, 0)
	record(t, s, realisticDeliveries(t, "crash", 400)...)
	want := snapshot(t, s)
	wantLog, err := s.ListDeliveries(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}

	// What a kill -9 leaves: the database and its WAL, no -shm.
	crashed := filepath.Join(t.TempDir(), "calwatch.db")
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(s.path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(crashed+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	walSize := sizeOf(t, crashed+"-wal")
	if walSize < 4<<20 {
		t.Fatalf("the WAL holds %d bytes; the test wants a big one", walSize)
	}
	dbSize := sizeOf(t, crashed)

	r, err := Open(context.Background(), crashed)
	if err != nil {
		t.Fatalf("opening the crashed store: %v", err)
	}
	defer r.Close()
	if got := snapshot(t, r); got != want {
		t.Errorf("the crashed store reads back differently:\n%s\nwant\n%s", got, want)
	}
	gotLog, err := r.ListDeliveries(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotLog) != 400 || len(wantLog) != 400 {
		t.Fatalf("the crashed store's log holds %d deliveries, the original %d; want 400", len(gotLog), len(wantLog))
	}
	for i := range gotLog {
		if gotLog[i].ID != wantLog[i].ID || gotLog[i].Outcome != wantLog[i].Outcome || string(gotLog[i].Body) != string(wantLog[i].Body) {
			t.Fatalf("delivery %d reads back as %+v, want %+v", i, gotLog[i], wantLog[i])
		}
	}
	waitFor(t, "the WAL copied into the database", func() bool { return r.CheckpointStats().Moved > 0 })
	if got := sizeOf(t, crashed); got <= dbSize {
		t.Errorf("the database file did not grow (%d → %d bytes) after the first checkpoint", dbSize, got)
	}
}

// TestCheckpointFailuresAreLoggedOnce: a run of failing checkpoints is one
// error line, not one per attempt, and the recovery is one more line.
func TestCheckpointFailuresAreLoggedOnce(t *testing.T) {
	s := openTestStore(t)
	useCheckpointer(t, s, 0, 0)
	c, err := startCheckpointer(context.Background(), s.path, 1<<40, checkpointRestartFrames, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	c.logger.Store(slog.New(slog.NewTextHandler(&logged, nil)))
	waitFor(t, "the first checkpoint", func() bool { return c.statsNow().Runs >= 1 })
	if err := c.close(); err != nil { // its connection is gone: every checkpoint fails
		t.Fatal(err)
	}
	for range 3 {
		c.checkpoint()
	}
	if st := c.statsNow(); st.Failures != 3 {
		t.Errorf("failures = %d, want 3", st.Failures)
	}
	if n := strings.Count(logged.String(), "level=ERROR"); n != 1 {
		t.Errorf("%d error lines for 3 failures, want 1:\n%s", n, logged.String())
	}
	if c.db, err = sql.Open("sqlite3", dsn(s.path, checkpointParams)); err != nil {
		t.Fatal(err)
	}
	defer c.db.Close()
	c.checkpoint()
	c.checkpoint()
	if n := strings.Count(logged.String(), "level=INFO"); n != 1 {
		t.Errorf("%d lines after recovering, want 1:\n%s", n, logged.String())
	}
}

// TestTheWALRestartsUnderSteadyLoad: under load that never pauses, the
// writer finishes what the background checkpoint left, so the WAL starts
// over and its file stays small (400 deliveries with no checkpoint leave
// over 4 MB: TestAStoreLeftWithABigWALOpensAndReadsRight).
func TestTheWALRestartsUnderSteadyLoad(t *testing.T) {
	s := openTestStore(t)
	useCheckpointerRestart(t, s, 20, 200, time.Hour)
	ds := realisticDeliveries(t, "steady", 400)
	var wg sync.WaitGroup
	for w := range 8 { // concurrent callers: group commit, as the listener
		wg.Go(func() {
			for i := w; i < len(ds); i += 8 {
				if _, err := s.RecordDelivery(context.Background(), ds[i]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := s.CheckpointStats()
	if st.Runs < 5 || st.Failures != 0 {
		t.Errorf("checkpoints: %+v, want at least 5 and no failure", st)
	}
	// With no restart the file holds about 16 MB; with restarts, what the
	// commits between two of them wrote, which a busy machine stretches
	// past 4 MB.
	if got := sizeOf(t, s.path+"-wal"); got > 8<<20 {
		t.Errorf("the WAL file holds %d bytes after 400 deliveries (checkpoints %+v): it did not restart", got, st)
	}
}

// TestTheWALShrinksAfterABurst: after a burst left a WAL larger than
// journal_size_limit, the checkpoint after the delay copies it whole, and
// the next commit starts it over and cuts the file back to the limit.
func TestTheWALShrinksAfterABurst(t *testing.T) {
	s := openTestStore(t)
	const limit = 256 << 10
	if _, err := s.conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA journal_size_limit = %d", limit)); err != nil {
		t.Fatal(err)
	}
	useCheckpointer(t, s, 0, 0) // the burst: nothing copied
	ds := realisticDeliveries(t, "burst", 201)
	record(t, s, ds[:200]...)
	if got := sizeOf(t, s.path+"-wal"); got < 4*limit {
		t.Fatalf("the burst left a WAL of %d bytes; the test wants a large one", got)
	}
	useCheckpointer(t, s, 1<<40, 10*time.Millisecond)
	waitFor(t, "the WAL copied whole", func() bool {
		st := s.CheckpointStats()
		return st.Moved > 0 && st.Moved == st.WALFrames
	})
	record(t, s, ds[200])
	if got := sizeOf(t, s.path+"-wal"); got > limit {
		t.Errorf("after the burst the WAL file holds %d bytes, want at most %d", got, limit)
	}
}
