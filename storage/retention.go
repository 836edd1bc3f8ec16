package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// Retention keeps the store bounded whatever is sent to the listener:
//   - refused rows are a ring of at most MaxRefusedRows rows and
//     MaxRefusedBytes of body and header; the oldest go. A refused row
//     keeps at most maxRefusedRowBytes of them, so with the defaults the
//     row cap binds first (5,000 × 3 KiB < 16 MiB) and upkeep trims
//     through the refused rows' index alone, reading no row;
//   - every delivery-log row older than DefaultDeliveryRetention goes (the
//     bookings it brought stay: they live in their own tables);
//   - a replay key is forgotten once it is ReplayKeyRetention old: by then
//     its signature's timestamp is outside the tolerance, so it cannot
//     verify. Replay keys live in the writer's memory (replaykeys.go).
//
// The writer does this upkeep in its own small transaction every few
// hundred batches or half a minute, never per delivery. Ages are measured
// against the newest receipt time the writer has logged (the listener's
// clock), so a store that receives nothing loses nothing.
const (
	DefaultDeliveryRetention = 30 * 24 * time.Hour
	ReplayKeyRetention       = 2 * calendly.DefaultTolerance
	MaxRefusedRows           = 5_000
	MaxRefusedBytes          = 16 << 20
)

// maxRefusedRowBytes is the most body and headers one refused row keeps.
const maxRefusedRowBytes = RefusedBodyPrefix + MaxStoredSignatureHeader + MaxStoredRefusedHeaders

// retention is the writer's upkeep policy; tests shrink it.
type retention struct {
	deliveries   time.Duration
	refusedRows  int
	refusedBytes int64
	everyBatches int           // upkeep after this many batches …
	every        time.Duration // … or this long, whichever comes first
	chunk        int           // rows expired per upkeep, so one never holds the writer long
}

var defaultRetention = retention{
	deliveries:   DefaultDeliveryRetention,
	refusedRows:  MaxRefusedRows,
	refusedBytes: MaxRefusedBytes,
	everyBatches: 256,
	every:        30 * time.Second,
	chunk:        2000,
}

const (
	sqlInsertDelivery = `
INSERT INTO deliveries (received_at, event, outcome, reason, invitee_uri, invitee_email, event_uri, replay_key,
    signature_header, body, body_size, body_sha256, answer_status, headers, duplicate_of)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// The deletes return what each removed row held, for PruneReport.
	deletedRow = ` RETURNING outcome, length(body) + length(signature_header) + coalesce(length(headers), 0)`

	// sqlTrimRefusedByCount keeps the newest ?1 refused rows.
	sqlTrimRefusedByCount = `
DELETE FROM deliveries WHERE outcome = 'refused' AND id <= coalesce((
    SELECT id FROM deliveries WHERE outcome = 'refused' ORDER BY id DESC LIMIT 1 OFFSET ?1), 0)` + deletedRow

	// sqlTrimRefused keeps the newest refused rows within ?1 rows and ?2
	// bytes of body and header.
	sqlTrimRefused = `
DELETE FROM deliveries WHERE outcome = 'refused' AND id <= coalesce((
    SELECT id FROM (
        SELECT id, row_number() OVER newest AS n, sum(length(body) + length(signature_header) + coalesce(length(headers), 0)) OVER newest AS kept
        FROM deliveries WHERE outcome = 'refused' WINDOW newest AS (ORDER BY id DESC))
    WHERE n > ?1 OR kept > ?2 ORDER BY id DESC LIMIT 1), 0)` + deletedRow

	// sqlExpireOldest looks at the ?2 oldest rows only (ids follow receipt
	// order), so upkeep costs the same however large the log is.
	sqlExpireOldest = `
DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries ORDER BY id LIMIT ?2) AND received_at < ?1` + deletedRow

	// sqlPruneOlder finds every row received before ?1, ?2 at a time.
	sqlPruneOlder = `
DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE received_at < ?1 ORDER BY id LIMIT ?2)` + deletedRow
)

// logStatements are the writer's prepared statements for the delivery log.
type logStatements struct {
	insertDelivery, recordAnswers, dataVersion *sql.Stmt
}

func prepareLogStatements(ctx context.Context, conn *sql.Conn) (*logStatements, error) {
	st := new(logStatements)
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.insertDelivery, sqlInsertDelivery},
		{&st.dataVersion, sqlDataVersion},
		{&st.recordAnswers, sqlRecordAnswers},
	} {
		stmt, err := conn.PrepareContext(ctx, p.query)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("storage: preparing a statement: %w", err)
		}
		*p.dst = stmt
	}
	return st, nil
}

func (st *logStatements) close() {
	for _, s := range []*sql.Stmt{st.insertDelivery, st.recordAnswers, st.dataVersion} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// PruneReport says what a prune removed.
type PruneReport struct {
	Deliveries int   `json:"deliveries"` // delivery-log rows, refused ones included
	Refused    int   `json:"refused"`    // of those, refused requests
	Bytes      int64 `json:"bytes"`      // bytes of body and headers removed
}

func (r *PruneReport) add(o PruneReport) {
	r.Deliveries += o.Deliveries
	r.Refused += o.Refused
	r.Bytes += o.Bytes
}

// deleteRows runs a delete of deliveries that returns deletedRow.
func deleteRows(ctx context.Context, conn *sql.Conn, query string, args ...any) (PruneReport, error) {
	var r PruneReport
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var outcome string
		var bytes int64
		if err := rows.Scan(&outcome, &bytes); err != nil {
			return r, err
		}
		r.Deliveries++
		r.Bytes += bytes
		if outcome == string(OutcomeRefused) {
			r.Refused++
		}
	}
	return r, rows.Err()
}

// trimRefused keeps the newest refused rows within rows and bytes. When
// rows full rows fit in bytes, the count is the only cap that can bind and
// the cheap delete by the index does it.
func trimRefused(ctx context.Context, conn *sql.Conn, rows int, bytes int64) (PruneReport, error) {
	if int64(rows)*maxRefusedRowBytes <= bytes {
		return deleteRows(ctx, conn, sqlTrimRefusedByCount, rows)
	}
	return deleteRows(ctx, conn, sqlTrimRefused, rows, bytes)
}

// upkeep trims the delivery log by the writer's policy (see the top of
// this file) in one transaction of its own, once it is due.
func (w *writer) upkeep() (PruneReport, error) {
	var report PruneReport
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return report, err
	}
	err := func() error {
		r, err := trimRefused(ctx, w.conn, w.limits.refusedRows, w.limits.refusedBytes)
		if err != nil {
			return fmt.Errorf("trimming the refused requests: %w", err)
		}
		report.add(r)
		if w.newest.IsZero() {
			return nil
		}
		if r, err = deleteRows(ctx, w.conn, sqlExpireOldest, storedTime(w.newest.Add(-w.limits.deliveries)), w.limits.chunk); err != nil {
			return fmt.Errorf("expiring old deliveries: %w", err)
		}
		report.add(r)
		return nil
	}()
	if err == nil {
		_, err = w.conn.ExecContext(ctx, "COMMIT")
	}
	if err != nil {
		_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
		return PruneReport{}, fmt.Errorf("storage: delivery-log upkeep: %w", err)
	}
	return report, nil
}

// upkeepDue counts a batch and tells whether upkeep is due.
func (w *writer) upkeepDue() bool {
	w.batchesSinceUpkeep++
	if w.batchesSinceUpkeep < w.limits.everyBatches && time.Since(w.lastUpkeep) < w.limits.every {
		return false
	}
	w.batchesSinceUpkeep, w.lastUpkeep = 0, time.Now()
	return true
}

// sawReceivedAt keeps the newest receipt time logged, the clock upkeep
// measures ages with.
func (w *writer) sawReceivedAt(t time.Time) {
	if t.After(w.newest) {
		w.newest = t
	}
}

// PruneDeliveries removes every delivery-log row received before cutoff
// (refused, duplicate, failed and applied alike; the bookings they brought
// stay), trims the refused rows to their ring, and says what it removed. It works in transactions of a few
// thousand rows, so a running listener's deliveries go on between them.
func (s *Store) PruneDeliveries(ctx context.Context, cutoff time.Time) (PruneReport, error) {
	var report PruneReport
	limits := defaultRetention
	for {
		var chunk PruneReport // set anew each run: the writer may redo a batch
		err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) (err error) {
			chunk, err = deleteRows(ctx, conn, sqlPruneOlder, storedTime(cutoff), limits.chunk)
			return err
		})
		if err != nil {
			return report, fmt.Errorf("storage: pruning deliveries: %w", err)
		}
		report.add(chunk)
		if chunk.Deliveries < limits.chunk {
			break
		}
	}
	var rest PruneReport
	err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) (err error) {
		rest, err = trimRefused(ctx, conn, limits.refusedRows, limits.refusedBytes)
		return err
	})
	if err != nil {
		return report, fmt.Errorf("storage: pruning deliveries: %w", err)
	}
	report.add(rest)
	return report, nil
}
