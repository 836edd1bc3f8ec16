package tui

import (
	"fmt"
	"net/http"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/alecthomas/chroma/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener"
)

// bodyTab is what the inspector's body pane shows.
type bodyTab int

const (
	tabBody     bodyTab = iota // the body, pretty JSON (p: as received)
	tabReply                   // what calwatch answered the sender
	tabRawBytes                // the stored bytes as a hex dump
	tabCount
)

var bodyTabNames = [tabCount]string{"Body", "Reply", "Raw bytes"}

// bodyText is one view of the body pane: its lines as plain text (what
// find searches) and, for pretty JSON, the tokens each is coloured from.
type bodyText struct {
	plain []string
	toks  [][]chroma.Token
	drawn []string // toks coloured, as each line is first drawn
}

func textOf(s string) *bodyText {
	s = strings.TrimSuffix(safetextBlock(s), "\n")
	if s == "" {
		return &bodyText{}
	}
	return &bodyText{plain: strings.Split(s, "\n")}
}

func tokenText(lines [][]chroma.Token) *bodyText {
	t := &bodyText{toks: lines, plain: make([]string, len(lines)), drawn: make([]string, len(lines))}
	for i, l := range lines {
		t.plain[i] = plainLine(l)
	}
	return t
}

// line is line i as drawn.
func (t *bodyText) line(i int) string {
	if t.toks == nil {
		return t.plain[i]
	}
	if t.drawn[i] == "" {
		t.drawn[i] = colourLine(t.toks[i])
	}
	return t.drawn[i]
}

// bodyViews caches each view of one delivery, built when first shown.
type bodyViews struct {
	doc                                *jsonNode // nil when the body is not JSON
	whyRaw                             error     // why doc is nil
	pretty, folded, asIs, reply, bytes *bodyText
}

func (in *inspector) setBody() {
	in.views = bodyViews{}
	in.views.doc, in.views.whyRaw = parseJSONBody(in.rec.Body)
}

// isJSON reports whether the stored body is one JSON value.
func (in *inspector) isJSON() bool { return in.views.doc != nil }

// text is the view the body pane shows now.
func (in *inspector) text() *bodyText {
	v := &in.views
	build := func(t **bodyText, newText func() *bodyText) *bodyText {
		if *t == nil {
			*t = newText()
		}
		return *t
	}
	switch {
	case in.tab == tabReply:
		return build(&v.reply, in.replyText)
	case in.tab == tabRawBytes:
		return build(&v.bytes, func() *bodyText { return &bodyText{plain: hexDump(in.rec.Body)} })
	case in.raw || v.doc == nil:
		return build(&v.asIs, func() *bodyText { return textOf(string(in.rec.Body)) })
	case in.fold:
		return build(&v.folded, func() *bodyText { return tokenText(layoutJSON(v.doc, true).lines) })
	}
	return in.unfolded()
}

// unfolded is the pretty view with nothing folded.
func (in *inspector) unfolded() *bodyText {
	if in.views.pretty == nil {
		in.views.pretty = tokenText(layoutJSON(in.views.doc, false).lines)
	}
	return in.views.pretty
}

// folding reports whether z does anything here: pretty JSON on the Body tab.
func (in *inspector) folding() bool { return in.tab == tabBody && !in.raw && in.isJSON() }

// replyText is the answer calwatch sent, as listener.Reply builds it: the
// status line, the content type and the exact body.
func (in *inspector) replyText() *bodyText {
	code := answerCode(in.rec)
	contentType, body := listener.Reply(code, in.rec)
	return textOf(fmt.Sprintf("HTTP/1.1 %d %s\nContent-Type: %s\nContent-Length: %d\n\n%s",
		code, http.StatusText(code), contentType, len(body), body))
}

