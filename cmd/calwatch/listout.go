package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/calwatch/calwatch/tui/safetext"
)

// listOutput is where a list command's rows go as they are read: a JSON
// array (--json), one JSON object per line (--jsonl), or a table. Nothing
// is held but the table's current block, so a list of any length prints
// its first line at once and in bounded memory.
type listOutput struct {
	array *jsonArrayWriter
	lines *jsonLinesWriter
	table *tableStream
	n     int // rows added
}

func newListOutput(w io.Writer, asJSON, asJSONL bool, headers []string) *listOutput {
	switch {
	case asJSON:
		return &listOutput{array: newJSONArrayWriter(w)}
	case asJSONL:
		return &listOutput{lines: newJSONLinesWriter(w)}
	}
	return &listOutput{table: newTableStream(w, headers)}
}

// add prints v as JSON, or row() as a table row.
func (o *listOutput) add(v any, row func() []string) error {
	o.n++
	switch {
	case o.array != nil:
		return o.array.add(v)
	case o.lines != nil:
		return o.lines.add(v)
	}
	return o.table.add(row())
}

// optionalColumn makes the table's column col optional: it is printed
// only when some row has a cell there other than blank (the table holds
// its rows until one does, or until close, which then drops the column).
// JSON is not affected. Call it before the first add.
func (o *listOutput) optionalColumn(col int, blank string) *listOutput {
	if o.table != nil {
		o.table.optional, o.table.blank = col, blank
	}
	return o
}

// close ends the array or the table and flushes what is left.
func (o *listOutput) close() error {
	switch {
	case o.array != nil:
		return o.array.close()
	case o.lines != nil:
		return o.lines.close()
	}
	return o.table.close()
}

// jsonLinesWriter writes one compact JSON object per line (JSON Lines), as
// inert on a terminal as writeJSON's output.
// A value that is a jsonAppender writes itself (no reflection).
type jsonLinesWriter struct {
	w       *bufio.Writer
	buf     bytes.Buffer
	enc     *json.Encoder
	scratch []byte // a jsonAppender's line, reused
}

func newJSONLinesWriter(w io.Writer) *jsonLinesWriter {
	l := &jsonLinesWriter{w: bufio.NewWriterSize(w, listBuffer)}
	l.enc = json.NewEncoder(&l.buf)
	l.enc.SetEscapeHTML(false)
	return l
}

func (l *jsonLinesWriter) add(v any) error {
	if j, ok := v.(jsonAppender); ok {
		var err error
		if l.scratch, err = j.appendJSON(l.scratch[:0], false); err != nil {
			return fmt.Errorf("cannot encode the result as JSON: %w", err)
		}
		l.scratch = append(l.scratch, '\n')
		_, err = l.w.Write(l.scratch)
		return err
	}
	l.buf.Reset()
	if err := l.enc.Encode(v); err != nil {
		return fmt.Errorf("cannot encode the result as JSON: %w", err)
	}
	_, err := l.w.Write(escapeSteering(l.buf.Bytes()))
	return err
}

func (l *jsonLinesWriter) close() error { return l.w.Flush() }

// tableBlock is how many rows tableStream lays out at once.
const tableBlock = 256

// tableStream prints a table as writeTable does, a block of rows at a
// time: the first block sets the column widths, a later block only ever
// widens them (cells are capped by cell, so they settle at once). A table
// of one block is exactly writeTable's.
type tableStream struct {
	w       *bufio.Writer
	out     io.Writer
	headers []string
	widths  []int
	block   [][]string
	started bool

	// optional is a column printed only when some cell in it is not
	// blank (-1: none); until one is seen (kept), rows are held.
	optional int
	blank    string
	kept     bool
}

func newTableStream(w io.Writer, headers []string) *tableStream {
	t := &tableStream{w: bufio.NewWriter(w), out: w, headers: headers, widths: make([]int, len(headers)), optional: -1}
	for i, h := range headers {
		t.widths[i] = lipgloss.Width(h)
	}
	return t
}

// add queues one row; every cell passes through safetext.
func (t *tableStream) add(row []string) error {
	safe := make([]string, len(row))
	for i, c := range row {
		safe[i] = safetext.Line(c)
	}
	if t.optional >= 0 && !t.kept && safe[t.optional] != t.blank {
		t.kept = true
	}
	// Held until the optional column is decided: a block of any length.
	if t.block = append(t.block, safe); len(t.block) >= tableBlock && t.settled() {
		return t.flush()
	}
	return nil
}

// settled is true when the table's columns are known.
func (t *tableStream) settled() bool { return t.optional < 0 || t.kept }

// dropOptional takes the optional column out of the header and the rows
// held: nothing in it was other than blank.
func (t *tableStream) dropOptional() {
	col := t.optional
	t.headers = slices.Delete(slices.Clone(t.headers), col, col+1)
	t.widths = slices.Delete(t.widths, col, col+1)
	for i, row := range t.block {
		t.block[i] = slices.Delete(row, col, col+1)
	}
	t.optional = -1
}

func (t *tableStream) flush() error {
	if len(t.block) == 0 {
		return nil
	}
	if !t.settled() { // only close flushes an unsettled table
		t.dropOptional()
	}
	for _, row := range t.block {
		for i, c := range row {
			t.widths[i] = max(t.widths[i], lipgloss.Width(c))
		}
	}
	if !t.started {
		t.started = true
		bold := lipgloss.NewStyle().Bold(true)
		header := make([]string, len(t.headers))
		for i, h := range t.headers {
			header[i] = bold.Render(h) // dropped when the output is not a terminal
		}
		// Straight to the output, so its colour profile is the terminal's;
		// nothing is buffered yet.
		if _, err := lipgloss.Fprintln(t.out, t.line(header)); err != nil {
			return err
		}
	}
	for _, row := range t.block {
		t.w.WriteString(t.line(row))
		t.w.WriteByte('\n')
	}
	t.block = t.block[:0]
	return nil
}

// line pads every cell but the last to its column's width and two spaces.
func (t *tableStream) line(cells []string) string {
	var b strings.Builder
	for i, c := range cells {
		b.WriteString(c)
		if i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", t.widths[i]-lipgloss.Width(c)+2))
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// close prints what is queued and flushes; a table with no rows prints
// nothing (the caller says why).
func (t *tableStream) close() error {
	if err := t.flush(); err != nil {
		return err
	}
	return t.w.Flush()
}
