package tui

import (
	"context"
	"fmt"
	"path/filepath"
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

func feedRows(from, to int64) []storage.FeedRow {
	var rows []storage.FeedRow
	for id := from; id <= to; id++ {
		rows = append(rows, storage.FeedRow{DeliveryRecord: storage.DeliveryRecord{
			ID: id, ReceivedAt: testNow.Add(time.Duration(id) * time.Second), Event: "invitee.created", Outcome: storage.OutcomeApplied,
		}, InviteeName: fmt.Sprintf("Person %d", id)})
	}
	return rows
}

func TestFeedFollowGivesWayAndResumes(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeLocal}, 120, 36)
	m.focus = focusFeed
	send(t, m, feedLoaded{rows: feedRows(1, 5)})
	if m.feed.selectedID() != 5 || !m.feed.follow {
		t.Fatalf("following: selected %d follow %v, want the newest (5) selected", m.feed.selectedID(), m.feed.follow)
	}
	keys(t, m, "k")
	if m.feed.follow || m.feed.selectedID() != 4 {
		t.Fatalf("after k: follow %v selected %d, want paused on 4", m.feed.follow, m.feed.selectedID())
	}
	send(t, m, feedLoaded{rows: feedRows(6, 7)})
	if m.feed.selectedID() != 4 || m.feed.newBelow != 2 {
		t.Errorf("paused, two arrive: selected %d, %d new; want 4 and 2", m.feed.selectedID(), m.feed.newBelow)
	}
	if s := screen(m); !strings.Contains(s, "‖ paused · 2 new below · G follows newest") {
		t.Errorf("paused feed does not say so:\n%s", s)
	}
	keys(t, m, "G")
	if !m.feed.follow || m.feed.selectedID() != 7 || m.feed.newBelow != 0 {
		t.Errorf("after G: follow %v selected %d new %d; want following 7", m.feed.follow, m.feed.selectedID(), m.feed.newBelow)
	}
	keys(t, m, "k", "j")
	if !m.feed.follow {
		t.Error("moving back down to the newest should resume following")
	}
}

func TestFeedRingTrimKeepsTheSelection(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeLocal}, 120, 36)
	m.focus = focusFeed
	send(t, m, feedLoaded{rows: feedRows(1, feedRing)})
	keys(t, m, "k", "k", "k")
	want := m.feed.selectedID()
	send(t, m, feedLoaded{rows: feedRows(feedRing+1, feedRing+50)})
	if len(m.feed.rows) != feedRing {
		t.Errorf("ring holds %d, want %d", len(m.feed.rows), feedRing)
	}
	if got := m.feed.selectedID(); got != want {
		t.Errorf("after the ring trimmed, selected %d, want %d still", got, want)
	}
	if m.feed.rows[0].ID != 51 {
		t.Errorf("oldest kept = %d, want 51", m.feed.rows[0].ID)
	}
}

func TestCalendarKeysMoveTheDayAndMonth(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	day := func() string { return m.cal.selected.Format("2006-01-02") }
	keys(t, m, "l")
	if day() != "2026-06-19" || !m.day.day.Equal(m.cal.selected) {
		t.Errorf("l: selected %s, day pane %s; want 19 June in both", day(), m.day.day.Format(time.DateOnly))
	}
	keys(t, m, "j")
	if day() != "2026-06-26" {
		t.Errorf("j: %s, want a week later", day())
	}
	keys(t, m, "n")
	if day() != "2026-07-26" || !strings.Contains(screen(m), "July 2026") || m.cal.month.Month() != time.July {
		t.Errorf("n: %s, month counts for %s; want July", day(), m.cal.month.Format("Jan"))
	}
	keys(t, m, "t")
	if day() != "2026-06-18" || m.cal.month.Month() != time.June {
		t.Errorf("t: %s, want today", day())
	}
	keys(t, m, "w")
	if m.cal.mode != calWeek || !m.cal.from.Equal(weekStart(m.cal.selected)) {
		t.Errorf("w: mode %d, week from %s", m.cal.mode, m.cal.from)
	}
	keys(t, m, "n")
	if day() != "2026-06-25" {
		t.Errorf("n in week view: %s, want a week later", day())
	}
	keys(t, m, "a")
	if s := screen(m); m.cal.mode != calAgenda || !strings.Contains(s, "agenda from") {
		t.Errorf("a: not the agenda:\n%s", s)
	}
}

func TestStaleReadsAreDropped(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	before := len(m.cal.counts)
	send(t, m, monthLoaded{seq: m.loads.month - 1, month: firstOfMonth(testNow)})
	if len(m.cal.counts) != before || before == 0 {
		t.Errorf("an older month read replaced the counts (%d → %d)", before, len(m.cal.counts))
	}
}

