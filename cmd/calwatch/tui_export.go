package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/calwatch/calwatch/tui"
)

// tuiExporter is the TUI's x: the month on screen as an iCalendar file in
// the current folder, read a day at a time through the TUI's reader.
type tuiExporter struct {
	reader tui.Reader
	dir    string // "" is the current folder
	now    func() time.Time
}

// ExportICS implements tui.Exporter.
func (x *tuiExporter) ExportICS(ctx context.Context, from, to time.Time) (string, int, error) {
	f, err := createNumbered(x.dir, "calwatch-"+from.Format("2006-01"), ".ics")
	if err != nil {
		return "", 0, err
	}
	bw := bufio.NewWriter(f)
	n, err := x.write(ctx, bw, from, to)
	if err = errors.Join(err, bw.Flush(), f.Close()); err != nil {
		os.Remove(f.Name())
		return "", 0, err
	}
	if abs, err := filepath.Abs(f.Name()); err == nil {
		return abs, n, nil
	}
	return f.Name(), n, nil
}

func (x *tuiExporter) write(ctx context.Context, bw *bufio.Writer, from, to time.Time) (int, error) {
	w, err := newICSWriter(bw, x.now())
	if err != nil {
		return 0, err
	}
	for day := from; day.Before(to); day = day.AddDate(0, 0, 1) {
		rows, err := x.reader.Bookings(ctx, day, day.AddDate(0, 0, 1))
		if err != nil {
			return w.n, err
		}
		for _, r := range rows {
			ev, err := x.reader.Event(ctx, r.EventURI)
			if err != nil {
				return w.n, err
			}
			if err := w.write(ev.EventView); err != nil {
				return w.n, err
			}
		}
	}
	return w.n, w.close()
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
