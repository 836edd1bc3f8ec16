package tui

import (
	"fmt"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// helpSeen opens the full help and scrolls it to the end, returning every
// line shown on the way.
func helpSeen(t *testing.T, m *Model) []string {
	t.Helper()
	keys(t, m, "?")
	var seen []string
	for range 100 {
		s := screen(m)
		seen = append(seen, strings.Split(s, "\n")...)
		before := s
		keys(t, m, "j")
		if screen(m) == before {
			return seen
		}
	}
	t.Fatal("the help kept scrolling after 100 lines")
	return nil
}

// TestFullHelpShowsEveryBindingAtEveryWidth opens ? at 80, 100, 120 and
// 160 columns, in and out of the demo, and finds every binding of every
// group whole (key and description on one line), under its heading.
func TestFullHelpShowsEveryBindingAtEveryWidth(t *testing.T) {
	for _, demo := range []bool{false, true} {
		for _, size := range [][2]int{{80, 24}, {100, 30}, {120, 36}, {160, 48}} {
			t.Run(fmt.Sprintf("%dx%d demo=%v", size[0], size[1], demo), func(t *testing.T) {
				m, _ := demoModel(t, demo)
				send(t, m, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
				seen := helpSeen(t, m)
				all := strings.Join(seen, "\n")
				if strings.Contains(all, "…") {
					t.Errorf("the help cuts something:\n%s", all)
				}
				groups := fullHelpGroups(helpKeys{km: m.km, demo: demo})
				want := len(helpGroupTitles) - 1 // all but Demo
				if demo {
					want++
				}
				if len(groups) != want {
					t.Errorf("%d groups, want %d", len(groups), want)
				}
				for _, g := range groups {
					if !strings.Contains(all, " "+g.title+" ") {
						t.Errorf("heading %q missing", g.title)
					}
					for _, b := range g.keys {
						if !containsBinding(seen, b.Help().Key, b.Help().Desc) {
							t.Errorf("%s: %q %q not shown whole", g.title, b.Help().Key, b.Help().Desc)
						}
					}
				}
				if demo != strings.Contains(all, "demo: book someone") {
					t.Errorf("demo keys shown = %v, want %v", !demo, demo)
				}
			})
		}
	}
}

// containsBinding reports whether a line holds key, then spaces, then desc.
func containsBinding(lines []string, key, desc string) bool {
	for _, l := range lines {
		for rest := l; ; {
			i := strings.Index(rest, " "+key+" ")
			if i < 0 {
				break
			}
			after := strings.TrimLeft(rest[i+len(key)+1:], " ")
			if strings.HasPrefix(after, desc) {
				return true
			}
			rest = rest[i+1:]
		}
	}
	return false
}

// TestNarrowHelpScrollsAndCloses checks that at 80×24 the help is two
// columns, says where it is when it scrolls, and that esc closes it and
// starts the next one at the top.
func TestNarrowHelpScrollsAndCloses(t *testing.T) {
	m, _ := demoModel(t, true)
	send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	keys(t, m, "?")
	s := screen(m)
	checkShape(t, "help 80x24", s, 80, 24)
	if !strings.Contains(s, "1–20 of") || !strings.Contains(s, "j/k scroll") {
		t.Errorf("a help taller than the screen does not say it scrolls:\n%s", s)
	}
	if first := strings.Split(s, "\n")[2]; !strings.Contains(first, " Global ") || strings.Count(strings.TrimSpace(strings.Trim(first, "│ ")), "  ") < 1 {
		t.Errorf("80 columns should show two columns, Global beside another group:\n%s", s)
	}
	if !strings.Contains(footerOf(m), "esc/?/q close") {
		t.Errorf("the footer does not say how to close the help: %q", footerOf(m))
	}
	keys(t, m, "G")
	if s := screen(m); !strings.Contains(s, "demo: no-show") || strings.Contains(s, "1–20 of") {
		t.Errorf("G should show the help's last page:\n%s", s)
	}
	keys(t, m, "esc")
	if m.fullHelp {
		t.Fatal("esc left the help open")
	}
	keys(t, m, "?")
	if s := screen(m); !strings.Contains(s, "1–20 of") {
		t.Errorf("the help reopened away from its top:\n%s", s)
	}
	keys(t, m, "q")
	if m.fullHelp {
		t.Error("q left the help open")
	}
}

// TestHelpAt100ColumnsUsesTheWidth checks that from 100 columns the help
// sets its groups side by side as far as they fit, and that at 120×36 it
// shows whole without scrolling.
func TestHelpAt100ColumnsUsesTheWidth(t *testing.T) {
	m, _ := demoModel(t, true)
	send(t, m, tea.WindowSizeMsg{Width: 100, Height: 30})
	keys(t, m, "?")
	first := strings.Split(screen(m), "\n")[2]
	headings := 0
	for _, title := range helpGroupTitles {
		if strings.Contains(first, " "+title+" ") {
			headings++
		}
	}
	if headings < 3 {
		t.Errorf("at 100 columns at least three groups should head columns side by side: %q", first)
	}
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	if s := screen(m); strings.Contains(s, "j/k scroll · ? or esc closes") || !strings.Contains(s, "demo: no-show") {
		t.Errorf("at 120×36 the whole help should show without scrolling:\n%s", s)
	}
}