// hexDump shows b 16 bytes a line: the offset, the bytes in hex and as
// ASCII, anything not printable as ".".
func hexDump(b []byte) []string {
	const digits = "0123456789abcdef"
	width := max(4, len(fmt.Sprintf("%x", max(0, len(b)-1))))
	lineLen := width + 16*3 + 2 + 16
	lines := make([]string, 0, (len(b)+15)/16)
	for off := 0; off < len(b); off += 16 {
		row := b[off:min(off+16, len(b))]
		line := make([]byte, 0, lineLen)
		for shift := 4 * (width - 1); shift >= 0; shift -= 4 {
			line = append(line, digits[off>>shift&0xf])
		}
		for i := range 16 {
			if i < len(row) {
				line = append(line, ' ', digits[row[i]>>4], digits[row[i]&0xf])
			} else {
				line = append(line, "   "...)
			}
		}
		line = append(line, ' ', ' ')
		for _, c := range row {
			if c < 0x20 || c > 0x7e {
				c = '.'
			}
			line = append(line, c)
		}
		lines = append(lines, string(line))
	}
	return lines
}

// storedNote says how much of the body is kept: all of it, a prefix, or
// none (a duplicate's body is its first delivery's).
func storedNote(r storage.DeliveryRecord) string {
	switch {
	case !r.BodyTruncated:
		return thousands(len(r.Body)) + " B as received"
	case r.Outcome == storage.OutcomeDuplicate && len(r.Body) == 0:
		return fmt.Sprintf("no body kept: a duplicate, delivery %d has its %s B", r.DuplicateOf, thousands(int(r.BodySize)))
	}
	return fmt.Sprintf("a prefix: %s B stored of %s B received", thousands(len(r.Body)), thousands(int(r.BodySize)))
}

// tabTitle is the body pane's title: "[Body] Reply  Raw bytes".
func (in *inspector) tabTitle() string {
	var b strings.Builder
	for t, name := range bodyTabNames {
		if bodyTab(t) == in.tab {
			b.WriteString("[" + name + "]")
		} else {
			b.WriteString(" " + name + " ")
		}
	}
	return strings.TrimSpace(b.String())
}

// paneStatus is the body pane's footer when no find is being typed.
func (in *inspector) paneStatus(text *bodyText) string {
	n := len(text.plain)
	switch in.tab {
	case tabReply:
		return fmt.Sprintf("what calwatch answered · code from the log · %s", plural(n, "line"))
	case tabRawBytes:
		return storedNote(in.rec) + " · 16 bytes a line"
	}
	size := thousands(len(in.rec.Body)) + " B"
	if in.rec.BodyTruncated {
		size = storedNote(in.rec)
	}
	switch {
	case !in.folding() && !in.isJSON() && len(in.rec.Body) > 0:
		return fmt.Sprintf("%s · %s · %s: shown as received", plural(n, "line"), size, in.views.whyRaw)
	case !in.folding():
		return fmt.Sprintf("%s · %s", plural(n, "line"), size)
	case in.fold:
		return fmt.Sprintf("%d lines shown (%d unfolded) · %s · z unfolds", n, len(in.unfolded().plain), size)
	}
	return fmt.Sprintf("%s · %s · z folds", plural(n, "line"), size)
}

// modeNote is the title's right side: the view's mode and its keys.
func (in *inspector) modeNote() string {
	mode := "w wrap"
	if in.tab == tabBody {
		mode = "pretty · p raw · w wrap"
		if in.raw || !in.isJSON() {
			mode = "raw · p pretty · w wrap"
		}
	}
	if note := in.find.count(); note != "" {
		mode = note + " · " + mode
	}
	return mode
}

