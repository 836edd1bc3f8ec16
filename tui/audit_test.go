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
	"github.com/calwatch/calwatch/tui/internal/fixture"
)

// TestSixWeekMonthKeepsItsCountsAt80x24 checks that at 80×24 a month
// spanning six weeks (August 2026) still shows each day's count under its
// number, as TUI.md's compact sketch does, and the day pane keeps room.
func TestSixWeekMonthKeepsItsCountsAt80x24(t *testing.T) {
	store := openStore(t)
	aug := time.Date(2026, 8, 12, 0, 0, 0, 0, berlin)
	if err := fixture.Fill(context.Background(), store, aug, aug.Add(14*time.Hour), 21, 4); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, store, Connection{Mode: ModeOffline}, 80, 24)
	keys(t, m, "n", "n")
	s := screen(m)
	checkShape(t, "august 80x24", s, 80, 24)
	if !strings.Contains(s, "August 2026") {
		t.Fatalf("n n from June should show August:\n%s", s)
	}
	if strings.Contains(s, "*") {
		t.Errorf("six weeks at 24 rows should keep a count line, not * markers:\n%s", s)
	}
	lines := strings.Split(s, "\n")
	under := -1
	for i, l := range lines {
		if strings.Contains(l, " 10  11  12") {
			under = i + 1
		}
	}
	if under < 0 || !strings.ContainsAny(ansi.Strip(lines[under])[:32], "0123456789") {
		t.Errorf("no counts under the week of 10 Aug:\n%s", s)
	}
	if top := strings.Index(s, "┌─Tue 18 Aug"); top < 0 || strings.Count(s[top:], "\n") < minDayPane {
		t.Errorf("the day pane lost its rows:\n%s", s)
	}
	// Below 20 rows it folds to a line per week, as before.
	send(t, m, tea.WindowSizeMsg{Width: 80, Height: 18})
	if s := screen(m); !strings.Contains(s, "*") {
		t.Errorf("at 18 rows the month should fold with * markers:\n%s", s)
	}
}

// TestDayStateColumnFitsItsLongestValue checks that the day pane's STATE
// column shows "✗ canceled" and "⇄ upcoming" whole at every width tier.
func TestDayStateColumnFitsItsLongestValue(t *testing.T) {
	now := testNow
	rows := []storage.BookingRow{
		{EventURI: "e1", Name: "Intro Call", Invitee: "Li Wei", Status: "canceled", Start: now.Add(time.Hour), End: now.Add(2 * time.Hour)},
		{EventURI: "e2", Name: "Demo", Invitee: "Ravi Patel", Status: "active", MovedFrom: true, Start: now.Add(30 * time.Hour), End: now.Add(31 * time.Hour)},
		{EventURI: "e3", Name: "Demo", Invitee: "Omar Haddad", Status: "active", NoShows: 1, Start: now.Add(-3 * time.Hour), End: now.Add(-2 * time.Hour)},
	}
	for _, w := range []int{31, 33, 50, 54, 78} {
		d := dayPane{fresh: newFreshSet(func() time.Time { return now }), day: midnight(now), rows: rows}
		got := strings.Join(d.render(DefaultStyles(true), now, true, w, 12), "\n")
		for _, want := range []string{"✗ canceled", "⇄ upcoming", "⊘ no-show"} {
			if !strings.Contains(ansi.Strip(got), want) {
				t.Errorf("width %d: %q cut:\n%s", w, want, ansi.Strip(got))
			}
		}
	}
}

// TestDayListComesBeforeItsNotes checks that a day with more bookings
// than rows shows as many as fit and "n of m", the notes giving way.
func TestDayListComesBeforeItsNotes(t *testing.T) {
	now := testNow
	var rows []storage.BookingRow
	for i := range 6 {
		rows = append(rows, storage.BookingRow{EventURI: string(rune('a' + i)), Name: "Demo", Invitee: "Li Wei", Status: "canceled", Reason: "conflict", Start: now.Add(time.Duration(i) * time.Hour)})
	}
	d := dayPane{fresh: newFreshSet(func() time.Time { return now }), day: midnight(now), rows: rows}
	got := ansi.Strip(strings.Join(d.render(DefaultStyles(true), now, true, 33, 7), "\n"))
	if n := strings.Count(got, "✗ canceled"); n != 6 {
		t.Errorf("7 rows show %d of 6 bookings, want 6:\n%s", n, got)
	}
	got = ansi.Strip(strings.Join(d.render(DefaultStyles(true), now, true, 33, 5), "\n"))
	if n := strings.Count(got, "✗ canceled"); n != 4 || !strings.Contains(got, "1 of 6") {
		t.Errorf("5 rows should show 4 bookings and 1 of 6:\n%s", got)
	}
	got = ansi.Strip(strings.Join(d.render(DefaultStyles(true), now, true, 33, 12), "\n"))
	if !strings.Contains(got, `"conflict"`) {
		t.Errorf("with room to spare the notes should show:\n%s", got)
	}
}

