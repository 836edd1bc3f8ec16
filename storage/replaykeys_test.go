package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// replayKeysHeld is the writer's set of replay keys, sorted, read inside the
// writer's goroutine (which owns it).
func replayKeysHeld(t *testing.T, s *Store) []string {
	t.Helper()
	var keys []string
	if err := s.exec(context.Background(), func(context.Context, *sql.Conn) error {
		for k := range s.w.replay.keys {
			keys = append(keys, k)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestAReplayIsADuplicateAfterARestart: the keys are read back from the log
// at Open, so a replay after a restart is still a duplicate of the first
// delivery, a replay of that duplicate too, and a key older than the window
// at the restart is not read back.
func TestAReplayIsADuplicateAfterARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	stale, d := simpleDelivery(t, "stale"), simpleDelivery(t, "a")
	d.ReceivedAt = testT0.Add(ReplayKeyRetention + ReplayKeyRetention/replayKeyBuckets + time.Second)
	s := openAt(t, path)
	record(t, s, stale)
	first := record(t, s, d)[0]
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		s = openAt(t, path)
		// Open read them (the writer has run nothing yet) …
		if n := s.w.replay.len(); n != 1 {
			t.Errorf("open #%d read back %d replay keys, want the one inside the window", i+2, n)
		}
		// … and holds them.
		if keys := replayKeysHeld(t, s); !slices.Equal(keys, []string{d.ReplayKey}) {
			t.Errorf("open #%d read back %d replay keys, want the one inside the window", i+2, len(keys))
		}
		again := d
		again.ReceivedAt = d.ReceivedAt.Add(time.Duration(i+1) * time.Minute) // a replay, minutes later
		if rec := record(t, s, again)[0]; rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != first.ID {
			t.Errorf("open #%d: a replay is %s of #%d, want a duplicate of #%d", i+2, rec.Outcome, rec.DuplicateOf, first.ID)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// The original pruned, its duplicates still name it and still catch a replay.
	s = openAt(t, path)
	if _, err := s.PruneDeliveries(context.Background(), d.ReceivedAt.Add(time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	defer s.Close()
	if rec := record(t, s, d)[0]; rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != first.ID {
		t.Errorf("with the original pruned, a replay is %s of #%d, want a duplicate of #%d", rec.Outcome, rec.DuplicateOf, first.ID)
	}
}

// TestAFailedDeliveryLeavesNoKey: a delivery whose apply fails is rolled
// back (its neighbours commit) and logged as failed; its key is not taken,
// so Calendly's retry with the same signature is applied, not a duplicate.
// A batch SQLite rolls back whole leaves none of its keys either.
func TestAFailedDeliveryLeavesNoKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	s := openAt(t, path)
	defer s.Close()
	raw, err := sql.Open("sqlite3", dsn(path, writeParams))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER poison BEFORE INSERT ON recipients WHEN NEW.key LIKE '%poison%'
		BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`); err != nil {
		t.Fatal(err)
	}
	ds := []IncomingDelivery{simpleDelivery(t, "good1"), simpleDelivery(t, "poison"), simpleDelivery(t, "good2")}
	results := recordInOneBatch(t, s, ds)
	if results[0].err != nil || results[1].err == nil || results[2].err != nil {
		t.Fatalf("results %v, %v, %v; want the poisoned one alone to fail", results[0].err, results[1].err, results[2].err)
	}
	want := []string{ds[0].ReplayKey, ds[2].ReplayKey}
	slices.Sort(want)
	if keys := replayKeysHeld(t, s); !slices.Equal(keys, want) {
		t.Errorf("replay keys held: %d, want the two committed ones", len(keys))
	}
	if _, err := raw.Exec(`DROP TRIGGER poison`); err != nil {
		t.Fatal(err)
	}
	if rec := record(t, s, ds[1])[0]; rec.Outcome != OutcomeApplied {
		t.Errorf("the failed delivery sent again: %s, want applied", rec.Outcome)
	}
	if rec := record(t, s, ds[0])[0]; rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != results[0].record.ID {
		t.Errorf("a replay of its neighbour: %s of #%d, want a duplicate of #%d", rec.Outcome, rec.DuplicateOf, results[0].record.ID)
	}

	// A batch SQLite rolls back whole (as on a full disk) after its first
	// item took its key: nothing it took is kept.
	before := replayKeysHeld(t, s)
	ds = []IncomingDelivery{simpleDelivery(t, "lost1"), simpleDelivery(t, "lost2")}
	if _, err := raw.Exec(`CREATE TRIGGER refuse_commit BEFORE INSERT ON deliveries WHEN NEW.event_uri LIKE '%lost2%'
		BEGIN SELECT RAISE(ROLLBACK, 'disk on fire'); END`); err != nil {
		t.Fatal(err)
	}
	for _, res := range recordInOneBatch(t, s, ds) {
		if res.err == nil {
			t.Fatal("a batch SQLite rolled back reported success")
		}
	}
	if keys := replayKeysHeld(t, s); !slices.Equal(keys, before) {
		t.Errorf("after a batch rolled back whole the set holds %d keys, want the %d it held", len(keys), len(before))
	}
}

// recordInOneBatch queues ds while the writer is held inside a write, so
// they make one batch, and returns what each was answered.
func recordInOneBatch(t *testing.T, s *Store, ds []IncomingDelivery) []writeResult {
	t.Helper()
	release := holdWriter(t, s)
	reqs := make([]*writeRequest, len(ds))
	for i := range ds {
		d, err := prepareIncoming(ds[i])
		if err != nil {
			t.Fatal(err)
		}
		reqs[i] = &writeRequest{delivery: &d, result: make(chan writeResult, 1)}
		if err := s.w.enqueue(context.Background(), reqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	release()
	out := make([]writeResult, len(reqs))
	for i, r := range reqs {
		out[i] = <-r.result
	}
	return out
}

// TestReplayKeysStayBounded: a flood of distinct signatures, one a second
// of the listener's clock, leaves the set holding the window's keys only.
func TestReplayKeysStayBounded(t *testing.T) {
	s := openTestStore(t)
	const n = 800 // seconds of deliveries, over two windows
	body := simpleDelivery(t, "flood").Body
	ds := make([]IncomingDelivery, n)
	for i := range ds {
		ds[i] = signedDelivery(t, body, testT0.Add(time.Duration(i)*time.Second))
	}
	record(t, s, ds...)
	most := int(ReplayKeyRetention/time.Second) + int(ReplayKeyRetention/replayKeyBuckets/time.Second) + 1
	if held := len(replayKeysHeld(t, s)); held > most || held < int(ReplayKeyRetention/time.Second) {
		t.Errorf("after %d signatures a second apart the set holds %d keys, want the window's (%d to %d)", n, held, int(ReplayKeyRetention/time.Second), most)
	}
	// The same bound without the database, for a hundred thousand keys.
	r := newReplayKeys(ReplayKeyRetention)
	for i := range 100_000 {
		r.add(fmt.Sprint(i), int64(i+1), testT0.Add(time.Duration(i)*10*time.Millisecond))
		if i%64 == 63 {
			r.commit()
		}
	}
	r.commit()
	if held, window := r.len(), int(ReplayKeyRetention/(10*time.Millisecond)); held > window+window/replayKeyBuckets+1 || len(r.buckets) > replayKeyBuckets+2 {
		t.Errorf("100,000 keys, 100 a second: the set holds %d keys in %d buckets, want about %d in at most %d", held, len(r.buckets), window, replayKeyBuckets+2)
	}
}

// TestAnotherWriterIsReadBack: a second store on the same file (another
// process writing without the listener's lock, say a demo given the same
// --home) takes a signature; the first store's next batch reads its row
// back and answers the replay as a duplicate, and the other way round.
func TestAnotherWriterIsReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	a, b := openAt(t, path), openAt(t, path)
	defer a.Close()
	defer b.Close()
	d, e := simpleDelivery(t, "a"), simpleDelivery(t, "b")
	first := record(t, b, d)[0]
	if rec := record(t, a, d)[0]; rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != first.ID {
		t.Errorf("a replay to the other store: %s of #%d, want a duplicate of #%d", rec.Outcome, rec.DuplicateOf, first.ID)
	}
	firstE := record(t, a, e)[0]
	if rec := record(t, b, e)[0]; rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != firstE.ID {
		t.Errorf("and back: %s of #%d, want a duplicate of #%d", rec.Outcome, rec.DuplicateOf, firstE.ID)
	}
	// The other empties the log (deliveries prune --older-than 0), so its
	// next row takes an id the first store has seen before.
	if _, err := b.PruneDeliveries(context.Background(), testT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f := simpleDelivery(t, "f")
	firstF := record(t, b, f)[0]
	if rec := record(t, a, f)[0]; rec.Outcome != OutcomeDuplicate || rec.DuplicateOf != firstF.ID {
		t.Errorf("after the log was emptied and refilled by the other: %s of #%d, want a duplicate of #%d", rec.Outcome, rec.DuplicateOf, firstF.ID)
	}
}

// TestReplayKeysAreReadThroughAnIndex: Open reads the window's rows through
// the received_at index and a refresh reads the rows after the last one by
// id: neither reads the whole log, which holds a month of bodies.
func TestReplayKeysAreReadThroughAnIndex(t *testing.T) {
	s := openTestStore(t)
	record(t, s, simpleDelivery(t, "a"))
	args := []any{storedTime(testT0), 1}
	for _, q := range []struct{ name, sql, want string }{
		{"Open's", sqlLoadReplayKeys, "USING INDEX deliveries_received (received_at>?)"},
		{"a refresh's", sqlLoadNewReplayKeys, "USING INTEGER PRIMARY KEY (rowid>?)"},
	} {
		plan := strings.Join(queryPlan(t, s, q.sql, args), "; ")
		if !strings.Contains(plan, q.want) || strings.Contains(plan, "SCAN") {
			t.Errorf("%s read of the replay keys: %s; want a search %s", q.name, plan, q.want)
		}
	}
}
