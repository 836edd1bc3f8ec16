package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/storage"
)

// typeLine types s key by key, then ⏎.
func typeLine(t *testing.T, m *Model, s string) {
	t.Helper()
	for _, r := range s {
		send(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	keys(t, m, "enter")
}

// cmdModel is a model over the filled store at w×h with flash timers off,
// so the footer can be read after driving.
func cmdModel(t *testing.T, w, h int) *Model {
	t.Helper()
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeLocal, KeySet: true, WebhookURL: "http://127.0.0.1:8787/hooks/calendly"}, w, h)
	m.flashTimers = false
	return m
}

func TestGotoMovesTheMonthGridThereAndFocusesIt(t *testing.T) {
	m := cmdModel(t, 120, 36)
	keys(t, m, "3", ":")
	if !strings.Contains(footerOf(m), ":") || !strings.Contains(footerOf(m), "goto filter replay") {
		t.Fatalf("after :, the footer is not the command line: %q", footerOf(m))
	}
	typeLine(t, m, "goto 2026-07-01")
	if m.focus != focusCalendar || m.cal.selected.Format(time.DateOnly) != "2026-07-01" {
		t.Fatalf("after :goto, focus %d selected %s; want the calendar on 1 July 2026", m.focus, m.cal.selected)
	}
	s := screen(m)
	for _, want := range []string{"[1] Calendar ◂ July 2026 ▸", "[1]", "Wed 1 Jul", "✓ Wed 1 Jul 2026"} {
		if !strings.Contains(s, want) {
			t.Errorf("the screen after :goto 2026-07-01 lacks %q:\n%s", want, s)
		}
	}
	if !m.day.day.Equal(m.cal.selected) || m.cal.month.Month() != time.July {
		t.Errorf("the day pane reads %s and the counts are for %s; want both July", m.day.day, m.cal.month)
	}
}

func TestGotoABadDateSaysWhyAndStays(t *testing.T) {
	m := cmdModel(t, 120, 36)
	before := m.cal.selected
	keys(t, m, ":")
	typeLine(t, m, "goto 2026-13-01")
	want := `✗ goto: "2026-13-01" is not a date — use YYYY-MM-DD, today, +3d or a month name`
	if m.flash.text != want || m.flash.sev != sevBad {
		t.Errorf("flash %q, want %q", m.flash.text, want)
	}
	if !m.cal.selected.Equal(before) {
		t.Errorf("a bad :goto moved the calendar to %s", m.cal.selected)
	}
	if !strings.Contains(footerOf(m), `✗ goto: "2026-13-01" is not a date`) {
		t.Errorf("footer %q does not say it", footerOf(m))
	}
}

func TestFilterCommandLeavesOnlyRefusedRowsAndCountsThem(t *testing.T) {
	m := cmdModel(t, 120, 36)
	all := len(m.feed.rows)
	keys(t, m, ":")
	typeLine(t, m, "filter verdict!=ok")
	if len(m.feed.rows) == 0 || len(m.feed.rows) == all {
		t.Fatalf("filter kept %d of %d rows", len(m.feed.rows), all)
	}
	for _, r := range m.feed.rows {
		if verdict(r.DeliveryRecord) == "✓ ok" {
			t.Errorf("delivery %d (%s) passed verdict!=ok", r.ID, verdict(r.DeliveryRecord))
		}
	}
	s := screen(m)
	title := "filter: verdict!=ok (" + thousands(len(m.feed.rows)) + "/" + thousands(all) + ")"
	if !strings.Contains(s, title) {
		t.Errorf("the feed's title lacks %q:\n%s", title, s)
	}
	if strings.Contains(s, "✓ ok ") && strings.Contains(s, " created ") && strings.Count(s, "✓ ok") > 0 {
		t.Errorf("an accepted delivery still shows:\n%s", s)
	}
	// The status bar still counts every delivery received.
	if !strings.Contains(s, thousands(all)+" recv") {
		t.Errorf("the status bar stopped counting what was received:\n%s", strings.SplitN(s, "\n", 2)[0])
	}

	// A bad filter names its term and changes nothing.
	keys(t, m, ":")
	typeLine(t, m, "filter verdict!=ok status=6xx")
	if !strings.HasPrefix(m.flash.text, `✗ filter: "status=6xx": status is a code like 401`) {
		t.Errorf("flash %q does not name the bad term", m.flash.text)
	}
	if m.feed.filter.String() != "verdict!=ok" {
		t.Errorf("a bad filter changed it to %q", m.feed.filter)
	}

	// :filter alone clears it.
	keys(t, m, ":")
	typeLine(t, m, "filter")
	if !m.feed.filter.empty() || len(m.feed.rows) != all || strings.Contains(screen(m), "filter: verdict") {
		t.Errorf(":filter left %q and %d of %d rows", m.feed.filter, len(m.feed.rows), all)
	}
}

func TestSlashFiltersTheFeedAsYouTypeAndEscUndoes(t *testing.T) {
	m := cmdModel(t, 120, 36)
	all := len(m.feed.rows)
	keys(t, m, "3", "/")
	for _, r := range "verdict=s" {
		send(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	// "verdict" could be a field's name on its way, so the feed waited;
	// "verdict=s" does not read, so the footer says why and the feed is
	// as it was.
	if !m.feed.filter.empty() || len(m.feed.rows) != all || !strings.Contains(footerOf(m), "verdict is one of") {
		t.Errorf("half a term: filter %q (%d rows), footer %q; want none yet and why", m.feed.filter, len(m.feed.rows), footerOf(m))
	}
	for _, r := range "ig" {
		send(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	if m.feed.filter.String() != "verdict=sig" || len(m.feed.rows) != 1 {
		t.Fatalf("verdict=sig typed: filter %q keeps %d rows, want the one refused", m.feed.filter, len(m.feed.rows))
	}
	keys(t, m, "esc")
	if !m.feed.filter.empty() || len(m.feed.rows) != all {
		t.Errorf("esc while typing left %q (%d rows)", m.feed.filter, len(m.feed.rows))
	}
	// Plain text is the invitee or event; ⏎ keeps it, esc in the feed clears.
	keys(t, m, "/")
	name := ""
	for _, r := range m.feed.rows {
		if r.InviteeName != "" {
			name = r.InviteeName
		}
	}
	typeLine(t, m, strings.Fields(name)[0])
	if m.feed.filter.empty() || len(m.feed.rows) == 0 || len(m.feed.rows) == all {
		t.Fatalf("/%s kept %d of %d rows", name, len(m.feed.rows), all)
	}
	for _, r := range m.feed.rows {
		if !strings.Contains(strings.ToLower(r.InviteeName+r.InviteeEmail+r.Event+r.EventName), strings.ToLower(strings.Fields(name)[0])) {
			t.Errorf("row %+v passed %q", r, name)
		}
	}
	keys(t, m, "esc")
	if !m.feed.filter.empty() || len(m.feed.rows) != all {
		t.Errorf("esc in the feed left %q (%d rows)", m.feed.filter, len(m.feed.rows))
	}
}

func TestFilterKeepsTheSelectionAndFiltersWhatArrives(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeLocal}, 120, 36)
	m.flashTimers = false
	m.focus = focusFeed
	rows := feedRows(1, 6)
	rows[1].Outcome, rows[1].Reason = storage.OutcomeRefused, "signature does not match"
	send(t, m, feedLoaded{rows: rows})
	keys(t, m, "k", "k", "k", "k") // on 2, the refused one
	if m.feed.selectedID() != 2 {
		t.Fatalf("selected %d, want 2", m.feed.selectedID())
	}
	keys(t, m, ":")
	typeLine(t, m, "filter status=4xx")
	if m.feed.selectedID() != 2 || len(m.feed.rows) != 1 {
		t.Errorf("after the filter: selected %d of %d rows, want 2 of 1", m.feed.selectedID(), len(m.feed.rows))
	}
	more := feedRows(7, 8)
	more[1].Outcome, more[1].Reason = storage.OutcomeRefused, "body larger than 1 MiB"
	send(t, m, feedLoaded{rows: more})
	if len(m.feed.rows) != 2 || len(m.feed.ring) != 8 || m.feed.rows[1].ID != 8 {
		t.Errorf("after 7 (ok) and 8 (413): rows %d, ring %d; want the 413 shown and both kept", len(m.feed.rows), len(m.feed.ring))
	}
	// 2 was the newest shown, so the filtered feed followed on to 8.
	if m.feed.selectedID() != 8 || !m.feed.follow {
		t.Errorf("following the filtered feed: selected %d, want 8", m.feed.selectedID())
	}
	keys(t, m, "k", ":")
	typeLine(t, m, "filter")
	if m.feed.selectedID() != 2 || m.feed.follow || len(m.feed.rows) != 8 {
		t.Errorf("cleared while paused on 2: selected %d (follow %v) of %d, want 2 of 8", m.feed.selectedID(), m.feed.follow, len(m.feed.rows))
	}
}

func TestCommandLineCompletesAndRemembers(t *testing.T) {
	m := cmdModel(t, 120, 36)
	keys(t, m, ":", "g", "o", "tab")
	if got := m.cmd.input.Value(); got != "goto " {
		t.Fatalf(":go⇥ gives %q, want \"goto \"", got)
	}
	typeLine(t, m, "+3d")
	keys(t, m, ":", "e", "x", "p")
	keys(t, m, "up")
	if got := m.cmd.input.Value(); got != "goto +3d" {
		t.Errorf("↑ brings back %q, want the last command", got)
	}
	keys(t, m, "down")
	if got := m.cmd.input.Value(); got != "exp" {
		t.Errorf("↓ after ↑ gives %q, want what was being typed", got)
	}
	keys(t, m, "esc")
	if m.cmd.kind != 0 || strings.Contains(footerOf(m), "tab completes") {
		t.Errorf("esc left the command line open: %q", footerOf(m))
	}
	if m.cal.selected.Format(time.DateOnly) != "2026-06-21" {
		t.Errorf(":goto +3d went to %s, want 21 June", m.cal.selected)
	}
}

func TestCommandLineVerbs(t *testing.T) {
	m := cmdModel(t, 120, 36)
	keys(t, m, ":")
	typeLine(t, m, "foo bar")
	if want := `✗ unknown command "foo" — try :help`; m.flash.text != want {
		t.Errorf("flash %q, want %q", m.flash.text, want)
	}
	keys(t, m, ":")
	typeLine(t, m, "replay abc")
	if !strings.HasPrefix(m.flash.text, `✗ replay: "abc" is not a delivery number`) {
		t.Errorf(":replay abc says %q", m.flash.text)
	}
	keys(t, m, ":")
	typeLine(t, m, "export pdf")
	if !strings.HasPrefix(m.flash.text, `✗ export: "pdf" is not a format`) {
		t.Errorf(":export pdf says %q", m.flash.text)
	}
	keys(t, m, ":")
	typeLine(t, m, "help")
	if !m.fullHelp || m.flash.text != commandsHelp {
		t.Errorf(":help: full help %v, flash %q", m.fullHelp, m.flash.text)
	}
	keys(t, m, "esc")
	for _, q := range []string{"q", "quit"} {
		if cmd := m.runCommand(q); cmd == nil {
			t.Errorf(":%s does nothing", q)
		} else if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf(":%s does not quit", q)
		}
	}
	// q typed into the line is text, not quit.
	keys(t, m, ":", "q")
	if m.cmd.input.Value() != "q" {
		t.Errorf("q in the command line gave %q", m.cmd.input.Value())
	}
}

func TestReplayCommandReplaysThatDelivery(t *testing.T) {
	f := &fakeReplayer{result: ReplayResult{Status: 200, Latency: 39 * time.Millisecond}}
	m := replayModel(t, f, Options{})
	id := m.feed.rows[0].ID
	keys(t, m, ":")
	typeLine(t, m, "replay "+thousandsless(id))
	call := <-f.calls
	if call.id != id || call.body != nil {
		t.Errorf("replayed %d, want %d as stored", call.id, id)
	}
	if !strings.Contains(footerOf(m), "✓ replayed → 200 (39ms)") {
		t.Errorf("footer %q", footerOf(m))
	}
}

func thousandsless(id int64) string { return strings.ReplaceAll(thousands(int(id)), ",", "") }

type fakeCSVExporter struct {
	quiet
	from, to time.Time
}

func (f *fakeCSVExporter) ExportCSV(_ context.Context, from, to time.Time) (string, int, error) {
	f.from, f.to = from, to
	return "/tmp/calwatch-2026-07.csv", 3, nil
}

func TestExportCSVCommandExportsTheMonthShown(t *testing.T) {
	store := filledStore(t)
	f := &fakeCSVExporter{quiet: quiet{NewHub(store.Panes(), Connection{Mode: ModeOffline})}}
	m := New(f, Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true})
	m.flashTimers = false
	drive(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	keys(t, m, ":")
	typeLine(t, m, "goto jul")
	keys(t, m, ":")
	typeLine(t, m, "export csv")
	if f.from.Format(time.DateOnly) != "2026-07-01" || f.to.Format(time.DateOnly) != "2026-08-01" {
		t.Errorf("exported %s to %s, want July", f.from, f.to)
	}
	if want := "✓ Jul 2026: 3 events → /tmp/calwatch-2026-07.csv"; m.flash.text != want {
		t.Errorf("flash %q, want %q", m.flash.text, want)
	}
	keys(t, m, ":")
	typeLine(t, m, "export ics")
	if !strings.HasPrefix(m.flash.text, "✗ export is not available here; use calwatch export ics") {
		t.Errorf(":export ics without an Exporter says %q", m.flash.text)
	}
}

func TestNarrowFeedTitleKeepsTheCountsOfALongFilter(t *testing.T) {
	m := cmdModel(t, 80, 24)
	all := len(m.feed.rows)
	keys(t, m, ":")
	typeLine(t, m, "filter verdict=ok status=2xx event=canceled invitee~li")
	s := screen(m)
	counts := "(" + thousands(len(m.feed.rows)) + "/" + thousands(all) + ")"
	if !strings.Contains(s, "filter: verdict=ok") || !strings.Contains(s, "… "+counts) {
		t.Errorf("the 80-column feed title lacks the cut filter and %s:\n%s", counts, s)
	}
	checkShape(t, "long filter", s, 80, 24)

	keys(t, m, ":")
	typeLine(t, m, "filter nobody-has-this-name")
	s = screen(m)
	if !strings.Contains(s, "None of "+thousands(all)+" deliveries passes the filter:") || strings.Contains(s, "Waiting for deliveries") {
		t.Errorf("a filter that keeps nothing does not say so:\n%s", s)
	}
}

// TestCommandScreensMatchGoldens draws the command line open, a filtered
// feed and the status details at 80×24 and 120×36.
func TestCommandScreensMatchGoldens(t *testing.T) {
	typed := func(s string) []string { return append(strings.Split(s, ""), "enter") }
	screens := []struct {
		name string
		keys []string
	}{
		{"cmdline", []string{":", "g", "o"}},
		{"filtered", append([]string{":"}, typed("filter verdict!=ok")...)},
		{"slash", append([]string{"3", "/"}, strings.Split("status=4", "")...)},
		{"details", []string{"i"}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 36}} {
		for _, sc := range screens {
			name := fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				m := detailsModel(t, size[0], size[1])
				m.flashTimers = false
				keys(t, m, sc.keys...)
				got := screen(m)
				checkShape(t, name, got, size[0], size[1])
				golden(t, name, got)
			})
		}
	}
}

