package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Panes answers the TUI's queries: each one is sized for a screen and
// served from an index (see panes_test.go for the query plans), so the
// panes never load a table. Get one from Store.Panes (the process that
// writes) or OpenPanes (read-only, beside a writer in another process).
type Panes struct {
	db      *sql.DB
	store   *Store    // the read-only store OpenPanes opened, closed by Close
	watchMu chan bool // a one-slot lock around watch
	watch   *sql.Conn // the connection DataVersion asks; opened on first use
}

// Panes returns the pane queries over this store's read pool. Close on it
// closes nothing the store owns.
func (s *Store) Panes() *Panes { return newPanes(s.readDB) }

func newPanes(db *sql.DB) *Panes {
	return &Panes{db: db, watchMu: make(chan bool, 1)}
}

// OpenPanes opens the database at path read-only for the panes (see
// OpenReadOnly): it does not create, migrate or write the file, so a
// headless `calwatch listen` stays the only writer.
func OpenPanes(ctx context.Context, path string) (*Panes, error) {
	store, err := OpenReadOnly(ctx, path)
	if err != nil {
		return nil, err
	}
	p := newPanes(store.readDB)
	p.store = store
	return p, nil
}

// Close releases the connections Panes opened itself.
func (p *Panes) Close() error {
	p.watchMu <- true
	defer func() { <-p.watchMu }()
	var errs []error
	if p.watch != nil {
		errs = append(errs, p.watch.Close())
		p.watch = nil
	}
	if p.store != nil {
		errs = append(errs, p.store.Close())
	}
	return errors.Join(errs...)
}

// DataVersion returns a number that changes whenever another connection —
// this process's writer or another process — commits to the database. Poll
// it to notice a writer you are not told about.
func (p *Panes) DataVersion(ctx context.Context) (int64, error) {
	p.watchMu <- true
	defer func() { <-p.watchMu }()
	if p.watch == nil {
		conn, err := p.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("storage: watching for changes: %w", err)
		}
		p.watch = conn
	}
	var v int64
	if err := p.watch.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("storage: watching for changes: %w", err)
	}
	return v, nil
}

// DayCount is how many events start on one day in the viewer's zone.
type DayCount struct {
	Day      time.Time // midnight, in the zone asked for
	Booked   int       // events that are not canceled
	Canceled int
}

// DayCounts returns, for every day in [from, to) that has events, how many
// start that day, bucketed by day in loc. The scan reads the
// (start_time, status) index only.
func (p *Panes) DayCounts(ctx context.Context, from, to time.Time, loc *time.Location) ([]DayCount, error) {
	rows, err := p.db.QueryContext(ctx, `
SELECT start_time, status FROM events WHERE start_time >= ? AND start_time < ? ORDER BY start_time`,
		storedTime(from), storedTime(to))
	if err != nil {
		return nil, fmt.Errorf("storage: reading day counts: %w", err)
	}
	defer rows.Close()
	var out []DayCount
	for rows.Next() {
		var start, status string
		if err := rows.Scan(&start, &status); err != nil {
			return nil, fmt.Errorf("storage: reading day counts: %w", err)
		}
		t, err := time.Parse(time.RFC3339Nano, start)
		if err != nil {
			return nil, fmt.Errorf("storage: stored time %q is unreadable: %w", start, err)
		}
		local := t.In(loc)
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
		if len(out) == 0 || !out[len(out)-1].Day.Equal(day) {
			out = append(out, DayCount{Day: day})
		}
		if status == "canceled" {
			out[len(out)-1].Canceled++
		} else {
			out[len(out)-1].Booked++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: reading day counts: %w", err)
	}
	return out, nil
}

// BookingRow is one event as a day, week or agenda list shows it.
type BookingRow struct {
	EventURI  string
	Name      string // the event type's name
	Start     time.Time
	End       time.Time
	Status    string // active or canceled
	Invitees  int    // invitees that are not canceled
	Total     int    // every invitee, canceled ones included
	Invitee   string // the first invitee's name, else email
	NoShows   int
	MovedFrom bool   // an invitee came here by a reschedule
	MovedAway bool   // an invitee left by a reschedule
	Reason    string // the cancellation reason, when canceled
	Where     string // the location's type: zoom, physical, outbound_call, …
}

// maxBookingRows bounds a booking list: more than a screen's worth a day
// is not something a person reads, and the list says how many were left.
const maxBookingRows = 500

const sqlBookings = `
SELECT e.uri, e.name, e.start_time, coalesce(e.end_time, ''), e.status,
    coalesce(e.cancellation ->> 'reason', ''), coalesce(e.location ->> 'type', ''),
    (SELECT count(*) FROM recipients r WHERE r.event_id = e.id AND r.role = 'invitee' AND r.status <> 'canceled'),
    (SELECT count(*) FROM recipients r WHERE r.event_id = e.id AND r.role = 'invitee'),
    coalesce((SELECT iif(r.name <> '', r.name, r.email) FROM recipients r
        WHERE r.event_id = e.id AND r.role = 'invitee' ORDER BY r.status = 'canceled', r.created_at, r.key LIMIT 1), ''),
    (SELECT count(*) FROM recipients r WHERE r.event_id = e.id AND r.role = 'invitee' AND r.no_show = 1),
    EXISTS (SELECT 1 FROM recipients r JOIN reschedules s ON s.new_invitee = r.key
        WHERE r.event_id = e.id AND r.role = 'invitee'),
    EXISTS (SELECT 1 FROM recipients r WHERE r.event_id = e.id AND r.role = 'invitee'
        AND (r.rescheduled = 1 OR EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key)))
FROM events e WHERE e.start_time >= ? AND e.start_time < ?
ORDER BY e.start_time, e.uri LIMIT ?`

// Bookings returns the events starting in [from, to), earliest first, at
// most 500, each with its invitee summary (read through the recipients
// index by event).
func (p *Panes) Bookings(ctx context.Context, from, to time.Time) ([]BookingRow, error) {
	rows, err := p.db.QueryContext(ctx, sqlBookings, storedTime(from), storedTime(to), maxBookingRows)
	if err != nil {
		return nil, fmt.Errorf("storage: reading bookings: %w", err)
	}
	defer rows.Close()
	var out []BookingRow
	for rows.Next() {
		var b BookingRow
		var start, end string
		if err := rows.Scan(&b.EventURI, &b.Name, &start, &end, &b.Status, &b.Reason, &b.Where, &b.Invitees, &b.Total,
			&b.Invitee, &b.NoShows, &b.MovedFrom, &b.MovedAway); err != nil {
			return nil, fmt.Errorf("storage: reading bookings: %w", err)
		}
		if b.Start, err = parseStored(sql.NullString{String: start, Valid: true}); err != nil {
			return nil, err
		}
		if b.End, err = parseStored(sql.NullString{String: end, Valid: true}); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: reading bookings: %w", err)
	}
	return out, nil
}

// prefixRange returns the bounds [lo, hi) of the strings that start with
// prefix, for a range scan of an index.
func prefixRange(prefix string) (lo, hi string) {
	return prefix, prefix + "\U0010FFFF"
}

func nonEmpty(s string) bool { return strings.TrimSpace(s) != "" }
