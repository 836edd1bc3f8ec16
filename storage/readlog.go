package storage

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"time"
)

// DeliveryQuery says which rows of the delivery log to read and how much
// of each.
type DeliveryQuery struct {
	Limit int  // the newest Limit rows; ≤ 0: all
	Sent  bool // also read what was sent: SignatureHeader and Body
	// From and To keep the rows received in [From, To); zero: no bound.
	From, To time.Time
}

// deliveriesQuery is the SQL of Deliveries for q: newest first, on the
// primary key, or within a time range on deliveries_received.
func deliveriesQuery(q DeliveryQuery) (string, []any) {
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	if q.From.IsZero() && q.To.IsZero() {
		return `SELECT ` + deliveryColumns(q.Sent) + ` FROM deliveries ORDER BY id DESC LIMIT ?`, []any{limit}
	}
	from, to := "", "\U0010FFFF"
	if !q.From.IsZero() {
		from = storedTime(q.From)
	}
	if !q.To.IsZero() {
		to = storedTime(q.To)
	}
	return `SELECT ` + deliveryColumns(q.Sent) + ` FROM deliveries WHERE received_at >= ? AND received_at < ?
ORDER BY received_at DESC, id DESC LIMIT ?`, []any{from, to, limit}
}

// Deliveries streams the delivery log, newest first (by receipt time when
// q has a time range), one row at a time;
// without q.Sent no body or header is read at all. Stop early by breaking out of the
// loop; an error ends the sequence.
func (s *Store) Deliveries(ctx context.Context, q DeliveryQuery) iter.Seq2[DeliveryRecord, error] {
	return func(yield func(DeliveryRecord, error) bool) {
		query, args := deliveriesQuery(q)
		rows, err := s.readDB.QueryContext(ctx, query, args...)
		if err != nil {
			yield(DeliveryRecord{}, fmt.Errorf("storage: reading the delivery log: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanDelivery(rows, q.Sent)
			if !yield(r, err) || err != nil {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(DeliveryRecord{}, fmt.Errorf("storage: reading the delivery log: %w", err))
		}
	}
}

// deliveryColumns are what scanDelivery reads; the signature header and
// the body only when sent is true.
func deliveryColumns(sent bool) string {
	cols := `id, received_at, event, outcome, reason, invitee_uri, invitee_email, event_uri,
    coalesce(body_size, length(body)), coalesce(body_size > length(body), 0), body_sha256, coalesce(duplicate_of, 0),
    ` + answerColumns("deliveries") + `, `
	if sent {
		return cols + "signature_header, body, coalesce(headers, '')"
	}
	return cols + "'', x'', ''"
}

func scanDelivery(rows *sql.Rows, sent bool) (DeliveryRecord, error) {
	var r DeliveryRecord
	var received sql.NullString
	var header, headers string
	var body []byte
	if err := rows.Scan(&r.ID, &received, &r.Event, &r.Outcome, &r.Reason, &r.Invitee, &r.InviteeEmail, &r.EventURI,
		&r.BodySize, &r.BodyTruncated, &r.BodySHA256, &r.DuplicateOf, &r.AnswerStatus, &r.LatencyMicros,
		&header, &body, &headers); err != nil {
		return r, fmt.Errorf("storage: reading the delivery log: %w", err)
	}
	var err error
	if sent {
		r.SignatureHeader, r.Body = header, body
		if r.Body == nil {
			r.Body = []byte{}
		}
		if r.Headers, r.HeadersCut, err = DecodeHeaders(headers); err != nil {
			return r, err
		}
	}
	r.ReceivedAt, err = parseStored(received)
	return r, err
}

// ListDeliveries returns the delivery log, newest first, at most limit rows
// (limit ≤ 0: all), with SignatureHeader and Body filled.
func (s *Store) ListDeliveries(ctx context.Context, limit int) ([]DeliveryRecord, error) {
	out := []DeliveryRecord{}
	for r, err := range s.Deliveries(ctx, DeliveryQuery{Limit: limit, Sent: true}) {
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
