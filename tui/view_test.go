package tui

import (
	"fmt"
	"strings"
	"testing"
)

// TestPanesMatchGoldens draws every screen at 80×24 and 160×48 (and the
// main screen at 120×36, the preview tier) as plain text: the colour
// profile is pinned to none, so the goldens read as a person sees them
// with NO_COLOR.
func TestPanesMatchGoldens(t *testing.T) {
	store := filledStore(t)
	screens := []struct {
		name string
		keys []string
	}{
		{"main", nil},
		{"week", []string{"w"}},
		{"agenda", []string{"a"}},
		{"day", []string{"2", "j"}},
		{"feed", []string{"3", "k", "k"}},
		{"contacts", []string{"4"}},
		{"search", []string{"4", "/", "a", "n"}},
		{"inspector", []string{"3", "k", "enter"}},
		{"inspector_fold_find", []string{"3", "k", "enter", "z", "/", "N", "a", "m", "e", "enter", "n"}},
		{"inspector_bytes", []string{"3", "k", "enter", "]", "]"}},
		{"detail", []string{"2", "enter"}},
		{"help", []string{"?"}},
	}
	for _, size := range [][2]int{{80, 24}, {120, 36}, {160, 48}} {
		for _, sc := range screens {
			if size[0] == 120 && sc.name != "main" {
				continue
			}
			name := fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1])
			t.Run(name, func(t *testing.T) {
				m := newTestModel(t, store, Connection{Mode: ModeLocal, WebhookURL: "http://127.0.0.1:8787/webhooks/calendly", KeySet: true}, size[0], size[1])
				keys(t, m, sc.keys...)
				got := screen(m)
				checkShape(t, name, got, size[0], size[1])
				golden(t, name, got)
			})
		}
	}
}

// TestEmptyStoreSaysWhatToDo checks every pane of an empty store tells the
// user what to do next instead of showing nothing.
func TestEmptyStoreSaysWhatToDo(t *testing.T) {
	for _, mode := range []Mode{ModeOffline, ModeLocal} {
		m := newTestModel(t, openStore(t), Connection{Mode: mode, WebhookURL: "http://127.0.0.1:8787/webhooks/calendly", Database: "/home/x/calwatch.db"}, 120, 36)
		s := screen(m)
		for _, want := range []string{"No bookings this month", "No bookings on Thu 18 Jun", "calwatch trigger invitee.created"} {
			if !strings.Contains(s, want) {
				t.Errorf("mode %d: empty main screen lacks %q:\n%s", mode, want, s)
			}
		}
		keys(t, m, "4")
		if s := screen(m); !strings.Contains(s, "No contacts yet") {
			t.Errorf("empty contacts lack a hint:\n%s", s)
		}
	}
}

// TestNarrowTiers checks the width tiers: one pane at a time below 80
// columns (the feed first), the feed alone below 60, and nothing wider
// than the terminal.
func TestNarrowTiers(t *testing.T) {
	store := filledStore(t)
	m := newTestModel(t, store, Connection{Mode: ModeOffline, Database: "/x/calwatch.db"}, 70, 24)
	s := screen(m)
	checkShape(t, "70x24", s, 70, 24)
	if !strings.Contains(s, "[3] Live feed") || strings.Contains(s, "Calendar") {
		t.Errorf("70 columns should show the feed alone first:\n%s", s)
	}
	keys(t, m, "tab")
	if s := screen(m); !strings.Contains(s, "Contacts") {
		t.Errorf("tab after the feed should show contacts:\n%s", s)
	}
	m = newTestModel(t, store, Connection{Mode: ModeOffline}, 50, 15)
	s = screen(m)
	checkShape(t, "50x15", s, 50, 15)
	if !strings.Contains(s, "Live feed") || strings.Contains(s, "Calendar") {
		t.Errorf("50 columns should show only the feed:\n%s", s)
	}
}

// TestShortTerminalFoldsTheMonth checks that below 20 rows the month is
// one line per week, days with bookings marked with *.
func TestShortTerminalFoldsTheMonth(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 100, 18)
	s := screen(m)
	checkShape(t, "100x18", s, 100, 18)
	if !strings.Contains(s, "*") {
		t.Errorf("a folded month should mark booked days with *:\n%s", s)
	}
}
