package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// What calwatch answered a delivery, and how long the request took, are
// known only after its row commits (the answer waits for the commit), so
// they reach the store later: RecordAnswer queues them and the writer's
// next transaction writes every queued one in one statement, into the
// small delivery_answers table rather than the row (an update would
// rewrite the page that holds the body). When nothing else comes, a small
// transaction of their own writes them within answerFlushDelay, so a
// quiet listener adds at most one write a second, never one per delivery.
const (
	answerFlushDelay  = time.Second
	maxPendingAnswers = 4096 // more are dropped: their rows keep what they had
)

// sqlRecordAnswers writes the queued answers, given as a JSON array of
// [id, status, latency_us], into delivery_answers (see
// migrations/0009_delivery_answer.sql); a status of 0 keeps the row's own.
// A row already pruned gets none.
const sqlRecordAnswers = `
INSERT INTO delivery_answers (delivery_id, answer_status, latency_us)
SELECT a.value ->> 0, nullif(a.value ->> 1, 0), a.value ->> 2 FROM json_each(?) AS a
WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = a.value ->> 0)
ON CONFLICT (delivery_id) DO UPDATE SET answer_status = excluded.answer_status, latency_us = excluded.latency_us`

// answerColumns read a row's status and latency, the later answer first;
// table is the deliveries table's name or alias in the query.
func answerColumns(table string) string {
	return `coalesce((SELECT a.answer_status FROM delivery_answers a WHERE a.delivery_id = ` + table + `.id), ` + table + `.answer_status, 0),
    coalesce((SELECT a.latency_us FROM delivery_answers a WHERE a.delivery_id = ` + table + `.id), 0)`
}

type answer struct {
	id        int64
	status    int
	latencyUS int64
}

// RecordAnswer notes that delivery-log row id was answered status, latency
// after its request began (status 0: the row's stored status stands). It
// never waits: the row gets it with the writer's next transaction, within
// about a second, or at Close. A read-only or closed store drops it, as
// does one with more than a few thousand answers queued; the row then
// keeps its status and shows no latency.
func (s *Store) RecordAnswer(id int64, status int, latency time.Duration) {
	if s.w == nil || id <= 0 {
		return
	}
	s.w.queueAnswer(answer{id: id, status: status, latencyUS: max(1, latency.Microseconds())})
}

func (w *writer) queueAnswer(a answer) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return
	}
	w.answersMu.Lock()
	if len(w.answers) < maxPendingAnswers {
		w.answers = append(w.answers, a)
	}
	w.answersMu.Unlock()
	select {
	case w.answerQueued <- struct{}{}:
	default: // the writer has been told already
	}
}

func (w *writer) takeAnswers() []answer {
	w.answersMu.Lock()
	defer w.answersMu.Unlock()
	a := w.answers
	w.answers = nil
	return a
}

func (w *writer) answersPending() bool {
	w.answersMu.Lock()
	defer w.answersMu.Unlock()
	return len(w.answers) > 0
}

// writeAnswers writes answers into the open transaction.
func (w *writer) writeAnswers(ctx context.Context, answers []answer) error {
	if len(answers) == 0 {
		return nil
	}
	rows := make([][3]int64, len(answers))
	for i, a := range answers {
		rows[i] = [3]int64{a.id, int64(a.status), a.latencyUS}
	}
	list, _ := json.Marshal(rows) // numbers always marshal
	if _, err := w.log.recordAnswers.ExecContext(ctx, string(list)); err != nil {
		return fmt.Errorf("storage: writing what deliveries were answered: %w", err)
	}
	return nil
}
