package backfill

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

// TestBackfillMatchesTheAPI: a backfill of a seeded history stores exactly
// what the API lists in the window, and moves the cursor.
func TestBackfillMatchesTheAPI(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{testToken}, Seed: 11})
	defer emu.Close()
	store := openStore(t)
	user := emu.DefaultUser().URI
	client := newClient(t, emu, testToken)
	events := make(chan Event, 1024)
	syncer := newSyncer(t, client, store, user, func(o *Options) { o.Events = events })

	before := time.Now()
	stats, err := syncer.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	since := before.Add(-DefaultWindow)
	n := requireSameAsAPI(t, client, store, user, since)
	if n == 0 || stats.EventsListed != n || stats.EventsRead != n {
		t.Errorf("stats = %+v; the API lists %d events, all new, so all should be listed and read", stats, n)
	}
	cursor, err := store.SyncCursor(context.Background(), user)
	if err != nil {
		t.Fatalf("SyncCursor: %v", err)
	}
	if cursor.LastStartedAt.Before(before) || cursor.EventsListed != n || cursor.WindowStart.After(since.Add(time.Minute)) {
		t.Errorf("cursor = %+v, want started after %v with %d events from about %v", cursor, before, n, since)
	}

	close(events)
	var first Event
	var last Event
	var progress Progress
	for e := range events {
		if first == nil {
			first = e
		}
		last = e
		if p, ok := e.(Progress); ok {
			progress = p
		}
	}
	if s, ok := first.(Started); !ok || s.Kind != KindBackfill {
		t.Errorf("first event = %#v, want Started backfill", first)
	}
	if f, ok := last.(Finished); !ok || f.Err != nil || f.Stats.EventsRead != stats.EventsRead || f.Kind != KindBackfill {
		t.Errorf("last event = %#v, want Finished backfill with the run's stats", last)
	}
	if !progress.ListingDone || progress.Done != progress.Queued || progress.Listed != n {
		t.Errorf("last progress = %+v, want listing done, %d listed, all queued done", progress, n)
	}
}

// TestCatchUpAfterDowntime: bookings, a cancel, a reschedule, a no-show and
// a no-show removal made while calwatch was stopped (no webhook reached it)
// are in the store after the next catch-up, which reads only what changed
// or may have a new no-show.
func TestCatchUpAfterDowntime(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{testToken}, Seed: 5})
	defer emu.Close()
	store := openStore(t)
	user := emu.DefaultUser().URI
	client := newClient(t, emu, testToken)

	now := time.Now()
	book := func(email string, start time.Time) calendlytest.BookResult {
		t.Helper()
		r, err := emu.Book(calendlytest.BookRequest{Email: email, Name: "Test " + email, StartTime: start})
		if err != nil {
			t.Fatalf("Book: %v", err)
		}
		return r
	}
	toCancel := book("cancel@example.com", now.Add(48*time.Hour))
	toMove := book("move@example.com", now.Add(72*time.Hour))
	noShow := book("noshow@example.com", now.Add(-3*time.Hour))
	unmark := book("unmark@example.com", now.Add(-5*time.Hour))
	if err := emu.MarkNoShow(unmark.Invitee); err != nil {
		t.Fatal(err)
	}
	syncer := newSyncer(t, client, store, user, nil)
	first, err := syncer.Run(context.Background())
	if err != nil {
		t.Fatalf("backfill: %v", err)
	}
	if _, inv := storeState(t, store, time.Time{}); !inv[unmark.Invitee].noShow {
		t.Fatal("the backfill did not store the no-show marked before it")
	}

	// calwatch is stopped; Calendly changes.
	booked := book("new@example.com", now.Add(24*time.Hour))
	if err := emu.Cancel(calendlytest.CancelRequest{Invitee: toCancel.Invitee}); err != nil {
		t.Fatal(err)
	}
	moved, err := emu.Reschedule(calendlytest.RescheduleRequest{Invitee: toMove.Invitee})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.MarkNoShow(noShow.Invitee); err != nil {
		t.Fatal(err)
	}
	if err := emu.RemoveNoShow(unmark.Invitee); err != nil {
		t.Fatal(err)
	}

	stats, err := syncer.Run(context.Background())
	if err != nil {
		t.Fatalf("catch-up: %v", err)
	}
	requireSameAsAPI(t, client, store, user, now.Add(-DefaultWindow))
	_, inv := storeState(t, store, time.Time{})
	for name, check := range map[string]bool{
		"the booking":          inv[booked.Invitee].status == calendly.StatusActive,
		"the cancel":           inv[toCancel.Invitee].status == calendly.StatusCanceled,
		"the reschedule's old": inv[toMove.Invitee].status == calendly.StatusCanceled,
		"the reschedule's new": inv[moved.Invitee].status == calendly.StatusActive,
		"the no-show":          inv[noShow.Invitee].noShow,
		"the no-show removal":  !inv[unmark.Invitee].noShow,
	} {
		if !check {
			t.Errorf("%s made while stopped is not in the store after catch-up", name)
		}
	}
	if stats.EventsRead >= first.EventsRead || stats.EventsRead < 5 {
		t.Errorf("catch-up read the invitees of %d events (backfill: %d); want the 3 changed and the recent meetings only", stats.EventsRead, first.EventsRead)
	}
	var moves []*string
	evs, _ := store.ListEvents(context.Background(), storage.EventFilter{})
	for _, ev := range evs {
		for _, i := range ev.Invitees {
			if i.URI == moved.Invitee {
				moves = append(moves, i.RescheduledFrom)
			}
		}
	}
	if len(moves) != 1 || moves[0] == nil || *moves[0] != toMove.Invitee {
		t.Errorf("the rescheduled invitee's link = %v, want it to come from %s", moves, toMove.Invitee)
	}
}

