package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// Group commit: one goroutine owns the only write connection and commits
// small batches; a bad item fails alone (see commit), and every caller is
// answered after its batch commits.
const (
	maxBatch         = 256  // accepted items per transaction
	maxRefusedBatch  = 32   // refused items per transaction, taken after the accepted ones
	acceptedQueueLen = 1024 // callers wait (or give up with their context) when it is full
	refusedQueueLen  = 256  // RecordRefused drops when it is full
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("storage: the database is closed")

// ErrRefusedLogFull is returned by RecordRefused when refused requests arrive
// faster than they can be logged; the request is not logged.
var ErrRefusedLogFull = errors.New("storage: too many refused requests to log; this one was dropped")

// writeRequest is one item for the writer: exactly one of the four is set.
type writeRequest struct {
	delivery *IncomingDelivery
	refused  *DeliveryRecord                                 // a refused request, already cut to what is stored
	changes  []change                                        // a backfill snapshot
	exec     func(ctx context.Context, conn *sql.Conn) error // a small write of its own (secrets)
	result   chan writeResult
}

// batchTiming is when one batch reached each step, for a test's trace:
// start (BEGIN), applied (every item applied, COMMIT begins), answered
// (COMMIT returned; callers are answered now), done (after the commit
// hook, which may finish a checkpoint, and the log's upkeep: the writer
// takes the next batch).
type batchTiming struct {
	items                          int
	start, applied, answered, done time.Time
}

type writeResult struct {
	record DeliveryRecord
	err    error
}

type writer struct {
	conn     *sql.Conn
	st       *statements
	log      *logStatements
	replay   *replayKeys     // the recent replay keys (replaykeys.go)
	onCommit func(items int) // after a commit that wrote items

	// Owned by the writer goroutine: the delivery-log upkeep (retention.go),
	// and the timing of the batch being written.
	limits             retention
	newest             time.Time
	batchesSinceUpkeep int
	lastUpkeep         time.Time
	timing             batchTiming

	mu       sync.RWMutex // held for reading while enqueuing, for writing by close
	closed   bool
	accepted chan *writeRequest
	refused  chan *writeRequest
	done     chan struct{}

	// traced, when set (tests and benchmarks only), is told how long each
	// batch took; see batchTiming.
	traced atomic.Pointer[func(batchTiming)]

	answersMu    sync.Mutex
	answers      []answer      // answered since the last transaction (answers.go)
	answerQueued chan struct{} // wakes the writer to arm its answer flush
}

func newWriter(conn *sql.Conn, st *statements, log *logStatements, replay *replayKeys, onCommit func(items int)) *writer {
	w := &writer{
		conn: conn, st: st, log: log, replay: replay, onCommit: onCommit, limits: defaultRetention,
		accepted: make(chan *writeRequest, acceptedQueueLen),
		refused:  make(chan *writeRequest, refusedQueueLen),
		done:     make(chan struct{}),

		answerQueued: make(chan struct{}, 1),
	}
	go w.run()
	return w
}

// submit queues req and waits for its batch to commit.
func (w *writer) submit(ctx context.Context, req *writeRequest) (DeliveryRecord, error) {
	if w == nil {
		return DeliveryRecord{}, ErrReadOnly
	}
	req.result = make(chan writeResult, 1)
	if err := w.enqueue(ctx, req); err != nil {
		return DeliveryRecord{}, err
	}
	// Once queued, the write happens whatever becomes of ctx, so the caller
	// waits for what did happen: an answer that matches the database. The
	// wait is bounded by the writer (each batch is a few statements under
	// the busy timeout), not by the caller.
	r := <-req.result
	return r.record, r.err
}

func (w *writer) enqueue(ctx context.Context, req *writeRequest) error {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		return ErrClosed
	}
	if req.refused != nil {
		select {
		case w.refused <- req:
			return nil
		default:
			return ErrRefusedLogFull
		}
	}
	select {
	case w.accepted <- req:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("storage: gave up waiting to queue the write: %w", ctx.Err())
	}
}

