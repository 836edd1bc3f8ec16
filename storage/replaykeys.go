package storage

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Replay keys live in the writer's memory, with the delivery log as their
// record. A signature verifies only while its timestamp is within the
// tolerance of the receiver's clock, so a key received more than twice the
// tolerance before the newest receipt can never verify again: the writer
// keeps the keys received within ReplayKeyRetention of the newest receipt
// time it has seen (the listener's clock, as upkeep measures ages), and
// forgets the rest as that clock moves.
//
// The set is filled at Open from the log's applied and duplicate rows of
// that window (through the received_at index), and whenever another
// connection has committed since the writer last looked (PRAGMA
// data_version, read at the start of every batch): a second process that
// writes the same store (a demo given the listener's --home, deliveries
// prune) is read back by its new rows before the batch checks any key.
//
// A key enters the set only once the batch that logged it commits: the
// batch's keys wait in pending, which a rollback empties and a savepoint's
// rollback shortens to what it held before the item.

const (
	// sqlNewestReceipt is the log's clock at Open, and its last row.
	sqlNewestReceipt = `SELECT coalesce(max(received_at), ''), coalesce(max(id), 0) FROM deliveries`

	// sqlLastRow is the log's last row, for refresh.
	sqlLastRow = `SELECT coalesce(max(id), 0) FROM deliveries`

	// replayKeyColumns are a row's key and the delivery first received
	// with it: the row itself when applied, its original when a duplicate
	// (the original may have been pruned since).
	replayKeyColumns = `SELECT id, replay_key, received_at, CASE outcome WHEN 'duplicate' THEN coalesce(duplicate_of, 0) ELSE id END
FROM deliveries `
	replayKeyRows = ` AND replay_key != '' AND outcome IN ('applied', 'duplicate')`

	// sqlLoadReplayKeys reads the keys received at or after ?1 (of rows
	// after id ?2) through the received_at index (Open). No ORDER BY id:
	// SQLite would rather scan the whole log by id than sort; keep picks
	// the first delivery whatever the order.
	sqlLoadReplayKeys = replayKeyColumns + `WHERE received_at >= ?1 AND +id > ?2` + replayKeyRows

	// sqlLoadNewReplayKeys reads the keys of the rows after id ?2 received
	// at or after ?1, through the rowids (another writer's new rows).
	sqlLoadNewReplayKeys = replayKeyColumns + `WHERE id > ?2 AND +received_at >= ?1` + replayKeyRows

	sqlDataVersion = `PRAGMA data_version`
)

// replayKeyBuckets is how many slices of the window the keys expire by: a
// key is forgotten at most window/replayKeyBuckets after it could be.
const replayKeyBuckets = 32

// replayKeys is the writer's set of recent replay keys. Only the writer's
// goroutine uses it.
type replayKeys struct {
	window  time.Duration
	width   int64 // nanoseconds of receipt time per bucket
	newest  time.Time
	keys    map[string]replayEntry
	buckets map[int64][]string // bucket → the keys received in it
	pending []pendingKey       // keys of the open transaction, in order
	inBatch map[string]int64   // pending, by key
	batchID int64              // the last log row the open transaction wrote

	lastID      int64 // the last log row read or committed: later ones are another writer's
	dataVersion int64 // PRAGMA data_version when the set was last brought up to date
}

type replayEntry struct {
	delivery int64 // the delivery first received with the key (0: unknown)
	bucket   int64
}

type pendingKey struct {
	key      string
	delivery int64
	at       time.Time
}

func newReplayKeys(window time.Duration) *replayKeys {
	width := int64(window / replayKeyBuckets)
	if width < 1 {
		width = 1
	}
	return &replayKeys{window: window, width: width, keys: map[string]replayEntry{},
		buckets: map[int64][]string{}, inBatch: map[string]int64{}}
}

// load reads the log's keys of the window at Open. It reads data_version
// first, so a commit by another connection during the read shows at the
// first batch's refresh.
func (r *replayKeys) load(ctx context.Context, conn *sql.Conn) error {
	if err := conn.QueryRowContext(ctx, sqlDataVersion).Scan(&r.dataVersion); err != nil {
		return fmt.Errorf("storage: reading the replay keys: %w", err)
	}
	var newest string
	var last int64
	if err := conn.QueryRowContext(ctx, sqlNewestReceipt).Scan(&newest, &last); err != nil {
		return fmt.Errorf("storage: reading the replay keys: %w", err)
	}
	if newest == "" {
		return nil // nothing logged yet
	}
	at, err := parseStored(sql.NullString{String: newest, Valid: true})
	if err != nil {
		return fmt.Errorf("storage: reading the replay keys: %w", err)
	}
	r.sawReceivedAt(at)
	if err := r.readLog(ctx, conn, sqlLoadReplayKeys); err != nil {
		return err
	}
	r.lastID = last
	return nil
}

