package tui

import (
	"bytes"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// TestFlowCommandLineGotoAndFilter types `:goto 2026-07-01⏎` and
// `:filter verdict!=ok⏎` into the running program, as a person would, and
// waits for the screen to show them; the final model is on 1 July with
// the refused delivery alone in the feed.
func TestFlowCommandLineGotoAndFilter(t *testing.T) {
	store := filledStore(t)
	m := New(quiet{NewHub(store.Panes(), Connection{Mode: ModeLocal, KeySet: true})},
		Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 36))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("June 2026")) },
		teatest.WithDuration(10*time.Second))

	tm.Type(":goto 2026-07-01")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		// The renderer sends only what changed: "June" becomes "ly" on the
		// grid's title, so wait for what is new on the screen.
		return bytes.Contains(b, []byte("✓ Wed 1 Jul")) && bytes.Contains(b, []byte("No bookings on Wed 1 Jul"))
	}, teatest.WithDuration(10*time.Second))

	tm.Type(":filter verdict!=ok")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("(1/89)")) },
		teatest.WithDuration(10*time.Second))

	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if got := final.cal.selected.Format(time.DateOnly); got != "2026-07-01" || final.focus != focusCalendar {
		t.Errorf("after :goto the calendar is on %s (focus %d), want 2026-07-01 focused", got, final.focus)
	}
	if len(final.feed.rows) != 1 || verdict(final.feed.rows[0].DeliveryRecord) == "✓ ok" {
		t.Errorf("after :filter verdict!=ok the feed shows %d rows", len(final.feed.rows))
	}
}
