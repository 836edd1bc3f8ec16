package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestWhileYouWereAwayLineOpensTheList(t *testing.T) {
	store := filledStore(t)
	m := newTestModel(t, store, Connection{Mode: ModeLive}, 120, 36)
	since := testNow.Add(-48 * time.Hour)
	want, err := store.Panes().Digest(context.Background(), since, testNow)
	if err != nil || want.Booked == 0 {
		t.Fatalf("the fixture has no bookings in the last two days to digest: %+v, %v", want, err)
	}
	send(t, m, eventMsg{CaughtUp{Since: since}})
	line := fmt.Sprintf("while you were away: %d booked", want.Booked)
	if got := footerOf(m); !strings.Contains(got, line) {
		t.Fatalf("footer = %q, want %q", got, line)
	}
	keys(t, m, "W")
	if m.view != viewDigest || len(m.away.rows) != want.Total() {
		t.Fatalf("W: view %d with %d rows, want the digest's %d", m.view, len(m.away.rows), want.Total())
	}
	first := m.away.rows[0]
	if s := screen(m); !strings.Contains(s, "While you were away") || !strings.Contains(s, orDefault(first.Name, first.Email)) {
		t.Errorf("the list does not show its newest change (%s):\n%s", first.Name, s)
	}
	keys(t, m, "j", "enter")
	if m.view != viewDetail || m.detail.uri != m.away.rows[1].EventURI {
		t.Errorf("enter opened %q (view %d), want the second change's booking", m.detail.uri, m.view)
	}
	// Once opened, the line is gone; a later catch-up does not bring it back.
	keys(t, m, "esc")
	send(t, m, eventMsg{CaughtUp{Since: since}})
	if got := footerOf(m); strings.Contains(got, "while you were away") {
		t.Errorf("the line came back: %q", got)
	}
}

func TestNoDigestOnTheFirstRunOrWhenNothingChanged(t *testing.T) {
	for name, since := range map[string]time.Time{"never ran": {}, "nothing since": testNow.Add(-time.Nanosecond)} {
		m := newTestModel(t, filledStore(t), Connection{Mode: ModeLive}, 120, 36)
		send(t, m, eventMsg{CaughtUp{Since: since}})
		if got := footerOf(m); strings.Contains(got, "while you were away") {
			t.Errorf("%s: footer = %q", name, got)
		}
		keys(t, m, "W")
		if m.view != viewMain {
			t.Errorf("%s: W opened view %d with nothing to show", name, m.view)
		}
	}
}
