package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
)

// openRawConn opens the database at path as the writer does, without
// migrating it.
func openRawConn(t *testing.T, path string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	if err := prepareFile(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", dsn(path, writeParams))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func userVersion(t *testing.T, conn *sql.Conn) int {
	t.Helper()
	var v int
	if err := conn.QueryRowContext(context.Background(), "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMigrationAddedLaterRunsOnce: a database made by an older calwatch
// (the embedded migrations) gets a migration added later exactly once,
// keeps its data, and a newer run leaves it alone.
func TestMigrationAddedLaterRunsOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, simpleDelivery(t, "before-upgrade"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	embedded, err := migrations()
	if err != nil || len(embedded) == 0 {
		t.Fatalf("migrations: %d, %v", len(embedded), err)
	}
	// The later migration counts the rows it finds, so running it twice
	// would show (and its CREATE TABLE would fail).
	later := append(embedded[:len(embedded):len(embedded)],
		`CREATE TABLE later (n INTEGER NOT NULL); INSERT INTO later SELECT count(*) FROM deliveries;`)
	conn := openRawConn(t, path)
	for run := range 2 {
		if err := migrateScripts(ctx, conn, later); err != nil {
			t.Fatalf("run %d: %v", run+1, err)
		}
		if v := userVersion(t, conn); v != len(later) {
			t.Fatalf("run %d: user_version = %d, want %d", run+1, v, len(later))
		}
	}
	var rows, n int
	if err := conn.QueryRowContext(ctx, "SELECT count(*), max(n) FROM later").Scan(&rows, &n); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || n != 1 {
		t.Errorf("the later migration ran %d times and saw %d deliveries; want once, seeing the 1 delivery", rows, n)
	}
}

// TestFailedMigrationChangesNothing: a migration that fails is rolled back
// whole, the version stays, and the error says which migration failed.
func TestFailedMigrationChangesNothing(t *testing.T) {
	ctx := context.Background()
	conn := openRawConn(t, filepath.Join(t.TempDir(), "calwatch.db"))
	scripts := []string{
		`CREATE TABLE first (x INTEGER);`,
		`CREATE TABLE second (x INTEGER); INSERT INTO no_such_table VALUES (1);`,
	}
	err := migrateScripts(ctx, conn, scripts)
	if err == nil || !strings.Contains(err.Error(), "migration 2") {
		t.Fatalf("err = %v, want migration 2 to fail", err)
	}
	if v := userVersion(t, conn); v != 1 {
		t.Errorf("user_version = %d, want 1 (the first migration only)", v)
	}
	var tables int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'second'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Error("the failed migration's table was left behind")
	}
}

// TestConcurrentFirstOpensOfAFreshDatabase: many processes' worth of first
// opens of one new file all succeed and leave one schema, migrated once.
func TestConcurrentFirstOpensOfAFreshDatabase(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		path := filepath.Join(t.TempDir(), "calwatch.db")
		const openers = 8
		errs := make(chan error, openers)
		start := make(chan struct{})
		for range openers {
			go func() {
				<-start
				s, err := Open(ctx, path)
				if err == nil {
					err = s.Close()
				}
				errs <- err
			}()
		}
		close(start)
		for range openers {
			if err := <-errs; err != nil {
				t.Fatalf("round %d: a concurrent first open failed: %v", round, err)
			}
		}
		conn := openRawConn(t, path)
		all, _ := migrations()
		if v := userVersion(t, conn); v != len(all) {
			t.Errorf("round %d: user_version = %d, want %d", round, v, len(all))
		}
	}
}

// TestOpenAnnouncesAnUpgradeOfAnOlderStore: Open tells its caller once,
// before it upgrades, that a store with an older schema is being upgraded
// and to which version; a new store and a current one are not announced.
func TestOpenAnnouncesAnUpgradeOfAnOlderStore(t *testing.T) {
	ctx := context.Background()
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var announced [][2]int
	announce := OnUpgrade(func(from, to int) { announced = append(announced, [2]int{from, to}) })
	open := func(path string) {
		t.Helper()
		s, err := Open(ctx, path, announce)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}

	open(filepath.Join(t.TempDir(), "new.db"))
	if len(announced) != 0 {
		t.Errorf("a new store was announced as an upgrade: %v", announced)
	}
	path, conn, version := rawStoreBefore(t, "0019_person_by_invitee.sql")
	conn.Close()
	open(path)
	if want := [][2]int{{version, len(all)}}; len(announced) != 1 || announced[0] != want[0] {
		t.Errorf("upgrading a version %d store announced %v, want %v", version, announced, want)
	}
	open(path)
	if len(announced) != 1 {
		t.Errorf("a current store was announced as an upgrade: %v", announced)
	}
}
