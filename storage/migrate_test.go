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

// TestTwoProcessesOpeningANewDatabaseTogether: a TUI and a listen started
// at once on a new home both migrate; neither fails on the other's tables.
func TestTwoProcessesOpeningANewDatabaseTogether(t *testing.T) {
	for range 5 {
		path := filepath.Join(t.TempDir(), "calwatch.db")
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				s, err := Open(context.Background(), path)
				if err == nil {
					s.Close()
				}
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}
