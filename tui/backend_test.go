package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/fixture"
)

// nextEvent is the hub's next event, failing the test when none comes.
func nextEvent(t *testing.T, h *Hub) Event {
	t.Helper()
	select {
	case ev := <-h.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
		return nil
	}
}

// TestHubNeverBlocksAndFoldsWhatItDropped: a lagging TUI makes Publish
// fold ten dropped deliveries into at most two owed StoreChanged, which
// arrive as soon as the TUI makes room, and before what is published
// after them.
func TestHubNeverBlocksAndFoldsWhatItDropped(t *testing.T) {
	h := NewHub(nil, Connection{})
	for range cap(h.events) + 10 {
		h.Publish(DeliveryCommitted{})
	}
	for range cap(h.events) {
		nextEvent(t, h)
	}
	if ev, ok := nextEvent(t, h).(StoreChanged); !ok {
		t.Errorf("after drops the hub should send what it owes, a StoreChanged, got %#v", ev)
	}
	// The sender may have taken the owed re-read while later deliveries
	// were still being published; they are then owed as a second one,
	// because the first may reach the TUI before their commits.
	h.Publish(TunnelState{State: "online"})
	ev := nextEvent(t, h)
	if _, ok := ev.(StoreChanged); ok {
		ev = nextEvent(t, h)
	}
	if ts, ok := ev.(TunnelState); !ok || ts.State != "online" {
		t.Errorf("then at most one more re-read and the event published after the lag, got %#v", ev)
	}
	h.Close()
	h.Publish(StoreChanged{}) // must not panic on a closed hub
}

// TestHubOwesTheLatestStateItCouldNotSend: a backfill's last progress,
// published while the TUI lagged, still arrives (the status bar would
// otherwise say "backfill 1/10" for good), the latest of each kind only,
// and nothing more.
func TestHubOwesTheLatestStateItCouldNotSend(t *testing.T) {
	h := NewHub(nil, Connection{})
	for range cap(h.events) {
		h.Publish(DeliveryCommitted{})
	}
	h.Publish(BackfillProgress{Done: 1, Total: 10})
	h.Publish(Subscription{State: "active"})
	h.Publish(BackfillProgress{Done: 10, Total: 10})
	h.Publish(DeliveryCommitted{})
	h.Publish(DeliveryCommitted{Record: storage.DeliveryRecord{ID: 7}})
	for range cap(h.events) {
		nextEvent(t, h)
	}
	// The deliveries published during the lag are one owed re-read; the
	// first progress may already be on its way when the last replaces
	// what is owed, but the last comes after it.
	var got []string
	for !slices.Contains(got, "{Done:10 Total:10}") || !slices.Contains(got, "{}") || !slices.Contains(got, "{State:active URI: Events:[] Scope:}") {
		got = append(got, fmt.Sprintf("%+v", nextEvent(t, h)))
	}
	if len(got) > 4 || got[len(got)-1] == "{Done:1 Total:10}" ||
		slices.Index(got, "{Done:1 Total:10}") > slices.Index(got, "{Done:10 Total:10}") {
		t.Errorf("after the lag the hub sent %q, want the subscription, the last progress and one re-read", got)
	}
	select {
	case ev := <-h.Events():
		t.Errorf("the hub sent %#v beyond what it owed", ev)
	default:
	}
	h.Close()
}

// TestHubCloseEndsASendWaitingForRoom: closing a hub whose TUI stopped
// reading neither blocks nor panics, and the stream ends.
func TestHubCloseEndsASendWaitingForRoom(t *testing.T) {
	h := NewHub(nil, Connection{})
	for range cap(h.events) + 3 {
		h.Publish(BackfillProgress{Done: 1, Total: 2})
	}
	h.Close()
	n := 0
	for range h.Events() {
		n++
	}
	if n != cap(h.events) {
		t.Errorf("after Close the stream held %d events, want the %d queued", n, cap(h.events))
	}
}

// fakeVersion is a data version that says when it was first read.
type fakeVersion struct {
	v     atomic.Int64
	first chan struct{}
	once  sync.Once
}

func (f *fakeVersion) DataVersion(context.Context) (int64, error) {
	v := f.v.Load()
	f.once.Do(func() { close(f.first) })
	return v, nil
}

func TestPollDataVersionReportsAnotherWriter(t *testing.T) {
	h := NewHub(nil, Connection{})
	v := &fakeVersion{first: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.PollDataVersion(ctx, v, time.Millisecond)
	<-v.first
	v.v.Store(2)
	select {
	case ev := <-h.Events():
		if _, ok := ev.(StoreChanged); !ok {
			t.Errorf("got %#v, want StoreChanged", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no StoreChanged after the data version moved")
	}
}

// firstReading tells when the poll has taken its first reading.
type firstReading struct {
	DataVersioner
	once  sync.Once
	taken chan struct{}
}

func (f *firstReading) DataVersion(ctx context.Context) (int64, error) {
	defer f.once.Do(func() { close(f.taken) })
	return f.DataVersioner.DataVersion(ctx)
}

// TestOfflineSeesAHeadlessListenersWrites runs the --offline wiring: a
// read-only Panes beside a store written by "another process" (another
// connection), the data-version poll, and the model re-reading on the
// event it gets.
func TestOfflineSeesAHeadlessListenersWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	writer, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	panes, err := storage.OpenPanes(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer panes.Close()
	hub := NewHub(panes, Connection{Mode: ModeOffline, Database: path})
	m := New(quiet{hub}, Options{Location: berlin, Now: func() time.Time { return testNow }, NoTicks: true})
	drive(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	if len(m.feed.rows) != 0 {
		t.Fatalf("empty store, feed has %d rows", len(m.feed.rows))
	}
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The write must come after the poll's first reading, or that reading
	// already holds it and nothing moves.
	watched := &firstReading{DataVersioner: panes, taken: make(chan struct{})}
	go hub.PollDataVersion(pollCtx, watched, 5*time.Millisecond)
	<-watched.taken

	b := fixture.NewBooking("OFF", "Headless Hana", 1, midnight(testNow).Add(11*time.Hour), testNow.Add(-time.Hour))
	d, err := fixture.Signed(b.Body(calendly.EventInviteeCreated, testNow.Add(-time.Hour)), testNow.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.RecordDelivery(ctx, d); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-hub.Events():
		send(t, m, eventMsg{ev})
	case <-time.After(10 * time.Second):
		t.Fatal("the poll never reported the other writer's commit")
	}
	if len(m.feed.rows) != 1 || m.feed.rows[0].InviteeName != "Headless Hana" {
		t.Errorf("feed after the other writer's commit: %+v", m.feed.rows)
	}
	if !strings.Contains(screen(m), "Headless Hana") {
		t.Errorf("the screen does not show the new delivery:\n%s", screen(m))
	}
}
