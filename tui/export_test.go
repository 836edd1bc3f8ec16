package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

type fakeExporter struct {
	quiet
	asked chan [2]time.Time
}

func (f *fakeExporter) ExportICS(_ context.Context, from, to time.Time) (string, int, error) {
	f.asked <- [2]time.Time{from, to}
	return "/tmp/here/calwatch-2026-07.ics", 12, nil
}

func TestExportKeyExportsTheVisibleMonth(t *testing.T) {
	store := filledStore(t)
	f := &fakeExporter{quiet: quiet{NewHub(store.Panes(), Connection{Mode: ModeOffline})}, asked: make(chan [2]time.Time, 1)}
	m := New(f, Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true})
	m.flashTimers = false
	drive(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	keys(t, m, "n", "x")
	got := <-f.asked
	if want := time.Date(2026, 7, 1, 0, 0, 0, 0, berlin); !got[0].Equal(want) || !got[1].Equal(want.AddDate(0, 1, 0)) {
		t.Errorf("exported %v – %v, want July 2026 (the month shown)", got[0], got[1])
	}
	if s := footerOf(m); !strings.Contains(s, "✓ Jul 2026: 12 events → /tmp/here/calwatch-2026-07.ics") {
		t.Errorf("footer = %q, want where the file went", s)
	}
}

func TestExportKeyWithoutAnExporterSaysWhatToRun(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	m.flashTimers = false
	keys(t, m, "x")
	if s := footerOf(m); !strings.Contains(s, "calwatch export ics") {
		t.Errorf("footer = %q", s)
	}
}
