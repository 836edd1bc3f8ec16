package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PersonSummary is what the contacts pane shows above a person's activity:
// when they were first seen, when each of their recent bookings was made,
// and their next booking.
type PersonSummary struct {
	FirstSeen time.Time // the oldest activity; zero when none
	// Booked holds when each booking made at or after the Since asked for
	// was made, newest first, at most maxSummaryBookings.
	Booked []time.Time
	Next   *UpcomingBooking // nil when nothing is ahead
}

// UpcomingBooking is a person's next booking.
type UpcomingBooking struct {
	EventURI string
	Name     string // the event type's name
	Start    time.Time
}

// maxSummaryBookings bounds the recent bookings one summary reads: more
// than that in a few weeks is a test account, and a sparkline cannot show
// the difference.
const maxSummaryBookings = 1000

// One person's activity rows (personRows), sorted in memory: a person has
// few.
var (
	sqlFirstSeen = `SELECT min(a.at) FROM activity a WHERE ` + personRows("?") + ` AND a.at <> ''`

	sqlBookedSince = `
SELECT a.at FROM activity a WHERE ` + personRows("?") + ` AND a.at >= ? AND a.kind = 'booked'
ORDER BY a.at DESC LIMIT ?`
)

// The person's invitees (recipients_contact), each event by its key: one
// person's rows only.
const sqlNextBooking = `
SELECT e.uri, e.name, e.start_time FROM recipients r JOIN events e ON e.id = r.event_id
WHERE r.role = 'invitee' AND r.contact_email = ? AND r.status <> 'canceled'
    AND e.status <> 'canceled' AND e.start_time >= ?
ORDER BY e.start_time, e.uri LIMIT 1`

// PersonSummary reads email's summary: bookings made since "since" and the
// first booking starting at or after now. Every query reads one person's
// rows through an index (recipients_contact, activity_key: personRows).
func (p *Panes) PersonSummary(ctx context.Context, email string, since, now time.Time) (PersonSummary, error) {
	var out PersonSummary
	key := contactKey(email)
	tx, err := p.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("storage: reading %s's summary: %w", key, err)
	}
	defer func() { _ = tx.Rollback() }()

	var first sql.NullString
	if err := tx.QueryRowContext(ctx, sqlFirstSeen, key).Scan(&first); err != nil {
		return out, fmt.Errorf("storage: reading %s's summary: %w", key, err)
	}
	if out.FirstSeen, err = parseStored(first); err != nil {
		return out, err
	}

	rows, err := tx.QueryContext(ctx, sqlBookedSince, key, storedTime(since), maxSummaryBookings)
	if err != nil {
		return out, fmt.Errorf("storage: reading %s's summary: %w", key, err)
	}
	defer rows.Close()
	for rows.Next() {
		var at sql.NullString
		if err := rows.Scan(&at); err != nil {
			return out, fmt.Errorf("storage: reading %s's summary: %w", key, err)
		}
		t, err := parseStored(at)
		if err != nil {
			return out, err
		}
		out.Booked = append(out.Booked, t)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("storage: reading %s's summary: %w", key, err)
	}

	var next UpcomingBooking
	var start sql.NullString
	err = tx.QueryRowContext(ctx, sqlNextBooking, key, storedTime(now)).Scan(&next.EventURI, &next.Name, &start)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return out, nil
	case err != nil:
		return out, fmt.Errorf("storage: reading %s's next booking: %w", key, err)
	}
	if next.Start, err = parseStored(start); err != nil {
		return out, err
	}
	out.Next = &next
	return out, nil
}
