package storage

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func simpleDelivery(t *testing.T, id string) IncomingDelivery {
	ev := newEvent(id, testT0, 1)
	return signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(ev, id, id+"@example.com", id, testT0), ev), testT0)
}

// TestABadItemFailsAlone: in one batch, a delivery the database rejects is
// rolled back and logged as failed; its neighbours, before and after it,
// commit exactly once.
func TestABadItemFailsAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
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
	// Hold the writer inside a write while the three are queued, so they
	// make one batch.
	inside, release := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.exec(context.Background(), func(context.Context, *sql.Conn) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside
	ds := []IncomingDelivery{simpleDelivery(t, "good1"), simpleDelivery(t, "poison"), simpleDelivery(t, "good2")}
	reqs := make([]*writeRequest, len(ds))
	for i := range ds {
		reqs[i] = &writeRequest{delivery: &ds[i], result: make(chan writeResult, 1)}
		if err := s.w.enqueue(context.Background(), reqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	for i, r := range reqs {
		res := <-r.result
		if (res.err != nil) != (i == 1) {
			t.Errorf("item %d: err = %v", i, res.err)
		}
	}
	var uris []string
	for _, ev := range mustEvents(t, s, EventFilter{}) {
		uris = append(uris, ev.URI)
	}
	if strings.Join(uris, " ") != eventURI("good1")+" "+eventURI("good2") {
		t.Errorf("events = %v, want good1 and good2 only", uris)
	}
	log, err := s.ListDeliveries(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 || log[1].Outcome != OutcomeFailed || !strings.Contains(log[1].Reason, "poisoned row") {
		t.Errorf("log = %+v", log)
	}
}

// TestRefusedRequestsCannotHoldUpDeliveries: while the writer is busy, a
// flood of refused requests is turned away at once instead of queuing
// without bound, and an accepted delivery queued behind them is written
// before every one of them.
func TestRefusedRequestsCannotHoldUpDeliveries(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	// A write that holds the writer inside its transaction until released.
	inside, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = s.exec(ctx, func(context.Context, *sql.Conn) error {
			close(inside)
			<-release
			return nil
		})
	}()
	<-inside

	refusedIDs := make(chan int64, refusedQueueLen+1)
	queued, full := 0, false
	for range refusedQueueLen + 1 {
		refused := refusedRecord(RefusedDelivery{ReceivedAt: testT0, Reason: "bad signature"})
		req := &writeRequest{refused: &refused, result: make(chan writeResult, 1)}
		if err := s.w.enqueue(ctx, req); errors.Is(err, ErrRefusedLogFull) {
			full = true
			break
		} else if err != nil {
			t.Fatal(err)
		}
		queued++
		go func() { refusedIDs <- (<-req.result).record.ID }()
	}
	if !full || queued != refusedQueueLen {
		t.Fatalf("queued %d refused requests (full: %v), want the queue of %d to fill and then refuse", queued, full, refusedQueueLen)
	}
	accepted := make(chan DeliveryRecord, 1)
	go func() {
		rec, err := s.RecordDelivery(ctx, simpleDelivery(t, "accepted"))
		if err != nil {
			t.Errorf("RecordDelivery: %v", err)
		}
		accepted <- rec
	}()
	waitFor(t, "the delivery to queue", func() bool { return len(s.w.accepted) == 1 })
	close(release)
	rec := <-accepted
	if rec.Outcome != OutcomeApplied {
		t.Fatalf("accepted delivery = %+v", rec)
	}
	for range queued {
		if id := <-refusedIDs; id < rec.ID {
			t.Errorf("refused request #%d was written before the accepted delivery #%d", id, rec.ID)
		}
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSubscribersHearOfCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	changed, stop := s.Subscribe()
	other, _ := s.Subscribe()
	select {
	case <-changed:
		t.Fatal("notified before any write")
	default:
	}
	record(t, s, simpleDelivery(t, "a"))
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no notification after a commit")
	}
	stop()
	if _, open := <-changed; open {
		t.Error("channel still open after stop")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range other { // drains a pending value, then must end: Close closes it
	}
}

func TestApplyScheduledEventUsesTheSameRules(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("grp", testT0, 5)
	ann := newInvitee(ev, "ann", "ann@example.com", "Ann", testT0)
	bobAt := testT0.Add(time.Hour)
	bob := cancelInvitee(newInvitee(ev, "bob", "bob@example.com", "Bob", testT0), bobAt)
	if err := s.ApplyScheduledEvent(ctx, *ev, []calendly.Invitee{*ann, *bob}); err != nil {
		t.Fatal(err)
	}
	// The webhook for Bob's booking, older than what the backfill read.
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(ev, "bob", "bob@example.com", "Bob", testT0), ev), testT0))
	evs := mustEvents(t, s, EventFilter{})
	if len(evs) != 1 || len(evs[0].Invitees) != 2 || evs[0].Invitees[1].Status != "canceled" {
		t.Fatalf("events = %+v", evs)
	}
	if c := mustContact(t, s, "bob@example.com"); c.Cancellations != 1 || c.Bookings != 1 {
		t.Errorf("bob = %+v", c.ContactView)
	}
	log, _ := s.ListDeliveries(ctx, 0)
	if len(log) != 1 {
		t.Errorf("backfill wrote %d log rows, want only the webhook's", len(log)-1)
	}
	if err := s.ApplyScheduledEvent(ctx, calendly.ScheduledEvent{}, nil); err == nil {
		t.Error("an event without uri was accepted")
	}
}

