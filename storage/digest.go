package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Digest counts what changed in a window: the TUI's "while you were away:
// 3 booked, 1 canceled, 1 no-show".
type Digest struct {
	Booked, Canceled, Rescheduled, NoShows int
}

// Total is every change counted.
func (d Digest) Total() int { return d.Booked + d.Canceled + d.Rescheduled + d.NoShows }

// DigestRow is one change of a digest with who and which booking.
type DigestRow struct {
	ActivityRow
	Email, Name string
}

// maxDigestRows bounds a digest's list: more than a few screens of changes
// is read with 'calwatch events list' instead.
const maxDigestRows = 500

const (
	sqlDigestCounts = `SELECT kind, count(*) FROM activity WHERE at > ? AND at <= ? GROUP BY kind`
	sqlDigestRows   = `
SELECT a.identity, a.kind, a.at, a.event_uri, a.invitee_uri, coalesce(e.name, ''), e.start_time, a.email, coalesce(c.name, '')
FROM activity a
LEFT JOIN events e ON e.uri = a.event_uri
LEFT JOIN contacts c ON c.email = a.email
WHERE a.at > ? AND a.at <= ? AND a.kind <> ?
ORDER BY a.at DESC, a.identity DESC LIMIT ?`
)

// LastSeen is when this store last heard from Calendly: the newest of the
// last complete sync and the last delivery received (zero when neither
// happened: calwatch never ran here).
func (p *Panes) LastSeen(ctx context.Context) (time.Time, error) {
	var synced, received sql.NullString
	err := p.db.QueryRowContext(ctx, `
SELECT (SELECT max(last_completed_at) FROM sync_cursor),
       (SELECT received_at FROM deliveries ORDER BY id DESC LIMIT 1)`).Scan(&synced, &received)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: reading when calwatch last ran: %w", err)
	}
	s, err := parseStored(synced)
	if err != nil {
		return time.Time{}, err
	}
	r, err := parseStored(received)
	if err != nil {
		return time.Time{}, err
	}
	if r.After(s) {
		return r, nil
	}
	return s, nil
}

// Digest counts the changes that happened after since and up to until,
// read from the activity index by time.
func (p *Panes) Digest(ctx context.Context, since, until time.Time) (Digest, error) {
	rows, err := p.db.QueryContext(ctx, sqlDigestCounts, storedTime(since), storedTime(until))
	if err != nil {
		return Digest{}, fmt.Errorf("storage: counting changes since %s: %w", since.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var d Digest
	for rows.Next() {
		var kind string
		var n int
		if err := rows.Scan(&kind, &n); err != nil {
			return Digest{}, fmt.Errorf("storage: counting changes: %w", err)
		}
		switch kind {
		case KindBooked:
			d.Booked = n
		case KindCanceled:
			d.Canceled = n
		case KindRescheduled:
			d.Rescheduled = n
		case KindNoShow:
			d.NoShows = n
		}
	}
	if err := rows.Err(); err != nil {
		return Digest{}, fmt.Errorf("storage: counting changes: %w", err)
	}
	return d, nil
}

// DigestRows lists the changes Digest counts, newest first, at most 500.
func (p *Panes) DigestRows(ctx context.Context, since, until time.Time) ([]DigestRow, error) {
	rows, err := p.db.QueryContext(ctx, sqlDigestRows, storedTime(since), storedTime(until), KindNoShowRemoved, maxDigestRows)
	if err != nil {
		return nil, fmt.Errorf("storage: listing changes since %s: %w", since.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []DigestRow
	for rows.Next() {
		var r DigestRow
		var at, start sql.NullString
		if err := rows.Scan(&r.Identity, &r.Kind, &at, &r.EventURI, &r.InviteeURI, &r.EventName, &start, &r.Email, &r.Name); err != nil {
			return nil, fmt.Errorf("storage: listing changes: %w", err)
		}
		if r.At, err = parseStoredPtr(at); err != nil {
			return nil, err
		}
		if r.EventStart, err = parseStored(start); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: listing changes: %w", err)
	}
	return out, nil
}
