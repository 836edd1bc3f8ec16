package tui

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the goldens use Europe/Berlin whatever the machine has

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/fixture"
)

// updating reports -update, the flag charmbracelet/x/exp/golden (through
// teatest) defines for this test binary: it rewrites the goldens.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// testNow is the frozen clock of every test: Thursday 18 June 2026, 14:35
// in Berlin.
var (
	berlin  = mustZone("Europe/Berlin")
	testNow = time.Date(2026, 6, 18, 14, 35, 0, 0, berlin)
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// openStore opens an empty store in a temporary folder.
func openStore(t testing.TB) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// filledStore is a store with three weeks of history either side of
// testNow.
func filledStore(t testing.TB) *storage.Store {
	t.Helper()
	s := openStore(t)
	today := midnight(testNow)
	if err := fixture.Fill(context.Background(), s, today, testNow, 21, 4); err != nil {
		t.Fatal(err)
	}
	return s
}

// newTestModel is a model over store at testNow, sized w×h, with every
// first read done.
func newTestModel(t testing.TB, store *storage.Store, conn Connection, w, h int) *Model {
	t.Helper()
	m := New(quiet{NewHub(store.Panes(), conn)}, Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true})
	drive(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// quiet is a backend with no event stream, so drive never waits on one.
type quiet struct{ *Hub }

func (quiet) Events() <-chan Event { return nil }

// send delivers msg and runs whatever it asks for.
func send(t testing.TB, m *Model, msg tea.Msg) {
	t.Helper()
	_, cmd := m.Update(msg)
	drive(t, m, cmd)
}

// keys sends key presses, named as tea prints them ("j", "enter", "tab").
func keys(t testing.TB, m *Model, names ...string) {
	t.Helper()
	for _, name := range names {
		send(t, m, keyPress(name))
	}
}

func keyPress(name string) tea.KeyPressMsg {
	switch name {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(name)[0]
	if r >= 'A' && r <= 'Z' {
		return tea.KeyPressMsg{Code: r + 'a' - 'A', ShiftedCode: r, Text: name, Mod: tea.ModShift}
	}
	return tea.KeyPressMsg{Code: r, Text: name}
}

// drive runs cmd and feeds its messages back into m, as the program
// would, until nothing is left. A Cmd that does not answer within a
// second (a wait on an event stream) is left behind.
func drive(t testing.TB, m *Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(time.Second):
			continue
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			if _, isQuit := msg.(tea.QuitMsg); isQuit {
				continue
			}
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// screen is the view as plain text, one string per line.
func screen(m *Model) string { return ansi.Strip(m.View().Content) }

// golden compares got with testdata/name.golden (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// checkShape fails when a line of the screen is wider than w or the
// screen is not h lines.
func checkShape(t *testing.T, name, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines, want %d", name, len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Errorf("%s: line %d is %d cells wide, want %d: %q", name, i+1, lw, w, l)
		}
	}
}
