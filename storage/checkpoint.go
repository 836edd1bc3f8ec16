package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Background checkpoints.
//
// A checkpoint copies the pages the WAL holds back into the database file.
// SQLite's default runs one inside the COMMIT that takes the WAL past 1,000
// frames, which with group commit is nearly every batch: each page a batch
// changed is copied at once, though the next batches change most of the same
// pages again, and the batch's callers wait for the copy. Here a second
// connection copies in the background instead, once a few thousand frames
// have gathered, so a page many batches change is copied once and no COMMIT
// waits for the copy. A PASSIVE checkpoint takes no lock a writer or reader
// needs: the writer keeps appending to the WAL while it runs. Its thread
// runs at the lowest CPU priority (on Linux): the listener is pinned to one
// core, and a checkpoint there takes the CPU the writer leaves rather than
// half of it.
//
// How many frames have gathered is estimated from what the writer committed
// (items: deliveries, refused requests, snapshots), at about 16 frames a
// delivery (BENCHMARKS.md, "Storage exploration (issue 6)"). go-sqlite3
// exposes no sqlite3_wal_hook, and the other exact source, the mxFrame field
// of the -shm file, cannot be read safely from Go: closing any descriptor of
// that file drops the POSIX locks SQLite holds on it in this process.
//
// The WAL starts over from its first frame (and is cut back to
// journal_size_limit) only when the writer begins a transaction after a
// checkpoint copied every frame, and no reader still uses them. Under steady
// load a background checkpoint never ends so: the writer commits again while
// it copies. So once a background checkpoint leaves a WAL of
// checkpointRestartFrames or more, more runs follow at once, at the
// writer's priority, until one
// finds little committed during the last (checkpointFinishFrames); then the
// writer, right after its next COMMIT, copies that little with a PASSIVE
// checkpoint of its own, and its next transaction restarts the WAL. (Without
// those runs the writer's copy was a whole low-priority run's worth of
// batches, and the p99 of a delivery rose by a fifth.) The writer's
// automatic checkpoint stays only as a backstop, at writerCheckpointPages,
// for when the background fails or falls behind.
const (
	// checkpointItems is how many committed items start a background
	// checkpoint: about 4,000 frames on a grown store, 3,000 on an empty one.
	checkpointItems = 250
	// checkpointDelay bounds how long committed items wait to be copied
	// when fewer than checkpointItems gather: after a burst the WAL is
	// copied whole, so the writer's next commit restarts it.
	checkpointDelay = 500 * time.Millisecond
	// checkpointRestartFrames is the WAL length at which the writer
	// finishes a background checkpoint so the WAL restarts: about the
	// journal_size_limit, so the file seldom grows past it.
	checkpointRestartFrames = walSizeLimit / 4096
	// checkpointFinishFrames is how few frames committed during a
	// background checkpoint let the writer finish it; up to
	// maxCheckpointCatchUps more runs try to get there first.
	checkpointFinishFrames = 512
	maxCheckpointCatchUps  = 4
	// writerCheckpointPages is the writer's own wal_autocheckpoint: the
	// backstop for when the background falls behind or fails.
	writerCheckpointPages = 10000
)

// checkpointParams are the background connection's settings: it never
// changes a row, and it syncs the database after a checkpoint as the
// writer's own would (synchronous=FULL).
const checkpointParams = "_busy_timeout=5000&_synchronous=FULL"

// checkpointer runs PASSIVE checkpoints on its own connection, in its own
// goroutine, when the writer has committed enough.
type checkpointer struct {
	db      *sql.DB
	path    string
	every   int64         // items between checkpoints
	restart int           // WAL frames at which the writer finishes a checkpoint
	delay   time.Duration // the longest a committed item waits for a checkpoint

	pending   atomic.Int64 // items committed since the last checkpoint began
	finishDue atomic.Bool  // the writer is to finish the last checkpoint
	closed    atomic.Bool  // close has begun: the hook does nothing
	wake      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	logger    atomic.Pointer[slog.Logger]
	// traced, when set (tests and benchmarks only), is told of each
	// background checkpoint; see checkpointTiming.
	traced atomic.Pointer[func(checkpointTiming)]

	mu         sync.Mutex
	stats      CheckpointStats
	lastErr    error
	lastFrames int // the WAL's frames when the last checkpoint began
	catchUps   int // runs since the WAL reached restart frames
}

// checkpointTiming is one background checkpoint, for a test's trace: when
// it ran, the WAL's frames and those copied, and whether it was a catch-up
// run (at the writer's priority).
type checkpointTiming struct {
	start, end    time.Time
	frames, moved int
	catchUp       bool
}

// CheckpointStats tells what the background checkpoints did: how many ran,
// how many failed, how many the writer finished so the WAL could restart,
// and the WAL as the last background one left it (frames in the WAL, frames
// of it copied into the database).
type CheckpointStats struct {
	Runs, Failures, Finished int
	WALFrames, Moved         int
}

