package tui

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

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
	typeLine(t, m, "replay "+strconv.FormatInt(id, 10))
	call := <-f.calls
	if call.id != id || call.body != nil {
		t.Errorf("replayed %d, want %d as stored", call.id, id)
	}
	if !strings.Contains(footerOf(m), "✓ replayed → 200 (39ms)") {
		t.Errorf("footer %q", footerOf(m))
	}
}

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