func TestTypingFieldWaitsForTheOperator(t *testing.T) {
	for in, want := range map[string]bool{"v": true, "stat": true, "ana inv": true, "STATUS": true, "verdict=": false,
		"ana": false, "status ": false, "": false, `"status"`: false, "eventful": false} {
		if got := typingField(in); got != want {
			t.Errorf("typingField(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestTabCompletesArgumentsToo(t *testing.T) {
	m := cmdModel(t, 120, 36)
	for _, tc := range []struct{ typed, want string }{
		{"fi", "filter "},
		{"filter v", "filter verdict!=ok"},
		{"filter s", "filter status="},
		{"goto to", "goto today"},
		{"exp", "export ics"},
		{"export c", "export csv"},
		{"zz", "zz"},
	} {
		keys(t, m, ":")
		for _, r := range tc.typed {
			send(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
		}
		keys(t, m, "tab")
		if got := m.cmd.input.Value(); got != tc.want {
			t.Errorf(":%s⇥ gives %q, want %q", tc.typed, got, tc.want)
		}
		keys(t, m, "esc")
	}
}

func TestTheWheelDoesNotTypeIntoTheCommandLine(t *testing.T) {
	m := cmdModel(t, 120, 36)
	keys(t, m, ":")
	send(t, m, tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if got := m.cmd.input.Value(); got != "" {
		t.Errorf("the wheel typed %q", got)
	}
}

// FuzzCommandLine runs any line as a command: nothing panics, and what
// the footer says about it is one line.
func FuzzCommandLine(f *testing.F) {
	for _, seed := range []string{"goto 2026-07-01", "goto", "filter verdict!=ok", "filter \"", "replay 42", "replay -1",
		"export csv", "export", "help", "foo bar", ":q", "  goto   +3d ", "replay 99999999999999999999", "goto jul 2027"} {
		f.Add(seed)
	}
	m := newTestModel(f, openStore(f), Connection{Mode: ModeOffline}, 80, 24)
	m.flashTimers = false
	f.Fuzz(func(t *testing.T, line string) {
		m.flash = flash{}
		m.runCommand(line)
		if strings.ContainsAny(m.flash.text, "\n\r") {
			t.Fatalf("%q: the footer says %q, more than one line", line, m.flash.text)
		}
		m.fullHelp = false
	})
}