// TestInspectorNamesTheStoredBooking checks the inspector's Booking line:
// the stored event's start and invitee, else its URI cut in the middle.
func TestInspectorNamesTheStoredBooking(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeLocal, KeySet: true}, 120, 36)
	keys(t, m, "3", "k", "enter")
	s := screen(m)
	if !strings.Contains(s, "Booking    Tue 23 Jun 12:00 · Tom Becker") {
		t.Errorf("the inspector does not name the stored booking:\n%s", s)
	}
	in := inspector{rec: storage.DeliveryRecord{Outcome: storage.OutcomeApplied, EventURI: "https://api.calendly.com/scheduled_events/" + strings.Repeat("X", 40) + "END"}}
	lines := ansi.Strip(strings.Join(in.verdictLines(DefaultStyles(true), 200, 0, 44), "\n"))
	if !strings.Contains(lines, "Booking    https://") || !strings.Contains(lines, "…") || !strings.Contains(lines, "END") {
		t.Errorf("an event not stored should show its URI cut in the middle:\n%s", lines)
	}
}

func TestBookingLabel(t *testing.T) {
	start := time.Date(2026, 6, 22, 8, 0, 0, 0, time.UTC)
	d := storage.EventDetail{EventView: storage.EventView{Name: "Intro Call", StartTime: &start, Status: "active",
		Invitees: []storage.InviteeView{{URI: "i1", Name: "Ana Costa"}, {URI: "i2", Name: "Jane Doe"}}}}
	for _, tc := range []struct {
		invitee, status, want string
	}{
		{"i2", "active", "Mon 22 Jun 10:00 · Jane Doe"},
		{"i1", "active", "Mon 22 Jun 10:00 · Ana Costa"},
		{"", "active", "Mon 22 Jun 10:00 · Ana Costa"},
		{"i2", "canceled", "Mon 22 Jun 10:00 · Jane Doe · canceled"},
	} {
		d.Status = tc.status
		if got := bookingLabel(d, tc.invitee, berlin); got != tc.want {
			t.Errorf("bookingLabel(%q, %s) = %q, want %q", tc.invitee, tc.status, got, tc.want)
		}
	}
	d.Invitees[1].Name = "Jane\x1b]0;pwned\x07 Doe"
	if got := bookingLabel(d, "i2", berlin); strings.ContainsRune(got, 0x1b) {
		t.Errorf("an invitee's name reaches the terminal unsafe: %q", got)
	}
}

// weekOf is a calendar in week view over rows, the week of testNow.
func weekOf(mode calMode, rows []storage.BookingRow) calendarPane {
	c := newCalendar(midnight(testNow))
	c.fresh = newFreshSet(func() time.Time { return testNow })
	c.mode = mode
	from, _ := c.period()
	c.setPeriod(from, rows)
	return c
}

// TestWeekCellsKeepTheStateGlyph checks that in narrow week cells the
// name is cut, not the ✗/⇄ glyph or the "+n" that says more booked.
func TestWeekCellsKeepTheStateGlyph(t *testing.T) {
	at := midnight(testNow).Add(10 * time.Hour)
	rows := []storage.BookingRow{
		{EventURI: "a", Invitee: "Katherine Johnson", Status: "canceled", Start: at},
		{EventURI: "b", Invitee: "Priya Raghunathan", Status: "active", MovedFrom: true, Start: at.Add(24 * time.Hour)},
		{EventURI: "c", Invitee: "Björk Guðmundsdóttir", Status: "active", Start: at.Add(48 * time.Hour)},
		{EventURI: "d", Invitee: "Ana Costa", Status: "active", Start: at.Add(48*time.Hour + time.Minute)},
	}
	c := weekOf(calWeek, rows)
	got := ansi.Strip(strings.Join(c.renderWeek(DefaultStyles(true), testNow, 78, 11), "\n"))
	for _, want := range []string{"Kather… ✗", "Priya ⇄", "Björk +1"} {
		if !strings.Contains(got, want) {
			t.Errorf("a 78-cell week lacks %q:\n%s", want, got)
		}
	}
}

