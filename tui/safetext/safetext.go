// Package safetext makes text that came from outside (a booked name, an
// answer, a delivery's body, an endpoint's reply) safe to put on the
// operator's terminal. Everything calwatch shows a person — CLI tables,
// listen's delivery lines, trigger's echo of an answer, every TUI pane —
// passes through it, so a booking cannot set the window title, clear the
// screen, move the cursor or reorder a line with bidi overrides.
package safetext

import (
	"strings"
	"unicode/utf8"
)

// Line returns s as one line of plain text: tabs and line breaks become
// spaces, every other C0 and C1 control (ESC, BEL, DEL, CSI, OSC, …) and
// every bidi override or isolate is dropped, and bytes that are not UTF-8
// become U+FFFD. Printable text, including wide and combining characters
// and right-to-left scripts in their natural order, is kept as it is.
func Line(s string) string { return clean(s, false) }

// Block is Line for text that may span lines: "\n" is kept (and "\r\n"
// becomes "\n"); a lone "\r" becomes a space, so it cannot overwrite the
// start of a line.
func Block(s string) string { return clean(s, true) }

func clean(s string, keepNewlines bool) string {
	if isSafe(s, keepNewlines) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\r' && keepNewlines && i < len(s) && s[i] == '\n':
			// "\r\n": the "\n" that follows is written on the next turn.
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case dropped(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isSafe reports whether clean would return s unchanged, so the common case
// allocates nothing.
func isSafe(s string, keepNewlines bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !(keepNewlines && c == '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || dropped(r) {
			return false
		}
		i += size
	}
	return true
}

// dropped reports the runes that steer a terminal instead of printing:
// C0 and C1 controls, DEL, and the bidi embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069) that can make a line read other than it is.
func dropped(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