func TestQuitClosesAnOverlayFirst(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "?")
	if !m.fullHelp || !strings.Contains(screen(m), "? or esc closes") {
		t.Fatal("? did not open the help")
	}
	if _, cmd := m.Update(keyPress("q")); cmd != nil || m.fullHelp {
		t.Error("q with the help open should close it, not quit")
	}
	keys(t, m, "3", "enter")
	if m.view != viewInspector || m.insp.rec.ID == 0 {
		t.Fatalf("enter on the feed: view %d, delivery %d; want the inspector", m.view, m.insp.rec.ID)
	}
	if _, cmd := m.Update(keyPress("q")); cmd != nil || m.view != viewMain {
		t.Error("q in the inspector should close it, not quit")
	}
	_, cmd := m.Update(keyPress("q"))
	if cmd == nil {
		t.Fatal("q on the main screen did nothing")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Error("q on the main screen should quit")
	}
}

func TestContactSearchFiltersAsYouType(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "4", "/", "j", "o")
	if len(m.contacts.rows) == 0 {
		t.Fatal("search 'jo' found nobody")
	}
	for _, r := range m.contacts.rows {
		if !strings.HasPrefix(strings.ToLower(r.Name), "jo") && !strings.HasPrefix(r.Email, "jo") {
			t.Errorf("search 'jo' lists %q <%s>", r.Name, r.Email)
		}
	}
	if m.contacts.activityFor != m.contacts.selectedEmail() || len(m.contacts.activity) == 0 {
		t.Errorf("the selected contact's activity is not loaded (%q vs %q)", m.contacts.activityFor, m.contacts.selectedEmail())
	}
	keys(t, m, "esc")
	if m.contacts.searching || m.contacts.input.Value() != "" || m.contacts.total < 10 {
		t.Errorf("esc should clear the search: searching %v, value %q, total %d", m.contacts.searching, m.contacts.input.Value(), m.contacts.total)
	}
}

func TestDayEnterOpensTheBookingDetail(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "2", "j", "enter")
	if m.view != viewDetail || !m.detail.loaded || m.detail.err != nil {
		t.Fatalf("enter on a booking: view %d loaded %v err %v", m.view, m.detail.loaded, m.detail.err)
	}
	s := screen(m)
	for _, want := range []string{"Where", "INVITEES", "⇄ moved to"} {
		if !strings.Contains(s, want) {
			t.Errorf("the booking detail lacks %q:\n%s", want, s)
		}
	}
	keys(t, m, "esc")
	if m.view != viewMain {
		t.Error("esc should go back")
	}
}

func TestTextFromOutsideCannotReachTheTerminal(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 160, 48)
	for _, k := range []string{"", "4"} {
		if k != "" {
			keys(t, m, k)
		}
		if out := m.View().Content; strings.Contains(out, "\x1b]0;") || strings.Contains(out, "\x07") {
			t.Errorf("a booked name's escape sequence reached the screen (after %q)", k)
		}
	}
}

func TestHubNeverBlocksAndFoldsWhatItDropped(t *testing.T) {
	h := NewHub(nil, Connection{})
	for range cap(h.events) + 10 {
		h.Publish(DeliveryCommitted{})
	}
	for range cap(h.events) {
		<-h.events
	}
	h.Publish(TunnelState{State: "online"})
	if _, ok := (<-h.events).(StoreChanged); !ok {
		t.Error("after drops, the next publish should first owe a StoreChanged")
	}
	if ev, ok := (<-h.events).(TunnelState); !ok || ev.State != "online" {
		t.Errorf("then the event itself, got %#v", ev)
	}
	h.Close()
	h.Publish(StoreChanged{}) // must not panic on a closed hub
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
	go hub.PollDataVersion(pollCtx, panes, 5*time.Millisecond)

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

func TestABurstOfDeliveriesCostsOneMoreRefresh(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeLocal}, 120, 36)
	first := m.refreshAll()
	if first == nil || !m.refreshing {
		t.Fatal("the first store event should start a refresh")
	}
	for range 50 {
		if cmd := m.onEvent(DeliveryCommitted{}); cmd != nil {
			t.Fatal("a store event during a refresh issued more reads")
		}
	}
	if !m.dirty {
		t.Fatal("events during a refresh should mark it dirty")
	}
	_, again := m.Update(feedLoaded{refresh: true})
	if again == nil || !m.refreshing || m.dirty {
		t.Errorf("when the refresh lands dirty, one more should start (refreshing %v dirty %v)", m.refreshing, m.dirty)
	}
	drive(t, m, again)
	if m.refreshing {
		t.Error("the second refresh never finished")
	}
}