// TestCloseReturns: Close returns, on an idle store and right after a write.
// (A writer that saw its refused queue closed before the accepted one once
// hung here; that race is timing-dependent, the rapid test hit it too.)
func TestCloseReturns(t *testing.T) {
	dir := t.TempDir()
	for i := range 20 {
		s, err := Open(context.Background(), filepath.Join(dir, "calwatch.db"))
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			record(t, s, simpleDelivery(t, "x"))
		}
		closed := make(chan error, 1)
		go func() { closed <- s.Close() }()
		select {
		case err := <-closed:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("Close #%d did not return", i)
		}
	}
}

// holdWriter keeps the writer inside a write until the returned release is
// called, so what is queued meanwhile makes one batch.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	inside, released := make(chan struct{}), make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- s.exec(context.Background(), func(context.Context, *sql.Conn) error {
			close(inside)
			<-released
			return nil
		})
	}()
	<-inside
	return func() {
		close(released)
		if err := <-held; err != nil {
			t.Errorf("the holding write failed: %v", err)
		}
	}
}

// TestAQueuedWriteAnswersWhatHappened: a caller whose context ends after
// its delivery was queued still gets the real outcome, because the write
// still commits; before, it got a timeout (and the listener a 500) for a
// delivery that was stored.
func TestAQueuedWriteAnswersWhatHappened(t *testing.T) {
	s := openTestStore(t)
	release := holdWriter(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	type answer struct {
		rec DeliveryRecord
		err error
	}
	answered := make(chan answer, 1)
	go func() {
		rec, err := s.RecordDelivery(ctx, simpleDelivery(t, "late"))
		answered <- answer{rec, err}
	}()
	waitFor(t, "the delivery to queue", func() bool { return len(s.w.accepted) == 1 })
	cancel()
	release()
	got := <-answered
	if got.err != nil || got.rec.Outcome != OutcomeApplied || got.rec.ID == 0 {
		t.Fatalf("RecordDelivery = %+v, %v; want the committed outcome, applied", got.rec, got.err)
	}
	if evs := mustEvents(t, s, EventFilter{}); len(evs) != 1 {
		t.Errorf("%d events stored, want the 1 delivery", len(evs))
	}
}

// TestABatchWhoseTransactionIsGoneFailsWhole: when SQLite rolls the whole
// transaction back in the middle of a batch (disk full, I/O error; here a
// trigger's RAISE(ROLLBACK)), every item of the batch fails and nothing of
// it is stored. Before, the items after the bad one committed one by one
// in autocommit mode while their callers were told they had failed.
func TestABatchWhoseTransactionIsGoneFailsWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	raw, err := sql.Open("sqlite3", dsn(path, writeParams))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`CREATE TRIGGER disk_full BEFORE INSERT ON recipients WHEN NEW.key LIKE '%full%'
		BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full (simulated)'); END`); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, s)
	ds := []IncomingDelivery{simpleDelivery(t, "good1"), simpleDelivery(t, "full"), simpleDelivery(t, "good2")}
	reqs := make([]*writeRequest, len(ds))
	for i := range ds {
		reqs[i] = &writeRequest{delivery: &ds[i], result: make(chan writeResult, 1)}
		if err := s.w.enqueue(context.Background(), reqs[i]); err != nil {
			t.Fatal(err)
		}
	}
	release()
	for i, r := range reqs {
		if res := <-r.result; res.err == nil {
			t.Errorf("item %d succeeded (%+v) although its transaction was rolled back", i, res.record)
		}
	}
	if evs := mustEvents(t, s, EventFilter{}); len(evs) != 0 {
		t.Errorf("%d events stored from a batch that failed whole, want none", len(evs))
	}
	if log, err := s.ListDeliveries(context.Background(), 0); err != nil || len(log) != 0 {
		t.Errorf("delivery log holds %d rows (%v); want nothing from the failed batch", len(log), err)
	}
	// The writer goes on: the next delivery commits normally.
	if rec := record(t, s, simpleDelivery(t, "after"))[0]; rec.Outcome != OutcomeApplied {
		t.Errorf("next delivery = %+v", rec)
	}
}
