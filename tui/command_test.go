package tui

import (
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
