package tui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/tui/safetext"
)

// fit cuts s (which may hold styles) to width display cells with "…", or
// pads it with spaces to exactly width.
func fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return s + strings.Repeat(" ", width-w)
}

// fitLeft is fit, aligned right.
func fitLeft(s string, width int) string {
	if width <= 0 {
		return ""
	}
	w := ansi.StringWidth(s)
	if w > width {
		return ansi.Truncate(s, width, "…")
	}
	return strings.Repeat(" ", width-w) + s
}

// outside makes text from a booking or a delivery safe and one line.
func outside(s string) string { return safetext.Line(s) }

// middle cuts s in the middle to width cells (IDs, hashes, URIs), keeping
// both ends: "5f0c8e…d19a1e".
func middle(s string, width int) string {
	if ansi.StringWidth(s) <= width || width < 5 {
		return fit(s, width)
	}
	r := []rune(s)
	keep := width - 1
	head, tail := (keep+1)/2, keep/2
	if head+tail >= len(r) {
		return fit(s, width)
	}
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// box draws lines in a single-line border of exactly w×h cells, with title
// on the top-left and right on the top-right of the border.
func box(st Styles, focused bool, title, right string, lines []string, w, h int) string {
	if w < 4 || h < 2 {
		return ""
	}
	border := st.Border
	if focused {
		border = st.FocusBorder
	}
	inner := w - 2
	if title != "" {
		if focused {
			title = st.Focused.Render(title)
		} else {
			title = st.Title.Render(title)
		}
		title = "─" + title + " "
	}
	if right != "" {
		right = " " + right + " ─"
	}
	tw, rw := ansi.StringWidth(title), ansi.StringWidth(right)
	if tw+rw > inner {
		right, rw = "", 0
		if tw > inner {
			title, tw = ansi.Truncate(title, inner, "…"), min(tw, inner)
		}
	}
	var b strings.Builder
	b.WriteString(border.Render("┌") + title + border.Render(strings.Repeat("─", inner-tw-rw)) + right + border.Render("┐") + "\n")
	for i := range h - 2 {
		line := ""
		if i < len(lines) {
			line = lines[i]
		}
		b.WriteString(border.Render("│") + fit(line, inner) + border.Render("│") + "\n")
	}
	b.WriteString(border.Render("└" + strings.Repeat("─", inner) + "┘"))
	return b.String()
}

// side joins blocks left to right.
func side(blocks ...string) string { return lipgloss.JoinHorizontal(lipgloss.Top, blocks...) }

// stack joins blocks top to bottom.
func stack(blocks ...string) string { return lipgloss.JoinVertical(lipgloss.Left, blocks...) }

// thousands writes n with thin separators: 1,204.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// bytesize is a short human size: 812 B, 2.4 KB, 1.1 MB.
func bytesize(n int) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1000/1000)
}

// window returns the start of a view of size rows over n items that keeps
// cursor visible, moving as little as possible from the previous start.
func window(start, cursor, size, n int) int {
	if size <= 0 || n <= size {
		return 0
	}
	if cursor < start {
		start = cursor
	}
	if cursor >= start+size {
		start = cursor - size + 1
	}
	return max(0, min(start, n-size))
}

// safetextBlock makes multi-line text from outside safe (a body).
func safetextBlock(s string) string { return safetext.Block(s) }

// hint lays out what an empty pane says, w cells wide: a blank line, then
// each paragraph wrapped at its words (a word longer than the line, such as
// a URL, broken), every line indented as the paragraph is, faint. Nothing
// is cut: a narrow pane shows all of it on more lines.
func hint(st Styles, w int, paragraphs ...string) []string {
	out := []string{""}
	for _, p := range paragraphs {
		text := strings.TrimLeft(p, " ")
		indent := strings.Repeat(" ", len(p)-len(text))
		for _, l := range strings.Split(ansi.Wrap(text, max(10, w-len(indent)), ""), "\n") {
			out = append(out, st.Faint.Render(indent+l))
		}
	}
	return out
}