// refresh brings the set up to date with what other connections committed
// since it last looked; conn must be inside the batch's transaction, and
// dataVersion is sqlDataVersion prepared on it.
func (r *replayKeys) refresh(ctx context.Context, conn *sql.Conn, dataVersion *sql.Stmt) error {
	var version int64
	if err := dataVersion.QueryRowContext(ctx).Scan(&version); err != nil {
		return fmt.Errorf("checking for other writers: %w", err)
	}
	if version == r.dataVersion {
		return nil
	}
	var last int64
	if err := conn.QueryRowContext(ctx, sqlLastRow).Scan(&last); err != nil {
		return fmt.Errorf("reading the replay keys: %w", err)
	}
	if last < r.lastID {
		r.lastID = 0 // the log's last rows were removed, so ids are given again: read it all
	}
	if err := r.readLog(ctx, conn, sqlLoadNewReplayKeys); err != nil {
		return err
	}
	r.dataVersion = version
	return nil
}

// readLog adds the keys query reads of the log's rows received within the
// window (and after lastID, for sqlLoadNewReplayKeys).
func (r *replayKeys) readLog(ctx context.Context, conn *sql.Conn, query string) error {
	since := r.newest.Add(-r.window)
	rows, err := conn.QueryContext(ctx, query, storedTime(since), r.lastID)
	if err != nil {
		return fmt.Errorf("reading the replay keys: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, original int64
		var key string
		var received sql.NullString
		if err := rows.Scan(&id, &key, &received, &original); err != nil {
			return fmt.Errorf("reading the replay keys: %w", err)
		}
		at, err := parseStored(received)
		if err != nil {
			return fmt.Errorf("reading the replay key of delivery #%d: %w", id, err)
		}
		r.lastID = max(r.lastID, id)
		r.sawReceivedAt(at)
		r.keep(key, original, at)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the replay keys: %w", err)
	}
	r.prune()
	return nil
}

// seen returns the delivery first received with key, by this batch or a
// committed one.
func (r *replayKeys) seen(key string) (delivery int64, ok bool) {
	if e, ok := r.keys[key]; ok {
		return e.delivery, true
	}
	delivery, ok = r.inBatch[key]
	return delivery, ok
}

// wrote notes a log row the open transaction wrote.
func (r *replayKeys) wrote(id int64) { r.batchID = max(r.batchID, id) }

// add notes key as taken by delivery, pending the batch's commit.
func (r *replayKeys) add(key string, delivery int64, at time.Time) {
	r.pending = append(r.pending, pendingKey{key, delivery, at})
	r.inBatch[key] = delivery
}

// mark is where the pending keys stand, for rollbackTo.
func (r *replayKeys) mark() int { return len(r.pending) }

// rollbackTo forgets the keys added since mark (a savepoint rolled back).
func (r *replayKeys) rollbackTo(mark int) {
	for _, p := range r.pending[mark:] {
		delete(r.inBatch, p.key)
	}
	clear(r.pending[mark:])
	r.pending = r.pending[:mark]
}

// rollback forgets every pending key (the transaction rolled back).
func (r *replayKeys) rollback() {
	r.rollbackTo(0)
	r.batchID = 0
}

// commit keeps the pending keys (their transaction committed) and forgets
// what the clock has left behind.
func (r *replayKeys) commit() {
	r.lastID = max(r.lastID, r.batchID)
	for _, p := range r.pending {
		r.sawReceivedAt(p.at)
		r.keep(p.key, p.delivery, p.at)
	}
	r.rollback()
	r.prune()
}

// keep adds a committed key; of two deliveries with one key (read from
// the log in any order) the first known one stays its original.
func (r *replayKeys) keep(key string, delivery int64, at time.Time) {
	if e, ok := r.keys[key]; ok {
		if delivery != 0 && (e.delivery == 0 || delivery < e.delivery) {
			e.delivery = delivery
			r.keys[key] = e
		}
		return
	}
	b := at.UnixNano() / r.width
	r.keys[key] = replayEntry{delivery: delivery, bucket: b}
	r.buckets[b] = append(r.buckets[b], key)
}

func (r *replayKeys) sawReceivedAt(at time.Time) {
	if at.After(r.newest) {
		r.newest = at
	}
}

// prune forgets the keys of every bucket wholly older than the window.
func (r *replayKeys) prune() {
	if r.newest.IsZero() {
		return
	}
	cutoff := r.newest.Add(-r.window).UnixNano()
	for b, keys := range r.buckets {
		if (b+1)*r.width > cutoff {
			continue
		}
		for _, k := range keys {
			if e, ok := r.keys[k]; ok && e.bucket == b {
				delete(r.keys, k)
			}
		}
		delete(r.buckets, b)
	}
}

// len is how many keys the set holds.
func (r *replayKeys) len() int { return len(r.keys) }
