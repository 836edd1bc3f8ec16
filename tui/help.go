package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// helpGroupTitles names the groups of helpKeys.FullHelp, in its order.
var helpGroupTitles = []string{"Global", "Lists", "Calendar", "Feed/inspector", "Contacts", "Demo"}

// narrowHelp is the terminal width below which the full help has at most
// two columns, its groups stacked.
const narrowHelp = 100

// helpGroup is one heading and its bindings, laid out as lines.
type helpGroup struct {
	title string
	keys  []key.Binding
}

// fullHelpGroups is the full help's groups with their headings.
func fullHelpGroups(h helpKeys) []helpGroup {
	var groups []helpGroup
	for i, keys := range h.FullHelp() {
		title := "More"
		if i < len(helpGroupTitles) {
			title = helpGroupTitles[i]
		}
		if !h.demo && title == "Demo" {
			continue
		}
		groups = append(groups, helpGroup{title: title, keys: keys})
	}
	return groups
}

// lines is the group as a heading and one "key  description" line per
// binding, the keys padded to keyW cells.
func (g helpGroup) lines(st Styles, keyW int) []string {
	out := []string{st.Bold.Render(g.title)}
	for _, b := range g.keys {
		out = append(out, st.Accent.Render(fit(b.Help().Key, keyW))+" "+st.Faint.Render(b.Help().Desc))
	}
	return out
}

// width is the cells the group's widest line takes with keys padded to
// keyW.
func (g helpGroup) width(keyW int) int {
	w := ansi.StringWidth(g.title)
	for _, b := range g.keys {
		w = max(w, keyW+1+ansi.StringWidth(b.Help().Desc))
	}
	return w
}

func (g helpGroup) keyWidth() int {
	w := 0
	for _, b := range g.keys {
		w = max(w, ansi.StringWidth(b.Help().Key))
	}
	return w
}

// helpColumns splits groups, in order, into n columns so that the tallest
// column is as short as it can be; each group is its lines plus a blank
// line between groups.
func helpColumns(groups []helpGroup, n int) [][]helpGroup {
	if n <= 1 || len(groups) <= 1 {
		return [][]helpGroup{groups}
	}
	best, bestH := [][]helpGroup(nil), -1
	for cut := 1; cut <= len(groups)-n+1; cut++ {
		rest := helpColumns(groups[cut:], n-1)
		h := stackHeight(groups[:cut])
		for _, col := range rest {
			h = max(h, stackHeight(col))
		}
		if bestH < 0 || h < bestH {
			best, bestH = append([][]helpGroup{groups[:cut]}, rest...), h
		}
	}
	return best
}

func stackHeight(groups []helpGroup) int {
	h := 0
	for i, g := range groups {
		if i > 0 {
			h++
		}
		h += 1 + len(g.keys)
	}
	return h
}

// helpLayout draws the groups in as many columns as fit w cells (at most
// two on a narrow terminal), every binding whole.
func helpLayout(st Styles, groups []helpGroup, w int, narrow bool) []string {
	const gap = 4
	most := len(groups)
	if narrow {
		most = min(2, most)
	}
	for n := most; n >= 1; n-- {
		cols := helpColumns(groups, n)
		var blocks []string
		total := 0
		for c, col := range cols {
			keyW, colW := 0, 0
			for _, g := range col {
				keyW = max(keyW, g.keyWidth())
			}
			var lines []string
			for i, g := range col {
				if i > 0 {
					lines = append(lines, "")
				}
				colW = max(colW, g.width(keyW))
				lines = append(lines, g.lines(st, keyW)...)
			}
			if c < len(cols)-1 {
				colW += gap // the last column has no gap after it
			}
			for i := range lines {
				lines[i] = fit(lines[i], colW)
			}
			blocks = append(blocks, strings.Join(lines, "\n"))
			total += colW
		}
		if total <= w || n == 1 {
			return strings.Split(side(blocks...), "\n")
		}
	}
	return nil
}

// helpScreen is the full help in a w×h box, scrolled to m.helpTop when it
// is taller than the box.
func (m *Model) helpScreen(w, h int) string {
	hk := helpKeys{km: m.km, focus: m.focus, view: m.view, demo: m.demoActions() != nil}
	lines := helpLayout(m.st, fullHelpGroups(hk), w-3, m.width < narrowHelp)
	for i := range lines {
		lines[i] = " " + lines[i]
	}
	rows := max(1, h-2)
	m.helpTop = max(0, min(m.helpTop, len(lines)-rows))
	right := "? or esc closes"
	if len(lines) > rows {
		right = fmt.Sprintf("%d–%d of %d · j/k scroll · ? or esc closes", m.helpTop+1, min(len(lines), m.helpTop+rows), len(lines))
		lines = lines[m.helpTop:min(len(lines), m.helpTop+rows)]
	}
	return box(m.st, true, "Help", right, lines, w, h)
}

// helpKey scrolls or closes the full help.
func (m *Model) helpKey(msg tea.KeyPressMsg) {
	km, page := m.km, max(1, m.lay.bodyH-2)
	switch {
	case key.Matches(msg, km.Help, km.Back):
		m.fullHelp, m.helpTop = false, 0
	case key.Matches(msg, km.Down):
		m.helpTop++
	case key.Matches(msg, km.Up):
		m.helpTop = max(0, m.helpTop-1)
	case key.Matches(msg, km.PgDn):
		m.helpTop += page
	case key.Matches(msg, km.PgUp):
		m.helpTop = max(0, m.helpTop-page)
	case key.Matches(msg, km.Top):
		m.helpTop = 0
	case key.Matches(msg, km.Bottom):
		m.helpTop = 1 << 20 // clamped to the last page when drawn
	}
}

// helpScreenKeys is the footer while the full help is open.
func helpScreenKeys() []key.Binding {
	return []key.Binding{
		key.NewBinding(key.WithKeys("j", "k"), key.WithHelp("j/k", "scroll")),
		key.NewBinding(key.WithKeys("pgdown", "pgup"), key.WithHelp("pgdn/pgup", "page")),
		key.NewBinding(key.WithKeys("esc", "?", "q"), key.WithHelp("esc/?/q", "close")),
	}
}
