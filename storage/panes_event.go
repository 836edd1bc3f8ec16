package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// EventDetail is one event with everyone on it, as the booking detail
// shows it: EventView plus what the list commands leave out.
type EventDetail struct {
	EventView
	EventType string
	CreatedAt time.Time
	// Moves holds, per invitee URI, where a reschedule took it from or to.
	Moves map[string]InviteeMoves
	// Cancellations holds, per invitee URI, why a canceled invitee left.
	Cancellations map[string]calendly.Cancellation
}

// InviteeMoves is the other end of an invitee's reschedules, when stored.
type InviteeMoves struct {
	From, To *MovedBooking
}

// MovedBooking is the event at the other end of a reschedule.
type MovedBooking struct {
	EventURI string
	Name     string
	Start    time.Time // zero when that event is not stored yet
}

// Event returns one event by URI with hosts, invitees, guests and the
// reschedule chain, or an error wrapping ErrNotFound.
func (p *Panes) Event(ctx context.Context, uri string) (EventDetail, error) {
	tx, err := p.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return EventDetail{}, fmt.Errorf("storage: reading event: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	where, args := " WHERE uri = ?", []any{uri}
	events, ids, err := readEvents(ctx, tx, where, args)
	if err != nil {
		return EventDetail{}, err
	}
	if len(events) == 0 {
		return EventDetail{}, fmt.Errorf("storage: no event %s: %w", uri, ErrNotFound)
	}
	if err := readPeople(ctx, tx, events, ids); err != nil {
		return EventDetail{}, err
	}
	d := EventDetail{EventView: events[0], Moves: map[string]InviteeMoves{}, Cancellations: map[string]calendly.Cancellation{}}
	var created sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT event_type, created_at FROM events WHERE uri = ?`, uri).Scan(&d.EventType, &created); err != nil {
		return EventDetail{}, fmt.Errorf("storage: reading event: %w", err)
	}
	if d.CreatedAt, err = parseStored(created); err != nil {
		return EventDetail{}, err
	}
	for _, iv := range d.Invitees {
		var m InviteeMoves
		if iv.RescheduledFrom != nil {
			if m.From, err = movedBooking(ctx, tx, *iv.RescheduledFrom); err != nil {
				return EventDetail{}, err
			}
		}
		if iv.RescheduledTo != nil {
			if m.To, err = movedBooking(ctx, tx, *iv.RescheduledTo); err != nil {
				return EventDetail{}, err
			}
		}
		if m.From != nil || m.To != nil {
			d.Moves[iv.URI] = m
		}
		c, err := inviteeCancellation(ctx, tx, iv.URI)
		if err != nil {
			return EventDetail{}, err
		}
		if c != nil {
			d.Cancellations[iv.URI] = *c
		}
	}
	return d, nil
}

// sqlMovedBooking reads an invitee's event: the invitee by its URI, its
// event by id.
const sqlMovedBooking = `
SELECT r.event_uri, coalesce(e.name, ''), e.start_time FROM recipients r LEFT JOIN events e ON e.id = r.event_id
WHERE r.role = 'invitee' AND r.key = ?`

// movedBooking finds the event an invitee URI belongs to; nil when that
// invitee is known only from a reschedule link.
func movedBooking(ctx context.Context, tx *sql.Tx, inviteeURI string) (*MovedBooking, error) {
	var m MovedBooking
	var start sql.NullString
	err := tx.QueryRowContext(ctx, sqlMovedBooking, inviteeURI).Scan(&m.EventURI, &m.Name, &start)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storage: reading a reschedule: %w", err)
	}
	if m.Start, err = parseStored(start); err != nil {
		return nil, err
	}
	return &m, nil
}

func inviteeCancellation(ctx context.Context, tx *sql.Tx, inviteeURI string) (*calendly.Cancellation, error) {
	var raw sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT cancellation FROM recipients WHERE role = 'invitee' AND key = ?`, inviteeURI).Scan(&raw)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: reading a cancellation: %w", err)
	}
	return decodeColumn[calendly.Cancellation](raw)
}