// TestBackfillWaitsOutTheRateLimit: against an emulator that allows a few
// requests a minute, the sync waits for each reset (on its clock) and
// completes instead of failing.
func TestBackfillWaitsOutTheRateLimit(t *testing.T) {
	clock := &fakeClock{t: time.Now()}
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{testToken, checkToken}, Seed: 3, RateLimit: 7, Now: clock.Now})
	defer emu.Close()
	store := openStore(t)
	user := emu.DefaultUser().URI
	var slept atomic.Int64
	syncer := newSyncer(t, newClient(t, emu, testToken), store, user, func(o *Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			if d <= 0 || d > time.Minute+time.Second {
				t.Errorf("asked to wait %v, want a wait within the one-minute window", d)
			}
			slept.Add(1)
			clock.Advance(d)
			return ctx.Err()
		}
	})
	stats, err := syncer.Run(context.Background())
	if err != nil {
		t.Fatalf("Run under a rate limit: %v", err)
	}
	if stats.RateLimitWaits == 0 || slept.Load() == 0 {
		t.Errorf("stats = %+v after %d sleeps; the limit of 7 a minute must have made it wait", stats, slept.Load())
	}
	checker := newClient(t, emu, checkToken, calendly.WithHTTPClient(&http.Client{Transport: windowSkipper{clock}}))
	if n := requireSameAsAPI(t, checker, store, user, clock.Now().Add(-DefaultWindow-time.Hour)); n <= 7 {
		t.Errorf("only %d events; the test needs more than the limit", n)
	}
}