// startCheckpointer opens the background connection to path and starts its
// goroutine. Its first checkpoint copies back what a crash left in the WAL.
func startCheckpointer(ctx context.Context, path string, every int64, restart int, delay time.Duration) (*checkpointer, error) {
	db, err := sql.Open("sqlite3", dsn(path, checkpointParams))
	if err != nil {
		return nil, fmt.Errorf("storage: cannot open %s for checkpoints: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("storage: cannot open %s for checkpoints: %w", path, err)
	}
	c := &checkpointer{
		db: db, path: path, every: every, restart: restart, delay: delay,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	c.logger.Store(slog.Default())
	c.pending.Store(every) // a checkpoint at once, for a WAL a crash left
	c.wake <- struct{}{}
	go c.run()
	return c, nil
}

// committed is the writer's hook: items were just committed on conn, the
// writer's connection. It never blocks on the background; when the last
// background checkpoint left a long WAL it finishes that checkpoint on conn.
// After close it does nothing.
func (c *checkpointer) committed(conn *sql.Conn, items int) {
	if c == nil || c.closed.Load() {
		return
	}
	if c.finishDue.Load() {
		c.finish(conn)
	}
	// Wake the goroutine when a checkpoint is due, and for the first items
	// after one, to arm the delay.
	if n := c.pending.Add(int64(items)); n >= c.every || n == int64(items) {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// finish copies, on the writer's connection, what the last background
// checkpoint left, so the writer's next transaction restarts the WAL.
func (c *checkpointer) finish(conn *sql.Conn) {
	var busy, frames, moved int
	err := conn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &moved)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed(err)
		return
	}
	if busy == 0 { // busy: the background is copying again; finish after it
		c.finishDue.Store(false)
		c.stats.Finished++
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	if err := yieldToTheWriter(); err != nil {
		// Not a failure: checkpoints only compete with the writer more.
		c.logger.Load().Debug("storage: cannot lower the checkpoint thread's priority", "err", err)
	}
	delay := time.NewTimer(c.delay)
	defer delay.Stop()
	armed := true // the first checkpoint is due at once (startCheckpointer)
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
			if c.pending.Load() < c.every {
				if !armed {
					delay.Reset(c.delay)
					armed = true
				}
				continue
			}
		case <-delay.C:
			armed = false
			if c.pending.Load() == 0 {
				continue
			}
		}
		delay.Stop()
		armed = false
		c.pending.Store(0)
		if c.checkpoint() {
			c.catchUp()
		}
	}
}

// catchUp runs checkpoints until one says no more is due, on a goroutine of
// its own and so on a thread at the writer's priority, not this one's: at
// nice 19 on a busy core they would never catch up with the writer.
func (c *checkpointer) catchUp() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c.pending.Store(0)
			if !c.checkpoint() {
				return
			}
		}
	}()
	<-done
}

// checkpoint runs one PASSIVE checkpoint. A failure is logged when it
// starts and when it ends, not at every attempt; it loses nothing, since
// what was not copied stays in the WAL, where readers and the writer's own
// checkpoint find it.
//
// It reports whether another is due at once (see below).
func (c *checkpointer) checkpoint() (again bool) {
	var busy, frames, moved int
	start := time.Now()
	err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &moved)
	c.mu.Lock()
	defer c.mu.Unlock()
	if trace := c.traced.Load(); trace != nil {
		(*trace)(checkpointTiming{start: start, end: time.Now(), frames: frames, moved: moved, catchUp: c.catchUps > 0})
	}
	c.stats.Runs++
	if err != nil {
		c.failed(err)
		return false
	}
	if c.lastErr != nil {
		c.logger.Load().Info("storage: background checkpoints work again", "db", c.path, "failures", c.stats.Failures)
		c.lastErr = nil
	}
	if busy != 0 { // the writer's own checkpoint was running
		return false
	}
	c.stats.WALFrames, c.stats.Moved = frames, moved
	grew := frames - c.lastFrames // frames committed while the last one ran
	c.lastFrames = frames
	if frames < c.restart {
		c.catchUps = 0
		return false
	}
	// Even a WAL copied whole waits for the writer: its transaction
	// restarts the WAL only if it began after the copy ended, and under
	// load it began during it. The writer copies what the background has
	// not, so that is made small first: another run at once, at the
	// writer's priority, copies what was committed during this one, until
	// that is little.
	if (grew >= 0 && grew <= checkpointFinishFrames) || c.catchUps >= maxCheckpointCatchUps {
		c.catchUps = 0
		c.finishDue.Store(true)
		return false
	}
	c.catchUps++
	return true
}

// failed counts a failed checkpoint and logs the first of a run of them.
// Called with c.mu held.
func (c *checkpointer) failed(err error) {
	c.stats.Failures++
	if c.lastErr == nil {
		c.logger.Load().Error("storage: checkpoints are failing; the WAL grows until the writer's own checkpoint copies it (check the disk)",
			"db", c.path, "err", err)
	}
	c.lastErr = err
}

// statsNow returns what the checkpoints have done so far.
func (c *checkpointer) statsNow() CheckpointStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// close waits for a running checkpoint to end and closes the connection.
func (c *checkpointer) close() error {
	c.closed.Store(true)
	close(c.stop)
	<-c.done
	return c.db.Close()
}

// SetLogger says where the store logs what goes wrong in the background
// (checkpoints); by default, slog.Default(). Nothing secret is logged.
func (s *Store) SetLogger(l *slog.Logger) {
	if s.ckpt != nil && l != nil {
		s.ckpt.logger.Store(l)
	}
}

// CheckpointStats tells what the background checkpoints have done (zero for
// a read-only store).
func (s *Store) CheckpointStats() CheckpointStats {
	if s.ckpt == nil {
		return CheckpointStats{}
	}
	return s.ckpt.statsNow()
}
