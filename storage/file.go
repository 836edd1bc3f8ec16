package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" database/sql driver
)

// Connection settings, in the DSN so every pooled connection gets them.
// The writer commits with synchronous=FULL in WAL mode: a commit that
// returned is on disk. Readers never write. _mutex=no opens each
// connection without SQLite's per-connection mutex: database/sql never uses
// one connection from two goroutines at once, and the lock cost about 3 % of
// the writer's CPU per delivery.
const (
	writeParams = "_journal_mode=WAL&_busy_timeout=5000&_foreign_keys=on&_txlock=immediate&_synchronous=FULL&_cache_size=-16000&_mutex=no"
	readParams  = "_busy_timeout=5000&_foreign_keys=on&_txlock=deferred&_query_only=1&_mutex=no"
)

// busyTimeout is how long a connection waits for another's lock: the
// _busy_timeout of both DSNs.
const busyTimeout = 5 * time.Second

// walSizeLimit is the size the WAL file is cut back to after a checkpoint,
// so one burst of deliveries does not leave a large file behind for good.
const walSizeLimit = 16 << 20

// writerPragmas are connection settings of the writer that the DSN cannot
// carry. temp_store=MEMORY keeps the savepoint journal (a copy of every page
// an item changes that an earlier item of its batch changed) in memory:
// otherwise it spills to a temporary file past 64 KiB, which a batch of
// deliveries always does, and costs two write calls per page. Durability is
// untouched: the WAL and synchronous=FULL are what make a commit stay.
// journal_size_limit shrinks the WAL after a burst; secure_delete zeroes
// what is deleted (pruned bodies, replaced tokens and keys) instead of
// leaving it in free pages. The WAL is checkpointed in the background
// (checkpoint.go); the writer's own checkpoint, which runs inside a COMMIT,
// is only the backstop, at writerCheckpointPages instead of SQLite's 1,000.
var writerPragmas = []string{
	"PRAGMA temp_store = MEMORY",
	fmt.Sprintf("PRAGMA journal_size_limit = %d", walSizeLimit),
	"PRAGMA secure_delete = ON",
	fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", writerCheckpointPages),
}

// The writer's page cache, in KiB (the DSN's _cache_size, which
// migrations run with, is the default). 16 MB by default: the TUI runs the
// writer in its own process (resident-memory target 80 MB) and takes
// deliveries at a human pace. ForIngest's 64 MB is for `calwatch listen`:
// each delivery lands on a random leaf of about a dozen indexes, which on a
// store grown to 100,000 events take about 116 MB, and 64 MB halved the
// pages the writer read from the file (16.8 → 8.9 a delivery) for about
// 45 MB more heap. A memory map instead cut read calls but not kernel time
// (page faults replace them), put the whole file in the resident set, and
// turns a disk error into a SIGBUS. Figures: BENCHMARKS.md, "Ingest after
// the second round of storage cuts".
const (
	defaultWriterCacheKiB = 16000
	ingestWriterCacheKiB  = 64000
)

// An Option changes how Open sets the store up.
type Option func(*openOptions)

type openOptions struct {
	writerCacheKiB int
	onUpgrade      func(from, to int)
}

// OnUpgrade has Open call announce once, before it upgrades a store that
// already holds a schema older than this calwatch's (from and to are
// schema versions), so the caller can say why the first start of a new
// version takes longer: rebuilding a large store's tables takes seconds.
// A new, empty store is not announced.
func OnUpgrade(announce func(from, to int)) Option {
	return func(o *openOptions) { o.onUpgrade = announce }
}

// ForIngest sizes the writer for a process whose work is taking deliveries
// (calwatch listen): a 64 MB page cache instead of 16 MB, so that on a
// grown store fewer of the pages each delivery changes are read from the
// file. It costs up to 48 MB more resident memory, only once the store is
// large enough to fill it.
func ForIngest() Option {
	return func(o *openOptions) { o.writerCacheKiB = ingestWriterCacheKiB }
}

// tuneWriter applies writerPragmas and the cache size to the writer's
// connection.
func tuneWriter(ctx context.Context, conn *sql.Conn, o openOptions) error {
	pragmas := append(slices.Clip(writerPragmas), fmt.Sprintf("PRAGMA cache_size = -%d", o.writerCacheKiB))
	for _, p := range pragmas {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("storage: cannot set %q: %w", p, err)
		}
	}
	return nil
}

// dsn is the sqlite URI for path. Characters the URI gives meaning to are
// escaped so any file name works.
func dsn(path, params string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + escaped + "?" + params
}

// prepareFile creates the database file 0600 before sqlite opens it (sqlite
// gives the -wal and -shm files the mode of the database file) and tightens
// the mode of files a looser program left behind.
func prepareFile(path string) error {
	if path == "" {
		return errors.New("storage: no database file given; pass --db FILE or set --home")
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("storage: cannot create the database %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("storage: cannot create the database %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("storage: cannot check %s: %w", p, err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("storage: %s is readable by others and cannot be made private: %w", p, err)
			}
		}
	}
	return nil
}

// connectWriter opens the writer's connection, which switches the file to
// WAL. On a file that another process is creating at the same moment that
// switch can fail at once with SQLITE_BUSY: SQLite does not wait on a lock
// it would have to upgrade. Such a failure is retried, with a growing pause,
// for as long as the busy timeout would have waited.
func connectWriter(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	deadline := time.Now().Add(busyTimeout)
	pause := 5 * time.Millisecond
	for {
		conn, err := db.Conn(ctx)
		// By its text: sqlite3.Error exists only in cgo builds, and the
		// other platforms' vet builds without cgo.
		if err == nil || !strings.Contains(err.Error(), "database is locked") || time.Now().After(deadline) {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}