// bodyBox draws the body pane: the tab's lines with their numbers (the
// hex dump has its offsets instead), find's matches marked, and a footer.
func (in *inspector) bodyBox(st Styles, w, h int) string {
	text := in.text()
	in.find.sync(text)
	inner := w - 2
	in.rows = max(1, h-3)
	src := text.plain
	numW := len(fmt.Sprint(len(src)))
	if in.tab == tabRawBytes {
		numW = -1
	}
	textW, margin := max(4, inner-numW-2), " "
	hexGlyph := numW < 0 && len(src) > 0 && inner > len(src[0])
	if numW < 0 { // the hex dump's 70 columns fit a 120-column screen's pane
		textW, margin = inner, ""
		if hexGlyph { // and with a column to spare, find's glyph goes first
			textW--
		}
	}
	var lines []string
	for i := in.scroll; i < len(src) && len(lines) < in.rows; i++ {
		drawn := in.find.mark(text, i)
		gutter := ""
		if numW > 0 {
			gutter = st.Faint.Render(fmt.Sprintf("%*d", numW, i+1)) + in.find.glyph(i)
		} else if hexGlyph {
			gutter = in.find.glyph(i)
		}
		if in.wrap {
			for j, part := range strings.Split(ansi.Hardwrap(drawn, textW, true), "\n") {
				if j > 0 && numW > 0 {
					gutter = strings.Repeat(" ", numW+1)
				}
				lines = append(lines, margin+gutter+part)
			}
			continue
		}
		lines = append(lines, margin+gutter+fit(in.find.reveal(drawn, i, textW), textW))
	}
	if len(src) == 0 {
		lines = []string{"", st.Faint.Render(" (empty body)")}
	}
	lines = lines[:min(len(lines), in.rows)]
	for len(lines) < in.rows {
		lines = append(lines, "")
	}
	lines = append(lines, in.footer(st, text, inner))
	return box(st, true, in.tabTitle(), in.modeNote(), lines, w, h)
}

// footer is the pane's last row: find's input while it is typed, else
// what the pane shows, centred between rules.
func (in *inspector) footer(st Styles, text *bodyText, w int) string {
	if in.find.editing {
		in.find.input.SetWidth(max(10, w-4))
		return " " + in.find.input.View()
	}
	status := in.paneStatus(text)
	if q := in.find.typed(); q != "" {
		// The keys go first to make room for what the pane shows.
		full := "/" + outside(q) + " · n/N · esc clears · " + status
		if ansi.StringWidth(full) > w-6 {
			full = "/" + outside(q) + " · " + status
		}
		status = full
	}
	status = ansi.Truncate(status, max(1, w-6), "…")
	pad := max(0, w-ansi.StringWidth(status)-4)
	return st.Faint.Render(strings.Repeat(" ", pad/2) + "─ " + status + " ─")
}

// bodyPaneKey handles the body pane's keys: [ and ] switch tabs, z folds,
// / n N find, and esc clears a find before it leaves the inspector.
func (m *Model) bodyPaneKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	km, in := m.km, &m.insp
	m.measureBodyPane()
	switch {
	case key.Matches(msg, km.Back) && in.find.typed() != "":
		in.find.clear()
	case key.Matches(msg, km.Find):
		return in.find.start(in.scroll), true
	case key.Matches(msg, km.NextMatch):
		in.find.sync(in.text())
		in.scrollTo(in.find.step(1))
	case key.Matches(msg, km.PrevMatch):
		in.find.sync(in.text())
		in.scrollTo(in.find.step(-1))
	case key.Matches(msg, km.PrevTab, km.NextTab):
		step := bodyTab(1)
		if key.Matches(msg, km.PrevTab) {
			step = tabCount - 1
		}
		in.tab = (in.tab + step) % tabCount
		in.afterTextChange()
	case key.Matches(msg, km.Fold):
		if !in.folding() {
			m.setFlash(sevInfo, "z folds pretty JSON, on the Body tab")
			return nil, true
		}
		in.fold = !in.fold
		in.afterTextChange()
	case key.Matches(msg, km.Raw):
		if in.tab == tabBody { // p means nothing on the other tabs
			in.raw = !in.raw
			in.afterTextChange()
		}
	default:
		return nil, false
	}
	return nil, true
}

// afterTextChange puts the pane at the top of new text, or at the first
// match in it while a find is on.
func (in *inspector) afterTextChange() {
	in.scroll = 0
	in.find.sync(in.text())
	in.scrollTo(in.find.first(0))
}

// measureBodyPane learns how many lines the body pane shows, which drawing
// records, when a key comes before the inspector was first drawn.
func (m *Model) measureBodyPane() {
	if m.insp.rows == 0 {
		m.insp.render(m.st, &m.feed, m.loc, m.now(), m.lay.w, m.lay.bodyH)
	}
}
