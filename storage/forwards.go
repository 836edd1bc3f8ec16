package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// MaxForwardAnswer is how much of the app's answer body a ForwardResult keeps.
const MaxForwardAnswer = 4 << 10

// maxForwardError bounds a stored forward error: it is one line for a person.
const maxForwardError = 512

// ForwardResult is what became of sending one stored delivery on to the
// developer's app (listen --forward-to).
type ForwardResult struct {
	DeliveryID int64
	URL        string    // where it was sent
	At         time.Time // when it was sent
	// Status is the app's HTTP status, 0 when it gave none (Error says why).
	Status int
	// Latency runs from sending the request to having read the answer prefix.
	Latency time.Duration
	// Answer is at most MaxForwardAnswer bytes of the app's answer body;
	// AnswerTruncated says the app sent more.
	Answer          []byte
	AnswerTruncated bool
	// Error says why there is no 2xx answer ("" when the app answered,
	// whatever the status): no connection, a timeout, a redirect not followed.
	Error string
}

// RecordForward stores (or replaces) the forward result of a delivery,
// durably, through the single writer. The delivery must be in the log.
func (s *Store) RecordForward(ctx context.Context, r ForwardResult) error {
	if r.DeliveryID <= 0 {
		return fmt.Errorf("storage: a forward result needs the id of its delivery, got %d", r.DeliveryID)
	}
	if r.At.IsZero() {
		r.At = time.Now()
	}
	answer := r.Answer
	if len(answer) > MaxForwardAnswer {
		answer, r.AnswerTruncated = answer[:MaxForwardAnswer], true
	}
	if answer == nil {
		answer = []byte{}
	}
	errText := r.Error
	if len(errText) > maxForwardError {
		errText = strings.ToValidUTF8(errText[:maxForwardError], "")
	}
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `
INSERT INTO forwards (delivery_id, url, at, status, latency_us, answer, answer_truncated, error)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (delivery_id) DO UPDATE SET url = excluded.url, at = excluded.at, status = excluded.status,
    latency_us = excluded.latency_us, answer = excluded.answer, answer_truncated = excluded.answer_truncated,
    error = excluded.error`,
			r.DeliveryID, r.URL, storedTime(r.At), r.Status, r.Latency.Microseconds(), answer, r.AnswerTruncated, errText)
		if err != nil {
			return fmt.Errorf("recording the forward result of delivery %d: %w", r.DeliveryID, err)
		}
		return nil
	})
}

// ForwardResults returns the stored forward results of the given deliveries,
// by delivery id; deliveries never forwarded are absent.
func (s *Store) ForwardResults(ctx context.Context, ids []int64) (map[int64]ForwardResult, error) {
	out := make(map[int64]ForwardResult, len(ids))
	// SQLite allows 32,766 parameters; stay far below in chunks.
	const chunk = 500
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := s.readDB.QueryContext(ctx, `
SELECT delivery_id, url, at, status, latency_us, answer, answer_truncated, error
FROM forwards WHERE delivery_id IN (?`+strings.Repeat(",?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("storage: reading forward results: %w", err)
		}
		err = scanForwards(rows, out)
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scanForwards(rows *sql.Rows, out map[int64]ForwardResult) error {
	for rows.Next() {
		var r ForwardResult
		var at sql.NullString
		var latencyUS int64
		if err := rows.Scan(&r.DeliveryID, &r.URL, &at, &r.Status, &latencyUS, &r.Answer, &r.AnswerTruncated, &r.Error); err != nil {
			return fmt.Errorf("storage: reading forward results: %w", err)
		}
		var err error
		if r.At, err = parseStored(at); err != nil {
			return err
		}
		r.Latency = time.Duration(latencyUS) * time.Microsecond
		out[r.DeliveryID] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: reading forward results: %w", err)
	}
	return nil
}

// StoredDelivery is one row of the delivery log with everything kept of it.
type StoredDelivery struct {
	DeliveryRecord // SignatureHeader and Body filled
	// BodyPartial is true when Body is only a prefix of what was received
	// (a refused request's body is cut), so it cannot be sent again as is.
	BodyPartial bool
	// Forward is the result of forwarding it to the developer's app, nil
	// when it was not forwarded.
	Forward *ForwardResult
}

// Delivery reads one delivery of the log by id, with its raw body and its
// forward result. It returns an error wrapping ErrNotFound when there is no
// such delivery.
func (s *Store) Delivery(ctx context.Context, id int64) (StoredDelivery, error) {
	rows, err := s.readDB.QueryContext(ctx, `SELECT `+deliveryColumns(true)+` FROM deliveries WHERE id = ?`, id)
	if err != nil {
		return StoredDelivery{}, fmt.Errorf("storage: reading delivery %d: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return StoredDelivery{}, fmt.Errorf("storage: reading delivery %d: %w", id, err)
		}
		return StoredDelivery{}, fmt.Errorf("storage: delivery %d: %w", id, ErrNotFound)
	}
	rec, err := scanDelivery(rows, true)
	if err != nil {
		return StoredDelivery{}, err
	}
	d := StoredDelivery{DeliveryRecord: rec, BodyPartial: rec.BodyTruncated}
	forwards, err := s.ForwardResults(ctx, []int64{id})
	if err != nil {
		return d, err
	}
	if f, ok := forwards[id]; ok {
		d.Forward = &f
	}
	return d, nil
}
