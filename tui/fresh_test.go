package tui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/fixture"
)

// clock is a test clock that moves when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// freshModel records a new booking for tomorrow 10:00 and tells the model,
// as the listener's OnRecord does; it returns the stored record.
func freshModel(t *testing.T, opts Options) (*Model, *clock, storage.DeliveryRecord) {
	t.Helper()
	store := filledStore(t)
	clk := &clock{t: testNow}
	opts.Location, opts.Now, opts.Dark, opts.NoTicks = berlin, clk.now, true, true
	m := New(quiet{NewHub(store.Panes(), Connection{Mode: ModeLocal, KeySet: true})}, opts)
	m.flashTimers = false
	drive(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	booking := fixture.NewBooking("FRESH", "Xochiquetzal", 0, midnight(testNow).Add(24*time.Hour+10*time.Hour), testNow)
	in, err := fixture.Signed(booking.Body(calendly.EventInviteeCreated, testNow), testNow)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.RecordDelivery(context.Background(), in)
	if err != nil || rec.Outcome != storage.OutcomeApplied {
		t.Fatalf("recording the booking: %v, %v", rec.Outcome, err)
	}
	return m, clk, rec
}

// freshLines are the screen's lines that carry the fresh glyph.
func freshLines(m *Model) []string {
	var out []string
	for _, l := range strings.Split(screen(m), "\n") {
		if strings.Contains(l, freshGlyph) {
			out = append(out, l)
		}
	}
	return out
}

func TestNewBookingFlashesInEveryPaneThenFades(t *testing.T) {
	m, clk, _ := freshModel(t, Options{})
	// The same commit through a plain StoreChanged (a backfill) does not
	// flash: only what arrived live does.
	send(t, m, eventMsg{StoreChanged{}})
	if got := freshLines(m); len(got) != 0 {
		t.Fatalf("a store refresh flashed %q", got)
	}
	rec, err := m.reader.Delivery(context.Background(), m.feed.lastID())
	if err != nil {
		t.Fatal(err)
	}
	send(t, m, eventMsg{DeliveryCommitted{Record: rec}})
	// The feed row (not selected: the feed is not focused, but follows it,
	// so move the selection first) and the calendar's day 19.
	keys(t, m, "3", "k", "1")
	s := screen(m)
	feedRow := false
	for _, l := range freshLines(m) {
		feedRow = feedRow || strings.Contains(l, "✦ ") && strings.Contains(l, "Xochiquetzal")
	}
	if !feedRow {
		t.Errorf("the feed row of the new booking is not marked:\n%s", s)
	}
	if !strings.Contains(s, "19"+freshGlyph) {
		t.Errorf("the calendar does not mark the new booking's day (19):\n%s", s)
	}
	// The day pane shows the 19th, the contacts list the person.
	keys(t, m, "l")
	if !containsFreshLine(m, "Xochiquetzal") {
		t.Errorf("the day pane does not mark the new booking:\n%s", screen(m))
	}
	// The contacts list, drawn unfocused so the selection does not hide it.
	keys(t, m, "4")
	marked := false
	for _, l := range m.contacts.renderList(m.st, clk.now(), false, 80, 200) {
		marked = marked || strings.Contains(l, freshGlyph) && strings.Contains(l, "Xochiquetzal")
	}
	if !marked {
		t.Error("the contacts do not mark the new person")
	}
	// The week and the agenda around the 19th mark it too.
	keys(t, m, "1", "w")
	if !anyFresh(m.cal.renderWeek(m.st, clk.now(), 118, 30), "Xochiq") {
		t.Error("the week does not mark the new booking")
	}
	keys(t, m, "a")
	if !anyFresh(m.cal.renderAgenda(m.st, 118, 30), "Xochiquetzal") {
		t.Error("the agenda does not mark the new booking")
	}
	keys(t, m, "m")
	clk.add(freshFor)
	send(t, m, freshExpired{})
	if got := freshLines(m); len(got) != 0 {
		t.Errorf("still highlighted after %s: %q", freshFor, got)
	}
}

func containsFreshLine(m *Model, s string) bool {
	for _, l := range freshLines(m) {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func TestNewBookingNotifiesOnlyWhenTheTerminalIsNotFocused(t *testing.T) {
	notes := make(chan string, 4)
	m, _, rec := freshModel(t, Options{Bell: true, Notify: func(title, body string) error {
		notes <- title + " | " + body
		return nil
	}})
	if !m.View().ReportFocus {
		t.Error("with notifications on, the view does not ask for focus reports")
	}
	send(t, m, eventMsg{DeliveryCommitted{Record: rec}})
	if len(notes) != 0 {
		t.Fatalf("notified while the terminal had focus: %q", <-notes)
	}
	send(t, m, tea.BlurMsg{})
	send(t, m, eventMsg{DeliveryCommitted{Record: rec}})
	select {
	case n := <-notes:
		if !strings.HasPrefix(n, "calwatch: Xochiquetzal booked | ") || !strings.Contains(n, "Fri 19 Jun 10:00") {
			t.Errorf("notification %q, want who and when", n)
		}
	default:
		t.Fatal("no notification while the terminal was not focused")
	}
	send(t, m, tea.FocusMsg{})
	send(t, m, eventMsg{DeliveryCommitted{Record: rec}})
	if len(notes) != 0 {
		t.Errorf("notified after focus came back: %q", <-notes)
	}
}

func TestBellRingsOnlyWhenAsked(t *testing.T) {
	for _, bell := range []bool{false, true} {
		m, _, rec := freshModel(t, Options{Bell: bell})
		_, cmd := m.Update(eventMsg{DeliveryCommitted{Record: rec}})
		rang := false
		for _, msg := range flatten(cmd) {
			if raw, ok := msg.(tea.RawMsg); ok && raw.Msg == "\a" {
				rang = true
			}
		}
		if rang != bell {
			t.Errorf("bell %v: rang %v", bell, rang)
		}
	}
}

// flatten runs cmd's quick parts (not timers or stream reads) and returns
// their messages.
func flatten(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	select {
	case msg := <-done:
		if batch, ok := msg.(tea.BatchMsg); ok {
			var out []tea.Msg
			for _, c := range batch {
				out = append(out, flatten(c)...)
			}
			return out
		}
		return []tea.Msg{msg}
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}

// anyFresh says whether a line of a pane's own lines carries the fresh
// glyph and s.
func anyFresh(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, freshGlyph) && strings.Contains(l, s) {
			return true
		}
	}
	return false
}