// close stops new writes, lets the writer commit everything queued, and
// waits for it to finish.
func (w *writer) close() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.accepted)
		close(w.refused)
	}
	w.mu.Unlock()
	<-w.done
}

func (w *writer) run() {
	defer close(w.done)
	accepted, refused := w.accepted, w.refused
	var flushAnswers <-chan time.Time // armed while answers wait with no batch to carry them
	for {
		// Accepted deliveries first; refused requests ride along, a few per
		// batch. Block only when no accepted delivery is waiting.
		var batch []*writeRequest
		batch, accepted = drain(batch, accepted, maxBatch)
		if len(batch) == 0 {
			if accepted == nil && refused == nil {
				if w.answersPending() {
					w.commit(nil)
				}
				return // both queues closed and drained
			}
			select {
			case <-w.answerQueued:
				if flushAnswers == nil {
					flushAnswers = time.After(answerFlushDelay)
				}
				continue
			case <-flushAnswers:
				flushAnswers = nil
				if w.answersPending() {
					w.commit(nil)
				}
				continue
			case req, ok := <-accepted:
				if !ok {
					accepted = nil
					continue
				}
				batch = append(batch, req)
			case req, ok := <-refused:
				if !ok {
					refused = nil
					continue
				}
				batch = append(batch, req)
			}
			batch, accepted = drain(batch, accepted, maxBatch)
		}
		batch, refused = drain(batch, refused, len(batch)+maxRefusedBatch)
		w.commit(batch)
		if w.upkeepDue() {
			// Best effort: what fails now is trimmed at the next upkeep.
			_, _ = w.upkeep()
		}
		if trace := w.traced.Load(); trace != nil {
			w.timing.done = time.Now()
			(*trace)(w.timing)
		}
	}
}

// drain adds what is already queued on ch to batch, up to limit items. It
// returns ch, or nil once ch is closed and empty.
func drain(batch []*writeRequest, ch chan *writeRequest, limit int) ([]*writeRequest, chan *writeRequest) {
	for ch != nil && len(batch) < limit {
		select {
		case req, ok := <-ch:
			if !ok {
				return batch, nil
			}
			batch = append(batch, req)
		default:
			return batch, ch
		}
	}
	return batch, ch
}

// errItemFailed ends a batch run without savepoints when one item fails.
var errItemFailed = errors.New("storage: an item of the batch failed")

// commit writes batch in one transaction and answers every caller.
//
// The batch first runs without savepoints: a savepoint makes SQLite copy
// every page an item changes that an earlier item of the batch already
// changed, which is most of them. Should any item fail, that run is rolled
// back and the batch runs again with each item in its own savepoint, so the
// bad one fails alone and its neighbours commit. Both runs start from the
// same database, so the items before the bad one do the same in both.
func (w *writer) commit(batch []*writeRequest) {
	w.timing = batchTiming{items: len(batch), start: time.Now()}
	answers := w.takeAnswers()
	results, err := w.attempt(batch, answers, false)
	if errors.Is(err, errItemFailed) {
		results, err = w.attempt(batch, answers, true)
	}
	if err != nil {
		for _, req := range batch {
			req.result <- writeResult{err: err}
		}
		return
	}
	w.timing.answered = time.Now()
	for i, req := range batch {
		req.result <- results[i]
	}
	if w.onCommit != nil && len(batch) > 0 {
		w.onCommit(len(batch))
	}
}