// TestWeekAndAgendaSayWhatDoesNotFit checks that hours or bookings past
// the pane's last row are counted on that row, not dropped silently.
func TestWeekAndAgendaSayWhatDoesNotFit(t *testing.T) {
	var rows []storage.BookingRow
	for hr := range 12 {
		rows = append(rows, storage.BookingRow{EventURI: fmt.Sprint(hr), Invitee: "Li Wei", Name: "Demo", Status: "active",
			Start: midnight(testNow).Add(time.Duration(8+hr) * time.Hour)})
	}
	week := weekOf(calWeek, rows)
	got := ansi.Strip(strings.Join(week.renderWeek(DefaultStyles(true), testNow, 78, 8), "\n"))
	if n := len(strings.Split(got, "\n")); n != 8 || !strings.Contains(got, "⋯ 6 more hours to 19:00") {
		t.Errorf("a week of 12 booked hours in 8 rows (%d drawn) should end with 6 more hours:\n%s", n, got)
	}
	agenda := weekOf(calAgenda, rows)
	got = ansi.Strip(strings.Join(agenda.renderAgenda(DefaultStyles(true), 78, 8), "\n"))
	if n := len(strings.Split(got, "\n")); n != 8 || !strings.Contains(got, "⋯ 6 more bookings") {
		t.Errorf("an agenda of 12 bookings in 8 rows (%d drawn) should end with 6 more:\n%s", n, got)
	}
}

// TestStatusBarDropsWholeParts checks that a status bar too long for 80
// columns drops its last parts whole ("last 1m ago" before the backfill)
// instead of cutting one to "last …" against the clock.
func TestStatusBarDropsWholeParts(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeLive, Demo: true, WebhookURL: "http://127.0.0.1:8787/webhooks/calendly", KeySet: true}, 80, 24)
	send(t, m, eventMsg{BackfillProgress{Done: 231, Total: 260}})
	bar := strings.Split(screen(m), "\n")[0]
	if strings.Contains(bar, "…") || strings.Contains(bar, "last") {
		t.Errorf("the status bar cuts a part: %q", bar)
	}
	if !strings.Contains(bar, "backfill 231/260") || !strings.HasSuffix(bar, " 14:35 ") {
		t.Errorf("the status bar lost the backfill or the clock: %q", bar)
	}
	send(t, m, eventMsg{BackfillProgress{Done: 260, Total: 260}})
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	if bar := strings.Split(screen(m), "\n")[0]; !strings.Contains(bar, "last 1m ago") {
		t.Errorf("at 120 columns, the backfill done, everything fits: %q", bar)
	}
}

// TestWeekGrowsIntoTallTerminals checks that the week takes the rows its
// hours need on a tall terminal (up to 60 % of the body) and keeps the
// usual share when they fit or the terminal is short.
func TestWeekGrowsIntoTallTerminals(t *testing.T) {
	var rows []storage.BookingRow
	for hr := range 20 {
		rows = append(rows, storage.BookingRow{EventURI: fmt.Sprint(hr), Invitee: "Li Wei", Status: "active",
			Start: midnight(testNow).Add(time.Duration(3+hr) * time.Hour)})
	}
	week := weekOf(calWeek, rows)
	if got := week.periodBoxHeight(17, 46); got != 2+1+20+1 {
		t.Errorf("20 booked hours at 48 rows: a week box of %d rows, want 24", got)
	}
	if got := week.periodBoxHeight(13, 22); got != 13 {
		t.Errorf("at 24 rows the week keeps its 13 rows, got %d", got)
	}
	few := weekOf(calWeek, rows[:3])
	if got := few.periodBoxHeight(17, 46); got != 17 {
		t.Errorf("3 booked hours: the week keeps its 17 rows, got %d", got)
	}
	month := weekOf(calMonth, rows)
	if got := month.periodBoxHeight(17, 46); got != 17 {
		t.Errorf("the month is not a period: got %d", got)
	}
}
