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
)

// writeJSON prints v as indented JSON and a newline. A nil slice prints as
// [] so scripts always get an array. URLs keep their & and < unescaped.
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
	_, err := w.Write(buf.Bytes())
	return err
}

// jsonArrayWriter writes a JSON array one element at a time, formatted as
// writeJSON formats a whole one, so a long list is never held in memory.
type jsonArrayWriter struct {
	w   *bufio.Writer
	n   int
	buf bytes.Buffer
	enc *json.Encoder
}

func newJSONArrayWriter(w io.Writer) *jsonArrayWriter {
	a := &jsonArrayWriter{w: bufio.NewWriter(w)}
	a.enc = json.NewEncoder(&a.buf)
	a.enc.SetEscapeHTML(false)
	a.enc.SetIndent("  ", "  ")
	return a
}

func (a *jsonArrayWriter) add(v any) error {
	a.buf.Reset()
	if err := a.enc.Encode(v); err != nil {
		return fmt.Errorf("cannot encode the result as JSON: %w", err)
	}
	sep := ",\n  "
	if a.n == 0 {
		sep = "[\n  "
	}
	a.n++
	a.w.WriteString(sep)
	_, err := a.w.Write(bytes.TrimSuffix(a.buf.Bytes(), []byte("\n")))
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
// downsampled to what w supports (none for a pipe or file).
func writeTable(w io.Writer, headers []string, rows [][]string) error {
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
// so it never mixes with data.
func (a *app) hint(format string, args ...any) {
	fmt.Fprintf(a.errOut, format+"\n", args...)
}
