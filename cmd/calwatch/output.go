package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"

	"github.com/calwatch/calwatch/tui/safetext"
)

// writeJSON prints v as indented JSON and a newline. A nil slice prints as
// [] so scripts always get an array. URLs keep their & and < unescaped.
// Controls are escaped (see escapeSteering), so the JSON is inert on a
// terminal too and decodes to the same text.
func writeJSON(w io.Writer, v any) error {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		v = []struct{}{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("cannot encode the result as JSON: %w", err)
	}
	_, err := w.Write(escapeSteering(buf.Bytes()))
	return err
}

// escapeSteering rewrites, in encoded JSON, the runes encoding/json leaves
// raw that a terminal may act on — C1 controls (U+0080–U+009F) and bidi
// overrides and isolates — as \uXXXX escapes. Outside strings JSON is
// ASCII, so every such rune is inside a string, where the escape decodes to
// the same rune: nothing is lost. (C0 controls are escaped by encoding/json.)
func escapeSteering(b []byte) []byte {
	i := 0
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if steersTerminal(r) {
			break
		}
		i += size
	}
	if i == len(b) {
		return b
	}
	out := append(make([]byte, 0, len(b)+16), b[:i]...)
	for i < len(b) {
		r, size := utf8.DecodeRune(b[i:])
		if steersTerminal(r) {
			out = fmt.Appendf(out, `\u%04x`, r)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// steersTerminal reports the runes escapeSteering escapes.
func steersTerminal(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// jsonArrayWriter writes a JSON array one element at a time, formatted as
// writeJSON formats a whole one, so a long list is never held in memory.
// A value that is a jsonAppender writes itself (no reflection).
type jsonArrayWriter struct {
	w       *bufio.Writer
	n       int
	buf     bytes.Buffer
	enc     *json.Encoder
	scratch []byte // a jsonAppender's element, reused
}

// listBuffer is how much a list's writer holds before it writes: lists run
// to hundreds of megabytes, and a write per 4 KiB was a system call each.
const listBuffer = 64 << 10

func newJSONArrayWriter(w io.Writer) *jsonArrayWriter {
	a := &jsonArrayWriter{w: bufio.NewWriterSize(w, listBuffer)}
	a.enc = json.NewEncoder(&a.buf)
	a.enc.SetEscapeHTML(false)
	a.enc.SetIndent("  ", "  ")
	return a
}

func (a *jsonArrayWriter) add(v any) error {
	var elem []byte
	if j, ok := v.(jsonAppender); ok {
		var err error
		if a.scratch, err = j.appendJSON(a.scratch[:0], true); err != nil {
			return fmt.Errorf("cannot encode the result as JSON: %w", err)
		}
		elem = a.scratch
	} else {
		a.buf.Reset()
		if err := a.enc.Encode(v); err != nil {
			return fmt.Errorf("cannot encode the result as JSON: %w", err)
		}
		elem = escapeSteering(bytes.TrimSuffix(a.buf.Bytes(), []byte("\n")))
	}
	sep := ",\n  "
	if a.n == 0 {
		sep = "[\n  "
	}
	a.n++
	a.w.WriteString(sep)
	_, err := a.w.Write(elem)
	return err
}

// close ends the array ([] when nothing was added) and flushes it.
func (a *jsonArrayWriter) close() error {
	if a.n == 0 {
		a.w.WriteString("[]\n")
	} else {
		a.w.WriteString("\n]\n")
	}
	return a.w.Flush()
}

// cellStyle separates columns the way gh's lists do: two spaces, no borders.
var cellStyle = lipgloss.NewStyle().PaddingRight(2)

// writeTable prints an aligned, borderless table. Colours and bold are
// downsampled to what w supports (none for a pipe or file). Every cell
// passes through safetext: cells hold text from bookings.
func writeTable(w io.Writer, headers []string, rows [][]string) error {
	safe := make([][]string, len(rows))
	for i, row := range rows {
		safe[i] = make([]string, len(row))
		for j, c := range row {
			safe[i][j] = safetext.Line(c)
		}
	}
	rows = safe
	t := table.New().
		Border(lipgloss.HiddenBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderHeader(false).BorderColumn(false).BorderRow(false).
		Wrap(false).
		Headers(headers...).
		Rows(rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			style := cellStyle
			if col == len(headers)-1 {
				style = lipgloss.NewStyle()
			}
			if row == table.HeaderRow {
				return style.Bold(true) // dropped when w is not a terminal
			}
			return style
		})
	var lines []string
	for line := range strings.SplitSeq(t.Render(), "\n") {
		lines = append(lines, strings.TrimRight(line, " "))
	}
	_, err := lipgloss.Fprintln(w, strings.Join(lines, "\n"))
	return err
}

// localTime shows an instant in the user's zone, to the minute.
func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(time.Local).Format("2006-01-02 15:04 MST")
}

// localTimePtr is localTime for a nullable instant.
func localTimePtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return localTime(*t)
}

// maxCellWidth keeps one long value (a reason, a URL) from pushing a table
// off the screen; --json has the full text.
const maxCellWidth = 60

// cell prepares free text for a table cell: one line, bounded width, and a
// dash for nothing.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "-"
	}
	if utf8.RuneCountInString(s) <= maxCellWidth {
		return s
	}
	r := []rune(s)
	return string(r[:maxCellWidth-1]) + "…"
}

// hint tells the person at the terminal what to do next; it goes to stderr
// so it never mixes with data. It may quote text from outside, so it
// passes through safetext.
func (a *app) hint(format string, args ...any) {
	fmt.Fprintln(a.errOut, safetext.Block(fmt.Sprintf(format, args...)))
}
