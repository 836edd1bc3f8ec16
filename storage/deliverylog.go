package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"
)

// What a refused request keeps: anyone can send one, so its row is small
// and the refused rows are a ring (see retention.go).
const (
	// RefusedBodyPrefix is how much of a refused body is stored.
	RefusedBodyPrefix = 2 << 10
	// MaxStoredSignatureHeader is how much of a refused request's
	// signature header is stored.
	MaxStoredSignatureHeader = 512
	// maxStoredReason is how much of why a request was refused is kept
	// (the reason may quote what was sent).
	maxStoredReason = 512
)

const duplicateReason = "already received with this signature (same t and v1); nothing changed"

// refusedRecord is what the log keeps of a refused request: a prefix of
// the body with the whole body's size and SHA-256, and a bounded header.
// It runs in the caller's goroutine, so the writer and the refused queue
// only ever hold the short form.
func refusedRecord(r RefusedDelivery) DeliveryRecord {
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = time.Now()
	}
	sum := sha256.Sum256(r.Body)
	headers, kept, cut := encodeHeaders(r.Headers, MaxStoredRefusedHeaders)
	body := r.Body
	if len(body) > RefusedBodyPrefix {
		body = body[:RefusedBodyPrefix]
	}
	return DeliveryRecord{
		ReceivedAt:      r.ReceivedAt.UTC().Truncate(time.Microsecond), // as stored
		Outcome:         OutcomeRefused,
		Reason:          cutText(r.Reason, maxStoredReason),
		SignatureHeader: cutText(r.SignatureHeader, MaxStoredSignatureHeader),
		Body:            append([]byte(nil), body...), // not a view that pins the whole request
		BodySize:        int64(len(r.Body)),
		BodyTruncated:   len(body) < len(r.Body),
		BodySHA256:      hex.EncodeToString(sum[:]),
		AnswerStatus:    r.AnswerStatus,
		Headers:         kept,
		HeadersCut:      cut,
		headersColumn:   headers,
	}
}

// cutText returns at most n bytes of s, not splitting a UTF-8 sequence.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if !utf8.RuneStart(s[cut]) { // not UTF-8 around here: cut at n
		cut = n
	}
	return s[:cut]
}

func deliveryRecord(d *IncomingDelivery) DeliveryRecord {
	rec := DeliveryRecord{ReceivedAt: d.ReceivedAt, SignatureHeader: d.SignatureHeader, Body: d.Body, BodySize: int64(len(d.Body)),
		AnswerStatus: d.AnswerStatus, Headers: d.headersKept, HeadersCut: d.headersCut, headersColumn: d.headersColumn}
	if p := d.Parsed; p != nil {
		rec.Event = p.Event
		if p.Invitee != nil {
			rec.Invitee, rec.InviteeEmail, rec.EventURI = p.Invitee.URI, p.Invitee.Email, p.Invitee.Event
		}
	}
	return rec
}

// recordDelivery logs d and applies it, unless its replay key was seen
// before (replaykeys.go): then the row says duplicate, keeps no body and
// points at the first delivery with that key.
func (w *writer) recordDelivery(ctx context.Context, d *IncomingDelivery) writeResult {
	rec := deliveryRecord(d)
	if d.ReplayKey != "" {
		if original, seen := w.replay.seen(d.ReplayKey); seen {
			return w.insertDuplicate(ctx, rec, d.ReplayKey, original)
		}
	}
	rec.Outcome = OutcomeApplied
	c, changes := changeFromDelivery(d.Parsed)
	if !changes {
		rec.Reason = "changes no booking"
	}
	res := w.insertLog(ctx, rec, d.ReplayKey)
	if res.err == nil && d.ReplayKey != "" {
		w.replay.add(d.ReplayKey, res.record.ID, d.ReceivedAt)
	}
	return w.finishApply(ctx, res, c, changes)
}

// finishApply applies the delivery's change after its log row is written.
func (w *writer) finishApply(ctx context.Context, res writeResult, c change, changes bool) writeResult {
	if res.err != nil || !changes {
		return res
	}
	if err := w.st.applyChange(ctx, c); err != nil {
		return writeResult{err: err}
	}
	return res
}

// insertDuplicate logs a delivery whose replay key was taken before: no
// body (the original has it, 0: unknown), and the id of the original.
func (w *writer) insertDuplicate(ctx context.Context, rec DeliveryRecord, replayKey string, original int64) writeResult {
	rec.Outcome, rec.Reason, rec.DuplicateOf = OutcomeDuplicate, duplicateReason, original
	rec.Body, rec.BodyTruncated = []byte{}, rec.BodySize > 0
	return w.insertLog(ctx, rec, replayKey)
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func (w *writer) recordRefused(ctx context.Context, r *DeliveryRecord) writeResult {
	return w.insertLog(ctx, *r, "")
}

// logFailure records a delivery whose apply failed (and was rolled back), so
// a developer sees it; Calendly will retry it because it was not answered 2xx.
func (w *writer) logFailure(ctx context.Context, d *IncomingDelivery, cause error) writeResult {
	rec := deliveryRecord(d)
	rec.Outcome, rec.Reason = OutcomeFailed, "not applied: "+cause.Error()
	rec.AnswerStatus = 0 // not the success's; RecordAnswer brings what was answered
	res := w.insertLog(ctx, rec, d.ReplayKey)
	res.err = cause
	return res
}

func (w *writer) insertLog(ctx context.Context, rec DeliveryRecord, replayKey string) writeResult {
	if rec.Body == nil {
		rec.Body = []byte{}
	}
	var size sql.NullInt64
	if rec.BodyTruncated {
		size = sql.NullInt64{Int64: rec.BodySize, Valid: true}
	}
	res, err := w.log.insertDelivery.ExecContext(ctx, storedTime(rec.ReceivedAt), rec.Event, string(rec.Outcome), rec.Reason,
		rec.Invitee, rec.InviteeEmail, rec.EventURI, replayKey, rec.SignatureHeader, rec.Body, size, rec.BodySHA256,
		nullStatus(rec.AnswerStatus), nullText(rec.headersColumn), nullID(rec.DuplicateOf))
	if err != nil {
		return writeResult{err: fmt.Errorf("logging the delivery: %w", err)}
	}
	rec.ID, err = res.LastInsertId()
	if err != nil {
		return writeResult{err: fmt.Errorf("logging the delivery: %w", err)}
	}
	w.sawReceivedAt(rec.ReceivedAt)
	w.replay.wrote(rec.ID)
	return writeResult{record: rec}
}

func nullStatus(code int) sql.NullInt64 { return sql.NullInt64{Int64: int64(code), Valid: code != 0} }

func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
