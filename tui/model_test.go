package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
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

func TestSelectedCanceledBookingKeepsItsColumns(t *testing.T) {
	d := dayPane{day: midnight(testNow), rows: []storage.BookingRow{{
		Name: "Demo", Invitee: "Li Wei", Status: "canceled", Start: testNow, End: testNow.Add(30 * time.Minute), Total: 1,
	}}}
	st := DefaultStyles(true)
	lines := d.render(st, testNow, false, 48, 10)
	row := ansi.Strip(lines[1])
	if !strings.HasPrefix(row, "▸ 14:35") || ansi.StringWidth(row) != 48 {
		t.Errorf("selected canceled row = %q, want it to start ▸ 14:35 and be 48 cells", row)
	}
}

func TestInspectorStepsThroughDeliveries(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeLocal}, 160, 48)
	keys(t, m, "3", "k", "k", "enter")
	first := m.insp.rec.ID
	if m.view != viewInspector || first == 0 {
		t.Fatalf("enter: view %d delivery %d", m.view, first)
	}
	keys(t, m, "J")
	if m.insp.rec.ID != first+1 {
		t.Errorf("J: delivery %d, want %d", m.insp.rec.ID, first+1)
	}
	keys(t, m, "K", "K")
	if m.insp.rec.ID != first-1 {
		t.Errorf("K K: delivery %d, want %d", m.insp.rec.ID, first-1)
	}
	s := screen(m)
	if !strings.Contains(s, "pretty · p raw") || !strings.Contains(s, `"event": "invitee.`) {
		t.Errorf("the inspector does not show the pretty body:\n%s", s)
	}
	keys(t, m, "p")
	if s := screen(m); !strings.Contains(s, "raw · p pretty") || !strings.Contains(s, `{"created_at":`) {
		t.Errorf("p should show the raw bytes:\n%s", s)
	}
}

// pagedReader serves n synthetic contacts a page at a time.
type pagedReader struct {
	Reader
	n     int
	pages int
}

func (r *pagedReader) Contacts(_ context.Context, q storage.ContactPage) ([]storage.ContactView, error) {
	r.pages++
	var out []storage.ContactView
	for i := 0; i < r.n && len(out) < q.Limit; i++ {
		name := fmt.Sprintf("Person %03d", i)
		if q.After == nil || name > q.After.Name {
			out = append(out, storage.ContactView{Name: name, Email: fmt.Sprintf("p%03d@example.com", i)})
		}
	}
	return out, nil
}

func (r *pagedReader) CountContacts(context.Context, string) (int, error) { return r.n, nil }

func (r *pagedReader) ContactActivity(context.Context, storage.ActivityPage) ([]storage.ActivityRow, error) {
	return nil, nil
}

func TestContactsLoadTheNextPageWhenScrolledToTheEnd(t *testing.T) {
	store := openStore(t)
	pr := &pagedReader{Reader: store.Panes(), n: 120}
	hub := NewHub(pr, Connection{Mode: ModeOffline})
	m := New(quiet{hub}, Options{Location: berlin, Now: func() time.Time { return testNow }, NoTicks: true})
	drive(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	keys(t, m, "4")
	if len(m.contacts.rows) != contactPage {
		t.Fatalf("first page: %d rows, want %d", len(m.contacts.rows), contactPage)
	}
	for range 119 {
		keys(t, m, "j")
	}
	if len(m.contacts.rows) != 120 || m.contacts.selectedEmail() != "p119@example.com" {
		t.Errorf("after scrolling to the end: %d rows loaded, selected %q; want all 120 and the last", len(m.contacts.rows), m.contacts.selectedEmail())
	}
	if pr.pages != 3 {
		t.Errorf("read %d pages, want 3 (50 + 50 + 20)", pr.pages)
	}
}

func TestMouseWheelScrollsTheFocusedList(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeLocal}, 120, 36)
	m.focus = focusFeed
	send(t, m, feedLoaded{rows: feedRows(1, 5)})
	send(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if m.feed.follow || m.feed.selectedID() != 4 {
		t.Errorf("wheel up: follow %v, selected %d; want paused on 4", m.feed.follow, m.feed.selectedID())
	}
	send(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if !m.feed.follow {
		t.Error("wheel down to the newest should follow again")
	}
}

func TestInspectorCopiesTheBodyAndSaysSo(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeLocal}, 120, 36)
	m.flashTimers = false
	keys(t, m, "3", "k", "enter")
	_, cmd := m.Update(keyPress("y"))
	if cmd == nil {
		t.Fatal("y in the inspector did nothing")
	}
	if got := fmt.Sprint(cmd()); !strings.Contains(got, `"event":"invitee.`) {
		t.Errorf("y copied %q, want the delivery body", got)
	}
	if s := screen(m); !strings.Contains(s, "✓ copied the body of delivery") {
		t.Errorf("the footer does not confirm the copy:\n%s", s)
	}
}

func TestContactActivityOpensTheChosenBooking(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	keys(t, m, "4", "l", "j")
	if !m.contacts.inActivity || m.contacts.actCursor != 1 {
		t.Fatalf("l j: in activity %v, cursor %d", m.contacts.inActivity, m.contacts.actCursor)
	}
	want := m.contacts.activity[1].EventURI
	keys(t, m, "enter")
	if m.view != viewDetail || m.detail.uri != want {
		t.Errorf("enter opened %q (view %d), want the second activity's booking %q", m.detail.uri, m.view, want)
	}
	keys(t, m, "esc", "h", "j")
	if m.contacts.inActivity || m.contacts.cursor != 1 {
		t.Errorf("h then j should move in the list again (in activity %v, cursor %d)", m.contacts.inActivity, m.contacts.cursor)
	}
}

// TestNumberKeysLeaveAnOpenScreenForTheirPane: 1–4 jump to their pane
// from the inspector or a booking's detail, as from the main screen.
func TestNumberKeysLeaveAnOpenScreenForTheirPane(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeLocal, KeySet: true}, 120, 36)
	keys(t, m, "3", "enter")
	if m.view != viewInspector {
		t.Fatalf("⏎ in the feed did not open the inspector (view %v)", m.view)
	}
	keys(t, m, "4")
	if m.view != viewMain || m.focus != focusContacts {
		t.Errorf("4 in the inspector: view %v, focus %v; want the main screen with the contacts focused", m.view, m.focus)
	}
	if s := screen(m); !strings.Contains(s, "[4] Contacts") {
		t.Errorf("the contacts pane is not on screen:\n%s", s)
	}
}
