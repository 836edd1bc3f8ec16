package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

// TestFeedGutterMarksReschedulesAndReplays: ⇄ before both halves of a
// reschedule, R before a replay (R wins when a replay is also a half), and
// beside ▸ when the row is selected, as TUI.md draws the compact feed.
func TestFeedGutterMarksReschedulesAndReplays(t *testing.T) {
	at := testNow.Add(-time.Hour)
	row := func(id int64, event string, moved bool, replayOf int64) storage.FeedRow {
		return storage.FeedRow{DeliveryRecord: storage.DeliveryRecord{ID: id, ReceivedAt: at.Add(time.Duration(id) * time.Second),
			Event: event, Outcome: storage.OutcomeApplied, AnswerStatus: 200, ReplayOf: replayOf}, InviteeName: "Ravi Patel", Rescheduled: moved}
	}
	f := feedPane{rows: []storage.FeedRow{
		row(1, "invitee.created", false, 0),
		row(2, "invitee.canceled", true, 0),
		row(3, "invitee.created", true, 0),
		row(4, "invitee.created", true, 1),
		row(5, "invitee.created", false, 1),
	}, cursor: 4, fresh: newFreshSet(func() time.Time { return testNow })}
	var gutters []string
	for _, l := range allFeedLines(&f, berlin, midnight(testNow.In(berlin)), 80)[1:] { // after the day separator
		gutters = append(gutters, string([]rune(ansi.Strip(l))[:3]))
	}
	want := []string{"  1", "⇄ 1", "⇄ 1", "R 1", "▸R1"}
	if strings.Join(gutters, "|") != strings.Join(want, "|") {
		t.Errorf("row starts = %q, want %q", gutters, want)
	}
}

// allFeedLines draws every line of the feed's layout, on screen or not,
// w cells wide, the feed focused.
func allFeedLines(f *feedPane, loc *time.Location, today time.Time, w int) []string {
	layout, _ := f.layout(loc)
	out := make([]string, len(layout))
	for i, l := range layout {
		out[i] = f.line(DefaultStyles(true), l, columnsFor(w), loc, today, true, w)
	}
	return out
}
