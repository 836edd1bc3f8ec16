package tui

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// bodyFind is / in the inspector's body pane: a case-insensitive search of
// the lines the pane shows (as text, never inside colour codes), each
// match drawn in reverse video and its line marked in the gutter.
type bodyFind struct {
	input   textinput.Model
	ready   bool // input is set up
	editing bool // the input has the keys
	query   string
	matches []bodyMatch // in the order they read
	cur     int         // the match n and N move from
	of      *bodyText   // the text matches were found in
	anchor  int         // the scroll when / was pressed: typing finds from there
}

// bodyMatch is one match: its line and display columns [from, to).
type bodyMatch struct{ line, from, to int }

var (
	matchStyle   = lipgloss.NewStyle().Reverse(true)
	currentStyle = lipgloss.NewStyle().Reverse(true).Bold(true)
)

// start gives the input the keys, holding the last query; typing finds
// from the line at the top of the pane, anchor.
func (f *bodyFind) start(anchor int) tea.Cmd {
	f.anchor = anchor
	if !f.ready {
		f.input = textinput.New()
		f.input.Prompt = "/ "
		f.input.Placeholder = "find in the body"
		f.input.CharLimit = 200
		styles := f.input.Styles()
		styles.Cursor.Blink = false
		f.input.SetStyles(styles)
		f.ready = true
	}
	f.editing = true
	return f.input.Focus()
}

// typed is the query in effect ("" when there is none).
func (f *bodyFind) typed() string { return f.query }

// clear drops the query and its matches.
func (f *bodyFind) clear() {
	f.editing, f.query, f.matches, f.cur, f.of = false, "", nil, 0, nil
	if f.ready {
		f.input.Blur()
		f.input.SetValue("")
	}
}

// setQuery searches text for q.
func (f *bodyFind) setQuery(q string, text *bodyText) {
	f.query = q
	f.of = nil
	f.sync(text)
}

// sync finds the query again when the pane shows other text (a tab, p, z,
// another delivery), keeping n and N near where they were.
func (f *bodyFind) sync(text *bodyText) {
	if f.of == text {
		return
	}
	f.of, f.matches, f.cur = text, nil, 0
	if f.query == "" {
		return
	}
	q := []rune(strings.ToLower(f.query))
	for i, line := range text.plain {
		f.matches = append(f.matches, findIn(line, q, i)...)
	}
}

// findIn returns the matches of the lower-cased q in line number n,
// case-insensitive and not overlapping, by display column.
func findIn(line string, q []rune, n int) []bodyMatch {
	if len(q) == 0 {
		return nil
	}
	runes := []rune(line)
	var out []bodyMatch
	col, done := 0, 0 // the display column where runes[done:] starts
	for i := 0; i+len(q) <= len(runes); {
		if !runesFoldEqual(runes[i:i+len(q)], q) {
			i++
			continue
		}
		col += ansi.StringWidth(string(runes[done:i]))
		width := ansi.StringWidth(string(runes[i : i+len(q)]))
		out = append(out, bodyMatch{line: n, from: col, to: col + width})
		col += width
		i += len(q)
		done = i
	}
	return out
}

func runesFoldEqual(a, lower []rune) bool {
	for i, r := range a {
		if unicode.ToLower(r) != lower[i] {
			return false
		}
	}
	return true
}

// count is the title's "match 2 of 7", "no match", or "" with no query.
func (f *bodyFind) count() string {
	switch {
	case f.query == "":
		return ""
	case len(f.matches) == 0:
		return "no match"
	}
	return fmt.Sprintf("match %s of %s", thousands(f.cur+1), thousands(len(f.matches)))
}

// step moves to the next (+1) or previous (-1) match, round the end, and
// returns its line (-1 with no match).
func (f *bodyFind) step(by int) int {
	if len(f.matches) == 0 {
		return -1
	}
	f.cur = (f.cur + by + len(f.matches)) % len(f.matches)
	return f.matches[f.cur].line
}

// first makes the first match at or after line the current one and
// returns its line (-1 with no match).
func (f *bodyFind) first(line int) int {
	if len(f.matches) == 0 {
		return -1
	}
	f.cur = sort.Search(len(f.matches), func(i int) bool { return f.matches[i].line >= line }) % len(f.matches)
	return f.matches[f.cur].line
}

// onLine is the matches on line i.
func (f *bodyFind) onLine(i int) (matches []bodyMatch, firstIndex int) {
	lo := sort.Search(len(f.matches), func(k int) bool { return f.matches[k].line >= i })
	hi := lo
	for hi < len(f.matches) && f.matches[hi].line == i {
		hi++
	}
	return f.matches[lo:hi], lo
}

// glyph marks a line in the gutter: ▸ holds the current match, • another,
// so a match never shows by colour alone.
func (f *bodyFind) glyph(i int) string {
	on, first := f.onLine(i)
	switch {
	case len(on) == 0:
		return " "
	case f.cur >= first && f.cur < first+len(on):
		return "▸"
	}
	return "•"
}

// mark draws line i with its matches in reverse video, the current one
// bold too.
func (f *bodyFind) mark(text *bodyText, i int) string {
	drawn := text.line(i)
	on, first := f.onLine(i)
	if len(on) == 0 {
		return drawn
	}
	var b strings.Builder
	at := 0
	for k, m := range on {
		style := matchStyle
		if first+k == f.cur {
			style = currentStyle
		}
		b.WriteString(ansi.Cut(drawn, at, m.from))
		b.WriteString(style.Render(ansi.Strip(ansi.Cut(drawn, m.from, m.to))))
		at = m.to
	}
	b.WriteString(ansi.Cut(drawn, at, ansi.StringWidth(drawn)))
	return b.String()
}

// reveal shifts line i, drawn, left when the current match is on it but
// past width columns, so the match shows ("…" marks the cut).
func (f *bodyFind) reveal(drawn string, i, width int) string {
	if f.cur >= len(f.matches) || f.matches[f.cur].line != i || f.matches[f.cur].to <= width {
		return drawn
	}
	cut := f.matches[f.cur].to - width + width/3 + 1
	return "…" + ansi.TruncateLeft(drawn, cut, "")
}

// findKey feeds the find input: every keystroke finds, ⏎ keeps the query
// and hands the keys back, esc drops it.
func (m *Model) findKey(msg tea.KeyPressMsg) tea.Cmd {
	in := &m.insp
	f := &in.find
	switch msg.String() {
	case "enter":
		f.editing = false
		f.input.Blur()
		return nil
	case "esc":
		f.clear()
		return nil
	case "ctrl+c":
		return tea.Quit
	}
	m.measureBodyPane()
	var cmd tea.Cmd
	f.input, cmd = f.input.Update(msg)
	if q := f.input.Value(); q != f.query {
		f.setQuery(q, in.text())
		if line := f.first(f.anchor); line >= 0 {
			in.scrollTo(line)
		} else {
			in.scroll = f.anchor // back where the find began
		}
	}
	return cmd
}

// scrollTo scrolls the body so line shows, a third of the way down when it
// was out of view.
func (in *inspector) scrollTo(line int) {
	if line < 0 {
		return
	}
	rows := max(1, in.rows)
	if line < in.scroll || line >= in.scroll+rows {
		in.scroll = max(0, line-rows/3)
	}
}
