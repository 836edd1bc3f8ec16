package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
)

// tuiExporter is the TUI's x and :export: the month on screen as an
// iCalendar or CSV file in the current folder, read a day at a time
// through the TUI's reader.
type tuiExporter struct {
	reader tui.Reader
	dir    string // "" is the current folder
	now    func() time.Time
}

// eventSink is one file format's writer of events.
type eventSink interface {
	write(storage.EventView) error
	close() error
	written() int // events written so far
}

func (x *icsWriter) written() int { return x.n }

// ExportICS implements tui.Exporter.
func (x *tuiExporter) ExportICS(ctx context.Context, from, to time.Time) (string, int, error) {
	return x.export(ctx, from, to, ".ics", func(w io.Writer) (eventSink, error) { return newICSWriter(w, x.now()) })
}

// ExportCSV implements tui.CSVExporter: one row per booking, the columns
// of calwatch export csv.
func (x *tuiExporter) ExportCSV(ctx context.Context, from, to time.Time) (string, int, error) {
	return x.export(ctx, from, to, ".csv", func(w io.Writer) (eventSink, error) {
		cw, err := newCSV(w, eventCSVHeader)
		return &csvSink{w: cw}, err
	})
}

// csvSink is an events CSV as an eventSink.
type csvSink struct {
	w *csv.Writer
	n int
}

func (c *csvSink) write(ev storage.EventView) error {
	c.n++
	return c.w.Write(eventCSVRow(ev))
}

func (c *csvSink) close() error {
	c.w.Flush()
	return c.w.Error()
}

func (c *csvSink) written() int { return c.n }

func (x *tuiExporter) export(ctx context.Context, from, to time.Time, ext string, open func(io.Writer) (eventSink, error)) (string, int, error) {
	f, err := createNumbered(x.dir, "calwatch-"+from.Format("2006-01"), ext)
	if err != nil {
		return "", 0, err
	}
	bw := bufio.NewWriter(f)
	n, err := x.write(ctx, bw, from, to, open)
	if err = errors.Join(err, bw.Flush(), f.Close()); err != nil {
		os.Remove(f.Name())
		return "", 0, err
	}
	if abs, err := filepath.Abs(f.Name()); err == nil {
		return abs, n, nil
	}
	return f.Name(), n, nil
}

func (x *tuiExporter) write(ctx context.Context, bw *bufio.Writer, from, to time.Time, open func(io.Writer) (eventSink, error)) (int, error) {
	w, err := open(bw)
	if err != nil {
		return 0, err
	}
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		rows, err := x.reader.Bookings(ctx, day, day.AddDate(0, 0, 1))
		if err != nil {
			return w.written(), err
		}
		for _, r := range rows {
			ev, err := x.reader.Event(ctx, r.EventURI)
			if err != nil {
				return w.written(), err
			}
			if err := w.write(ev.EventView); err != nil {
				return w.written(), err
			}
		}
	}
	return w.written(), w.close()
}

// createNumbered creates base+ext in dir, or base-2+ext, base-3+ext … when
// it exists: an export never overwrites a file.
func createNumbered(dir, base, ext string) (*os.File, error) {
	for i := 1; i < 100; i++ {
		name := base + ext
		if i > 1 {
			name = fmt.Sprintf("%s-%d%s", base, i, ext)
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot write %s here (%v); start calwatch in a folder you can write to", name, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("%s%s and 98 numbered copies exist already; move some away", base, ext)
}