// TestA429IsWaitedOutNotReturned: a 429 with X-RateLimit-Reset pauses the
// sync for that long and the request is tried again.
func TestA429IsWaitedOutNotReturned(t *testing.T) {
	var calls atomic.Int32
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.Header().Set("X-RateLimit-Limit", "100")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "42")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"title":"Too Many Requests","message":"slow down"}`))
			return
		}
		w.Write([]byte(`{"collection":[],"pagination":{"count":0,"next_page_token":null}}`))
	}))
	defer stub.Close()
	client, err := calendly.NewClient(calendly.StaticToken("t"), calendly.WithBaseURL(stub.URL))
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	var mu sync.Mutex
	syncer := newSyncer(t, client, openStore(t), "https://api.calendly.com/users/u1", func(o *Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return nil
		}
	})
	if _, err := syncer.Run(context.Background()); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(waits) != 1 || waits[0] < 40*time.Second || waits[0] > 42*time.Second {
		t.Errorf("waits = %v, want one of about 42s (X-RateLimit-Reset)", waits)
	}
	if calls.Load() != 2 {
		t.Errorf("the list was asked %d times, want 2 (the 429, then again)", calls.Load())
	}
}

// TestProgressNeverBlocksTheSync: nobody reads the events channel and the
// sync still completes; what is left unread is the latest state.
func TestProgressNeverBlocksTheSync(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{testToken}, Seed: 2})
	defer emu.Close()
	events := make(chan Event, 1)
	syncer := newSyncer(t, newClient(t, emu, testToken), openStore(t), emu.DefaultUser().URI, func(o *Options) { o.Events = events })
	done := make(chan error, 1)
	go func() { _, err := syncer.Run(context.Background()); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the sync blocked on an unread events channel")
	}
	if f, ok := (<-events).(Finished); !ok || f.Err != nil {
		t.Errorf("the one unread event is %#v, want the Finished one", f)
	}
}

// TestPollCatchesUpEachRound: polling runs the catch-up on every tick, and
// ends without error when its context does.
func TestPollCatchesUpEachRound(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{testToken}})
	defer emu.Close()
	store := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var booked calendlytest.BookResult
	rounds := 0
	events := make(chan Event, 64)
	syncer := newSyncer(t, newClient(t, emu, testToken), store, emu.DefaultUser().URI, func(o *Options) {
		o.Events = events
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			rounds++
			if d != 5*time.Second {
				t.Errorf("poll waited %v, want the interval 5s", d)
			}
			if rounds == 1 { // between the first and second round
				var err error
				if booked, err = emu.Book(calendlytest.BookRequest{Email: "late@example.com", Name: "Late"}); err != nil {
					t.Error(err)
				}
				return nil
			}
			cancel()
			return ctx.Err()
		}
	})
	if err := syncer.Poll(ctx, 5*time.Second); err != nil {
		t.Fatalf("Poll ended with %v, want nil on cancel", err)
	}
	if _, inv := storeState(t, store, time.Time{}); inv[booked.Invitee].status != calendly.StatusActive {
		t.Errorf("a booking made between poll rounds is not in the store")
	}
	close(events)
	finished := 0
	for e := range events {
		if f, ok := e.(Finished); ok && f.Kind == KindPoll && f.Err == nil {
			finished++
		}
	}
	if finished != 2 {
		t.Errorf("%d poll rounds finished, want 2", finished)
	}
}

// TestASyncFailureIsReportedAndLeavesTheCursor: a sync that cannot list
// says why, and does not move the cursor.
func TestASyncFailureIsReportedAndLeavesTheCursor(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{testToken}})
	defer emu.Close()
	store := openStore(t)
	user := emu.DefaultUser().URI
	syncer := newSyncer(t, newClient(t, emu, "not-a-token"), store, user, nil)
	_, err := syncer.Run(context.Background())
	if !errors.Is(err, calendly.ErrUnauthenticated) || !strings.Contains(err.Error(), "listing scheduled events") {
		t.Errorf("err = %v, want an unauthenticated error that says what failed", err)
	}
	if _, err := store.SyncCursor(context.Background(), user); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a failed sync moved the cursor: %v", err)
	}
}

func TestNewRefusesIncompleteOptions(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{testToken}})
	defer emu.Close()
	client := newClient(t, emu, testToken)
	for name, opts := range map[string]Options{
		"no owner":             {},
		"negative concurrency": {User: "u", Concurrency: -1},
	} {
		if _, err := New(client, openStore(t), opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestEventsReadAsOneLine(t *testing.T) {
	for _, e := range []Event{
		Started{Kind: KindBackfill, Since: time.Now()},
		Progress{Kind: KindCatchUp, Listed: 120, Queued: 20, Done: 14},
		RateLimited{Until: time.Now().Add(42 * time.Second), Wait: 42 * time.Second},
		Finished{Kind: KindPoll, Stats: Stats{EventsListed: 3}},
		Finished{Kind: KindPoll, Err: errors.New("boom")},
	} {
		s := e.(interface{ String() string }).String()
		if s == "" || strings.Contains(s, "\n") {
			t.Errorf("%#v reads %q, want one line", e, s)
		}
	}
	if s := (Progress{Kind: KindCatchUp, Listed: 120, Queued: 20, Done: 14}).String(); !strings.Contains(s, "14 of 20") {
		t.Errorf("progress reads %q, want it to say 14 of 20", s)
	}
	if s := (RateLimited{Wait: 42 * time.Second}).String(); !strings.Contains(s, "42s") {
		t.Errorf("rate limit reads %q, want the wait", s)
	}
}

// TestPollSweepsRecentMeetingsLessOften: a catch-up on start re-reads the
// meetings that just ended (for no-shows); a poll round right after does
// not, so polling each minute does not re-read a week of meetings each
// minute.
func TestPollSweepsRecentMeetingsLessOften(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{testToken}})
	defer emu.Close()
	if _, err := emu.Book(calendlytest.BookRequest{Email: "past@example.com", Name: "Past", StartTime: time.Now().Add(-2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	syncer := newSyncer(t, newClient(t, emu, testToken), openStore(t), emu.DefaultUser().URI, func(o *Options) {
		o.Events = events
		o.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	})
	if _, err := syncer.Run(ctx); err != nil {
		t.Fatal(err)
	}
	catchUp, err := syncer.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if catchUp.EventsRead != 1 {
		t.Errorf("a catch-up read %d events, want the 1 meeting that just ended", catchUp.EventsRead)
	}
	if err := syncer.Poll(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	close(events)
	var poll *Finished
	for e := range events {
		if f, ok := e.(Finished); ok && f.Kind == KindPoll {
			poll = &f
		}
	}
	if poll == nil || poll.Err != nil || poll.Stats.EventsRead != 0 || poll.Stats.EventsListed != 1 {
		t.Errorf("the poll round right after = %+v; want 1 event listed and none read", poll)
	}
}