// attempt writes the answers of earlier rows and applies batch in one
// transaction and commits it. Without isolated, it gives up with
// errItemFailed (having rolled back) at the first item that fails; with
// isolated, every item runs in its own savepoint. The replay keys the batch
// took join the writer's set only once it commits.
func (w *writer) attempt(batch []*writeRequest, answers []answer, isolated bool) (results []writeResult, err error) {
	ctx := context.Background()
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("storage: cannot start a write (is another calwatch using this database?): %w", err)
	}
	defer func() {
		if err == nil {
			w.replay.commit()
		} else {
			w.replay.rollback()
			w.st.forgetHosts()
		}
	}()
	if err := w.replay.refresh(ctx, w.conn, w.log.dataVersion); err != nil {
		_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
		return nil, fmt.Errorf("storage: %w", err)
	}
	if err := w.writeAnswers(ctx, answers); err != nil && w.transactionGone() {
		return nil, fmt.Errorf("storage: SQLite rolled the whole write back, so none of it was saved (disk full or failing?): %w", err)
	} // otherwise best effort: those rows show no latency
	results = make([]writeResult, len(batch))
	for i, req := range batch {
		if isolated {
			results[i] = w.applyItem(ctx, req)
		} else {
			results[i] = w.apply(ctx, req)
		}
		if results[i].err == nil {
			continue
		}
		if w.transactionGone() {
			return nil, fmt.Errorf("storage: SQLite rolled the whole write back, so none of it was saved (disk full or failing?): %w", results[i].err)
		}
		if !isolated {
			_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
			return nil, errItemFailed
		}
	}
	w.timing.applied = time.Now()
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = w.conn.ExecContext(ctx, "ROLLBACK")
		return nil, fmt.Errorf("storage: the write was not saved (disk full or failing?): %w", err)
	}
	return results, nil
}

// transactionGone tells whether SQLite has ended the batch's transaction on
// its own: after some errors (SQLITE_FULL, SQLITE_IOERR, …) it rolls the
// whole transaction back and the connection is in autocommit mode again,
// where every later statement would commit by itself.
func (w *writer) transactionGone() bool {
	gone := true // when the connection cannot be asked, assume the worst
	_ = w.conn.Raw(func(driverConn any) error {
		// *sqlite3.SQLiteConn, through an interface: the cgo-less stub
		// that cross-compiled vet sees has no such method.
		if c, ok := driverConn.(interface{ AutoCommit() bool }); ok {
			gone = c.AutoCommit()
		}
		return nil
	})
	return gone
}

// applyItem runs one request inside its own savepoint; a request that
// fails leaves nothing behind but, for a delivery, its failure in the log.
func (w *writer) applyItem(ctx context.Context, req *writeRequest) writeResult {
	if _, err := w.st.savepoint.ExecContext(ctx); err != nil {
		return writeResult{err: fmt.Errorf("storage: %w", err)}
	}
	keys := w.replay.mark()
	res := w.apply(ctx, req)
	if res.err != nil {
		if w.transactionGone() {
			return res // the caller fails the whole batch
		}
		_, _ = w.st.rollbackTo.ExecContext(ctx)
		_, _ = w.st.release.ExecContext(ctx)
		w.replay.rollbackTo(keys)
		w.st.forgetHosts()
		if req.delivery != nil {
			res = w.logFailure(ctx, req.delivery, res.err)
		}
		res.err = fmt.Errorf("storage: %w", res.err)
		return res
	}
	if _, err := w.st.release.ExecContext(ctx); err != nil {
		return writeResult{err: fmt.Errorf("storage: %w", err)}
	}
	return res
}

// apply writes one request into the open transaction.
func (w *writer) apply(ctx context.Context, req *writeRequest) writeResult {
	switch {
	case req.delivery != nil:
		return w.recordDelivery(ctx, req.delivery)
	case req.refused != nil:
		return w.recordRefused(ctx, req.refused)
	case req.exec != nil:
		return writeResult{err: req.exec(ctx, w.conn)}
	}
	for _, c := range req.changes {
		if err := w.st.applyChange(ctx, c); err != nil {
			return writeResult{err: err}
		}
	}
	return writeResult{}
}

// prepareIncoming checks and completes a delivery before it is queued.
func prepareIncoming(d IncomingDelivery) (IncomingDelivery, error) {
	if d.Parsed == nil {
		parsed, err := calendly.ParseDelivery(d.Body)
		if err != nil {
			return d, fmt.Errorf("storage: the delivery body does not parse (%w); log it with RecordRefused instead", err)
		}
		d.Parsed = parsed
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = time.Now()
	}
	d.ReceivedAt = d.ReceivedAt.UTC().Truncate(time.Microsecond) // as stored
	d.headersColumn, d.headersKept, d.headersCut = encodeHeaders(d.Headers, MaxStoredHeaders)
	return d, nil
}
