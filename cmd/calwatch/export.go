package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
)

type exportOptions struct {
	from, to dateFlag
	out      string
	contacts bool
	now      func() time.Time
}

func newExportCmd(a *app) *cobra.Command {
	opts := &exportOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "export ics|csv [--from DATE] [--to DATE] [--out FILE]",
		Short: "Write the stored bookings as an iCalendar or CSV file",
		Long: "Write the scheduled events calwatch has stored, earliest first:\n" +
			"  ics  an iCalendar file: one VEVENT per event (UID its Calendly URI, times in UTC,\n" +
			"       canceled ones STATUS:CANCELLED, invitees and guests as attendees)\n" +
			"  csv  one row per event; with --contacts, one row per person instead\n\n" +
			"DATE is YYYY-MM-DD (local midnight; as --to it includes that whole day) or RFC 3339.\n" +
			"Without --out the file goes to standard output.",
		Example: "  calwatch export ics --from 2026-06-01 --to 2026-06-30 --out june.ics\n" +
			"  calwatch export csv --contacts > people.csv",
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return exportRun(cmd.Context(), a, args[0], opts)
		},
	}
	f := cmd.Flags()
	f.Var(&opts.from, "from", "only events starting at or after `DATE`")
	f.Var(&opts.to, "to", "only events starting before `DATE` (a day counts whole)")
	f.StringVar(&opts.out, "out", "", "write to `FILE` instead of standard output")
	f.BoolVar(&opts.contacts, "contacts", false, "with csv: the contacts instead of the events")
	return cmd
}

// checkExport refuses what cannot be exported, before anything is opened.
func checkExport(format string, opts *exportOptions) (storage.EventFilter, error) {
	filter := storage.EventFilter{From: opts.from.start(), To: opts.to.end()}
	switch {
	case format != "ics" && format != "csv":
		return filter, usageErrorf("%q is not an export format; use ics or csv", truncateForError(format))
	case opts.contacts && format != "csv":
		return filter, usageErrorf("--contacts exports a CSV; use 'calwatch export csv --contacts'")
	case opts.contacts && (opts.from.raw != "" || opts.to.raw != ""):
		return filter, usageErrorf("--from and --to choose events; leave them out with --contacts")
	case !filter.From.IsZero() && !filter.To.IsZero() && !filter.From.Before(filter.To):
		return filter, usageErrorf("--from %s is not before --to %s: nothing can match; swap them", opts.from.raw, opts.to.raw)
	}
	return filter, nil
}

func exportRun(ctx context.Context, a *app, format string, opts *exportOptions) error {
	filter, err := checkExport(format, opts)
	if err != nil {
		return err
	}
	store, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	out, finish, err := exportTarget(a, opts.out)
	if err != nil {
		return err
	}
	n, err := exportTo(ctx, store, out, format, filter, opts)
	if err = errors.Join(err, finish(err == nil)); err != nil {
		return err
	}
	if opts.out != "" {
		what := "events"
		if opts.contacts {
			what = "contacts"
		}
		a.hint("wrote %d %s to %s", n, what, opts.out)
	}
	return nil
}

// exportTarget is standard output or, with --out, a file written beside
// its final name and renamed into place only when the export succeeded.
func exportTarget(a *app, path string) (io.Writer, func(ok bool) error, error) {
	if path == "" {
		bw := bufio.NewWriter(a.out)
		return bw, func(bool) error { return bw.Flush() }, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write beside %s (%v); pick another --out", path, err)
	}
	bw := bufio.NewWriter(tmp)
	return bw, func(ok bool) error {
		err := errors.Join(bw.Flush(), tmp.Close())
		if ok && err == nil {
			err = os.Rename(tmp.Name(), path)
		}
		if !ok || err != nil {
			os.Remove(tmp.Name())
		}
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", path, err)
		}
		return nil
	}, nil
}

// exportTo writes the export and says how many rows or events it holds.
func exportTo(ctx context.Context, store *storage.Store, w io.Writer, format string, filter storage.EventFilter, opts *exportOptions) (int, error) {
	if opts.contacts {
		cw, err := newCSV(w, contactCSVHeader)
		n := 0
		for c, cerr := range store.Contacts(ctx, storage.ContactFilter{}) {
			if err = errors.Join(err, cerr); err != nil {
				break
			}
			err, n = cw.Write(contactCSVRow(c)), n+1
		}
		cw.Flush()
		return n, errors.Join(err, cw.Error())
	}
	return writeEvents(w, format, opts.now(), store.Events(ctx, filter))
}

// writeEvents writes events as ics or csv, one at a time as they are read.
func writeEvents(w io.Writer, format string, now time.Time, events iter.Seq2[storage.EventView, error]) (int, error) {
	if format == "ics" {
		x, err := newICSWriter(w, now)
		if err != nil {
			return 0, err
		}
		for ev, err := range events {
			if err != nil {
				return x.n, err
			}
			if err := x.write(ev); err != nil {
				return x.n, err
			}
		}
		return x.n, x.close()
	}
	cw, err := newCSV(w, eventCSVHeader)
	n := 0
	for ev, everr := range events {
		if err = errors.Join(err, everr); err != nil {
			break
		}
		err, n = cw.Write(eventCSVRow(ev)), n+1
	}
	cw.Flush()
	return n, errors.Join(err, cw.Error())
}
