package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ForwardResult returns what the developer's app answered when delivery id
// was forwarded to it; ok is false when it never was.
func (p *Panes) ForwardResult(ctx context.Context, id int64) (r ForwardResult, ok bool, err error) {
	var at sql.NullString
	var latencyUS int64
	err = p.db.QueryRowContext(ctx, `
SELECT delivery_id, url, at, status, latency_us, answer, answer_truncated, error
FROM forwards WHERE delivery_id = ?`, id).Scan(&r.DeliveryID, &r.URL, &at, &r.Status, &latencyUS, &r.Answer, &r.AnswerTruncated, &r.Error)
	if errors.Is(err, sql.ErrNoRows) {
		return ForwardResult{}, false, nil
	}
	if err != nil {
		return ForwardResult{}, false, fmt.Errorf("storage: reading the forward result of delivery %d: %w", id, err)
	}
	if r.At, err = parseStored(at); err != nil {
		return ForwardResult{}, false, err
	}
	r.Latency = time.Duration(latencyUS) * time.Microsecond
	return r, true, nil
}
