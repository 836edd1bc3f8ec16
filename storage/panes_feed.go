package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// FeedRow is a delivery-log row as the live feed lists it: no body, but its
// size, and the names the row's URIs point at when they are stored.
type FeedRow struct {
	DeliveryRecord
	BodyBytes   int
	InviteeName string // "" when unknown
	EventName   string // the event type's name; "" when unknown
	// Rescheduled marks a half of a reschedule: an invitee.canceled whose
	// invitee was moved to a new one, or the invitee.created of the invitee
	// it was moved to, as the store's reschedule links know them.
	Rescheduled bool
}

// ReplayOfHeader is the request header calwatch's replayer sends with a
// stored delivery it sends again: the delivery's id. Stored deliveries
// that carry it have DeliveryRecord.ReplayOf (migrations/0012_replay_of.sql).
const ReplayOfHeader = "Calwatch-Replay-Of"

// replayOfColumn is the delivery's replay hint, 0 when none.
func replayOfColumn(table string) string {
	return `coalesce((SELECT p.replay_of FROM delivery_replays p WHERE p.delivery_id = ` + table + `.id), 0)`
}

var sqlFeed = `
SELECT d.id, d.received_at, d.event, d.outcome, d.reason, d.invitee_uri, d.invitee_email, d.event_uri,
    ` + answerColumns("d") + `, length(d.body),
    coalesce((SELECT r.name FROM recipients r WHERE r.role = 'invitee' AND r.key = d.invitee_uri AND d.invitee_uri <> ''), ''),
    coalesce((SELECT e.name FROM events e WHERE e.uri = d.event_uri AND d.event_uri <> ''), ''),
    ` + replayOfColumn("d") + `,
    CASE WHEN d.outcome = 'refused' OR d.invitee_uri = '' THEN 0
        WHEN d.event = 'invitee.canceled' THEN EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = d.invitee_uri)
        WHEN d.event = 'invitee.created' THEN EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = d.invitee_uri)
        ELSE 0 END
FROM deliveries d`

// DeliveriesAfter returns up to limit deliveries with IDs above afterID,
// oldest first: what arrived since the feed last looked.
func (p *Panes) DeliveriesAfter(ctx context.Context, afterID int64, limit int) ([]FeedRow, error) {
	return p.feed(ctx, sqlFeed+` WHERE d.id > ? ORDER BY d.id LIMIT ?`, afterID, limit)
}

// DeliveriesBefore returns up to limit deliveries with IDs below beforeID
// (0: the newest), newest first: the feed's history when it starts or
// scrolls back.
func (p *Panes) DeliveriesBefore(ctx context.Context, beforeID int64, limit int) ([]FeedRow, error) {
	if beforeID <= 0 {
		return p.feed(ctx, sqlFeed+` ORDER BY d.id DESC LIMIT ?`, limit)
	}
	return p.feed(ctx, sqlFeed+` WHERE d.id < ? ORDER BY d.id DESC LIMIT ?`, beforeID, limit)
}

func (p *Panes) feed(ctx context.Context, query string, args ...any) ([]FeedRow, error) {
	rows, err := p.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: reading the delivery log: %w", err)
	}
	defer rows.Close()
	var out []FeedRow
	for rows.Next() {
		var f FeedRow
		var received sql.NullString
		if err := rows.Scan(&f.ID, &received, &f.Event, &f.Outcome, &f.Reason, &f.Invitee, &f.InviteeEmail,
			&f.EventURI, &f.AnswerStatus, &f.LatencyMicros, &f.BodyBytes, &f.InviteeName, &f.EventName,
			&f.ReplayOf, &f.Rescheduled); err != nil {
			return nil, fmt.Errorf("storage: reading the delivery log: %w", err)
		}
		if f.ReceivedAt, err = parseStored(received); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: reading the delivery log: %w", err)
	}
	return out, nil
}

// Delivery returns one delivery with its headers and body, or an error
// wrapping ErrNotFound.
func (p *Panes) Delivery(ctx context.Context, id int64) (DeliveryRecord, error) {
	var r DeliveryRecord
	var received sql.NullString
	var headers string
	err := p.db.QueryRowContext(ctx, `
SELECT id, received_at, event, outcome, reason, invitee_uri, invitee_email, event_uri,
    coalesce(body_size, length(body)), coalesce(body_size > length(body), 0), coalesce(duplicate_of, 0), signature_header, body,
    `+answerColumns("deliveries")+`, coalesce(headers, ''), `+replayOfColumn("deliveries")+`
FROM deliveries WHERE id = ?`, id).Scan(&r.ID, &received, &r.Event, &r.Outcome, &r.Reason, &r.Invitee,
		&r.InviteeEmail, &r.EventURI, &r.BodySize, &r.BodyTruncated, &r.DuplicateOf, &r.SignatureHeader, &r.Body,
		&r.AnswerStatus, &r.LatencyMicros, &headers, &r.ReplayOf)
	if errors.Is(err, sql.ErrNoRows) {
		return DeliveryRecord{}, fmt.Errorf("storage: no delivery %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return DeliveryRecord{}, fmt.Errorf("storage: reading delivery %d: %w", id, err)
	}
	if r.ReceivedAt, err = parseStored(received); err != nil {
		return DeliveryRecord{}, err
	}
	if r.Headers, r.HeadersCut, err = DecodeHeaders(headers); err != nil {
		return DeliveryRecord{}, fmt.Errorf("reading delivery %d: %w", id, err)
	}
	return r, nil
}
