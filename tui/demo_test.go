package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

type demoCall struct {
	act DemoAction
	uri string
}

// fakeDemo is a quiet backend with demo actions that records each call.
type fakeDemo struct {
	quiet
	calls chan demoCall
	err   error
}

func (f *fakeDemo) Demo(_ context.Context, act DemoAction, uri string) (string, error) {
	f.calls <- demoCall{act, uri}
	return act.String() + " done", f.err
}

func demoModel(t *testing.T, demo bool) (*Model, *fakeDemo) {
	t.Helper()
	store := filledStore(t)
	f := &fakeDemo{quiet: quiet{NewHub(store.Panes(), Connection{Mode: ModeLive, Demo: demo, KeySet: true})}, calls: make(chan demoCall, 4)}
	m := New(f, Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true})
	m.flashTimers = false
	drive(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	return m, f
}

func TestDemoKeysActOnTheSelectedBookingOrAtRandom(t *testing.T) {
	m, f := demoModel(t, true)
	if !strings.Contains(footerOf(m), "B/C/M/N demo") {
		t.Errorf("the demo's footer does not offer its keys: %q", footerOf(m))
	}
	keys(t, m, "B")
	if c := <-f.calls; c.act != DemoBook || c.uri != "" {
		t.Errorf("B asked %+v, want a booking", c)
	}
	if got := footerOf(m); !strings.Contains(got, "✓ demo: book done") {
		t.Errorf("footer = %q", got)
	}
	// From the calendar nothing is selected: at random.
	keys(t, m, "C")
	if c := <-f.calls; c.act != DemoCancel || c.uri != "" {
		t.Errorf("C from the calendar asked %+v, want a cancel at random", c)
	}
	// From the day pane, the selected booking.
	keys(t, m, "2")
	want := m.day.rows[m.day.cursor].EventURI
	for _, tc := range []struct {
		key string
		act DemoAction
	}{{"C", DemoCancel}, {"M", DemoReschedule}, {"N", DemoNoShow}} {
		keys(t, m, tc.key)
		if c := <-f.calls; c.act != tc.act || c.uri != want {
			t.Errorf("%s asked %+v, want %v of %s", tc.key, c, tc.act, want)
		}
	}
}

func TestDemoKeysAreNotOfferedOutsideTheDemo(t *testing.T) {
	m, f := demoModel(t, false)
	if strings.Contains(footerOf(m), "demo") {
		t.Errorf("the footer offers demo keys outside the demo: %q", footerOf(m))
	}
	keys(t, m, "B", "2", "C")
	select {
	case c := <-f.calls:
		t.Errorf("a demo action ran outside the demo: %+v", c)
	default:
	}
}

func TestDemoFailureSaysWhy(t *testing.T) {
	m, f := demoModel(t, true)
	f.err = errString("no booking fits; press B to book one first")
	keys(t, m, "N")
	<-f.calls
	if got := footerOf(m); !strings.Contains(got, "✗ demo no-show: no booking fits") {
		t.Errorf("footer = %q", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }
