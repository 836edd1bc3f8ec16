package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tui/tuitest"
)

// demoTUI is the whole demo (emulator, OAuth login, live listener and
// session) under teatest, wired as tuiRun wires it.
type demoTUI struct {
	t      *testing.T
	d      *demo
	tm     *teatest.TestModel
	screen *tuitest.Screen
	hints  *bytes.Buffer // what calwatch says on its error stream
	closed bool
}

func startDemoTUI(t *testing.T, w, h int) *demoTUI {
	t.Helper()
	hints := &bytes.Buffer{}
	a := &app{streams: &streams{out: io.Discard, errOut: hints}, home: t.TempDir()}
	d, err := a.startDemo(context.Background(), 7, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	dt := &demoTUI{t: t, d: d, hints: hints}
	t.Cleanup(func() {
		if !dt.closed {
			d.close()
		}
	})
	var tb tui.Backend = replayingBackend{d.hub, &tuiReplayer{reader: d.hub.Reader(), target: d.live.replayTarget},
		&tuiExporter{reader: d.hub.Reader(), now: time.Now}}
	tb = demoBackend{tb.(replayingBackend), newDemoActor(d.emu, d.hub.Reader(), 7)}
	dt.screen = tuitest.NewScreen(tui.New(tb, tui.Options{Location: time.Local, Dark: true}))
	dt.tm = teatest.NewTestModel(t, dt.screen, teatest.WithInitialTermSize(w, h))
	return dt
}

// waitFor waits (up to 30 s) for a frame that cond accepts and returns it.
func (dt *demoTUI) waitFor(what string, cond func(screen string) bool) string {
	dt.t.Helper()
	return dt.screen.WaitFor(dt.t, what, 30*time.Second, cond)
}

// press types keys: a single character, or "enter" / "esc".
func (dt *demoTUI) press(keys ...string) {
	for _, k := range keys {
		switch k {
		case "enter":
			dt.tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
		case "esc":
			dt.tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
		default:
			dt.tm.Type(k)
		}
	}
}

// quit presses q, waits for the program to end and stops the demo as
// tuiRun does after it.
func (dt *demoTUI) quit() {
	dt.t.Helper()
	dt.press("q")
	dt.tm.WaitFinished(dt.t, teatest.WithFinalTimeout(10*time.Second))
	dt.d.stopSession()
	if subs, err := dt.d.store.Subscriptions(context.Background()); err != nil || len(subs) != 0 {
		dt.t.Errorf("after q, calwatch remembers %d subscriptions (%v); want its own deleted", len(subs), err)
	}
	dt.d.close()
	dt.closed = true
}

// TestDemoOpensOnTheMonthWithBookingsAndQuitsCleanly runs the demo as
// `calwatch --demo` does at 120×36: the month grid of today with day counts
// and the DEMO badge; q ends the program, says it is deleting the demo's
// subscription and does.
func TestDemoOpensOnTheMonthWithBookingsAndQuitsCleanly(t *testing.T) {
	dt := startDemoTUI(t, 120, 36)
	month := time.Now().Format("January 2006")
	dt.waitFor("the month grid with counts and the DEMO badge", func(s string) bool {
		return strings.Contains(s, "[1] Calendar ◂ "+month) && strings.Contains(s, "●") && strings.Contains(s, "calwatch DEMO ● LIVE")
	})
	dt.quit()
	if !strings.Contains(dt.hints.String(), "Stopping the demo: deleting its webhook subscription…") {
		t.Errorf("quitting did not say what it waits for: %q", dt.hints.String())
	}
}

// leftCol and rightCol split a 120-column main screen's line at the left
// column's edge (52 cells).
func leftCol(line string) string  { return ansi.Truncate(line, 52, "") }
func rightCol(line string) string { return ansi.TruncateLeft(line, 52, "") }

// anyLine reports whether some line, seen through col, holds every part.
func anyLine(s string, col func(string) string, parts ...string) bool {
	for _, l := range strings.Split(s, "\n") {
		l = col(l)
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			return true
		}
	}
	return false
}

// countLines is how many lines, seen through col, hold every part.
func countLines(s string, col func(string) string, parts ...string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if anyLine(l, col, parts...) {
			n++
		}
	}
	return n
}

// cursorLine is the day pane's selected row ("▸" at the left column's
// edge).
func cursorLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = leftCol(l); strings.HasPrefix(l, "│▸") {
			return l
		}
	}
	return ""
}

var (
	bookedFlash = regexp.MustCompile(`demo: booked (.+?) · (\w{3} \d{1,2} \w{3} \d{2}:\d{2})`)
	movedFlash  = regexp.MustCompile(`demo: moved (.+?) to (\w{3} \d{1,2} \w{3}) \d{2}:\d{2}`)
	noShowFlash = regexp.MustCompile(`demo: (.+?) marked a no-show`)
)

// selectRow moves the day pane's cursor from the top down to the row that
// has every part, and returns that row.
func (dt *demoTUI) selectRow(parts ...string) string {
	dt.t.Helper()
	dt.press("g")
	for range 40 {
		s := dt.waitFor("the day pane's cursor", func(s string) bool { return cursorLine(s) != "" })
		line := cursorLine(s)
		if anyLine(line, func(l string) string { return l }, parts...) {
			return line
		}
		dt.press("j")
		dt.waitFor("the cursor moving down", func(s string) bool { return cursorLine(s) != line })
	}
	dt.t.Fatalf("no day row with %q:\n%s", parts, dt.screen.Current())
	return ""
}

// goToDay moves the calendar from today to day (in the local zone) and
// focuses the day pane.
func (dt *demoTUI) goToDay(label string) {
	dt.t.Helper()
	dt.press("1", "t")
	now := time.Now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	for i := range 10 {
		if today.AddDate(0, 0, i).Format("Mon 2 Jan") == label {
			for range i {
				dt.press("l")
			}
			dt.press("2")
			dt.waitFor("the day pane of "+label, func(s string) bool { return strings.Contains(s, "[2] "+label) })
			return
		}
	}
	dt.t.Fatalf("%s is not within 10 days of today", label)
}

// TestDemoKeysChangeABookingInEveryPane runs the whole demo at 120×36: B
// books through the emulator and the booking reaches the feed, its day and
// the contacts; M moves it, C cancels it at its new time and N marks a
// past booking a no-show, each shown in the day pane, the feed and the
// person's activity.
func TestDemoKeysChangeABookingInEveryPane(t *testing.T) {
	dt := startDemoTUI(t, 120, 36)
	dt.waitFor("the demo's first screen", func(s string) bool {
		return strings.Contains(s, "calwatch DEMO") && strings.Contains(s, "●") && !strings.Contains(s, "backfill")
	})

	dt.press("B")
	var name, when string
	dt.waitFor("B's flash", func(s string) bool {
		if m := bookedFlash.FindStringSubmatch(s); m != nil {
			name, when = m[1], m[2]
			return true
		}
		return false
	})
	short := ansi.Truncate(name, 12, "")
	dt.waitFor("the booking in the feed", func(s string) bool { return anyLine(s, rightCol, "created", short) })
	dt.goToDay(when[:len(when)-6])
	row := dt.selectRow(short, when[len(when)-5:])
	if strings.Contains(row, "✗") || strings.Contains(row, "⇄") {
		t.Fatalf("the new booking's row is not a plain booking: %q", row)
	}

	dt.press("M")
	var movedTo string
	dt.waitFor("M's flash", func(s string) bool {
		if m := movedFlash.FindStringSubmatch(s); m != nil && m[1] == name {
			movedTo = m[2]
			return true
		}
		return false
	})
	dt.waitFor("the old time marked moved in the day pane", func(s string) bool { return anyLine(s, leftCol, short, "⇄ moved") })
	// A reschedule is the old time canceled and the new one created.
	dt.waitFor("the move in the feed", func(s string) bool {
		return anyLine(s, rightCol, "canceled", short) && countLines(s, rightCol, "created", short) == 2
	})

	dt.goToDay(movedTo)
	dt.selectRow(short)
	dt.press("C")
	dt.waitFor("C's flash", func(s string) bool { return strings.Contains(s, "demo: canceled "+name) })
	dt.waitFor("the new time canceled in the day pane", func(s string) bool { return anyLine(s, leftCol, short, "✗ canceled") })

	dt.press("4", "/")
	dt.press(strings.Split(name, "")...)
	dt.press("enter")
	dt.waitFor("the person's activity in contacts", func(s string) bool {
		return strings.Contains(s, "─"+name+" ") && strings.Contains(s, "✓ booked") &&
			strings.Contains(s, "⇄ moved") && strings.Contains(s, "✗ canceled")
	})
	dt.press("esc")

	// N marks a booking that has started: the first done one in the last days.
	dt.press("2", "t")
	var noShow string
	for back := 0; noShow == "" && back < 5; back++ {
		dt.press("h")
		label := time.Now().AddDate(0, 0, -back-1).Format("Mon 2 Jan")
		s := dt.waitFor("the day pane of "+label, func(s string) bool { return strings.Contains(s, "[2] "+label) })
		if !anyLine(s, leftCol, "✓ done") {
			continue
		}
		dt.selectRow("✓ done")
		dt.press("N")
		dt.waitFor("N's flash", func(s string) bool {
			if m := noShowFlash.FindStringSubmatch(s); m != nil {
				noShow = m[1]
				return true
			}
			return false
		})
	}
	if noShow == "" {
		t.Fatal("no done booking in the last five days to mark a no-show")
	}
	short = ansi.Truncate(noShow, 12, "")
	dt.waitFor("the no-show in the day pane", func(s string) bool { return anyLine(s, leftCol, short, "⊘ no-show") })
	dt.waitFor("the no-show in the feed", func(s string) bool { return anyLine(s, rightCol, "no_show", ansi.Truncate(noShow, 10, "")) })
	dt.press("4", "/")
	dt.press(strings.Split(noShow, "")...)
	dt.press("enter")
	dt.waitFor("the no-show in the person's activity", func(s string) bool {
		return strings.Contains(s, "─"+noShow+" ") && strings.Contains(s, "⊘ no-show")
	})
	dt.quit()
}
