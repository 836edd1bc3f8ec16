package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrReadOnly is returned by writes to a store opened with OpenReadOnly.
var ErrReadOnly = errors.New("storage: the database was opened read-only; nothing can be written through it")

// OlderSchemaError is returned by OpenReadOnly for a database an older
// calwatch wrote: reading it needs an upgrade, which only a writer does.
type OlderSchemaError struct {
	Path          string
	Version, Want int
}

func (e *OlderSchemaError) Error() string {
	return fmt.Sprintf("storage: %s is from an older calwatch (schema %d, this one reads %d); stop any older listener and run this calwatch's listen once to upgrade it",
		e.Path, e.Version, e.Want)
}

// Readers in read-only mode: SQLite opens the file read-only (mode=ro),
// so nothing (no migration, no checkpoint) can change it.
const readOnlyParams = "mode=ro&" + readParams

// OpenReadOnly opens the database at path for reading only: it creates,
// migrates and tightens nothing, works on read-only media, and refuses a
// database of another schema version (an older one is upgraded by this
// calwatch's listen, never under a running older listener by a read).
// Writes through the store return ErrReadOnly.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("storage: no database file given; pass --db FILE or set --home")
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("storage: no database at %s yet (run calwatch listen first, or check --db/--home): %w", path, err)
	} else if err != nil {
		return nil, fmt.Errorf("storage: cannot open %s: %w", path, err)
	}
	db, version, err := openReader(ctx, path, readOnlyParams)
	if err != nil && walAbsent(path) {
		// Read-only media after a clean shutdown: SQLite cannot create the
		// WAL index (-shm) it needs. With no -wal file there is nothing
		// beyond the database file to read, and nobody writing it.
		db, version, err = openReader(ctx, path, "immutable=1&"+readOnlyParams)
	}
	if err != nil {
		return nil, err
	}
	if err := checkReadableVersion(path, version); err != nil {
		db.Close()
		return nil, err
	}
	return &Store{path: path, readDB: db}, nil
}

// openReader opens a read pool with params and reads the schema version,
// which is the first read and so the first thing to fail.
func openReader(ctx context.Context, path, params string) (*sql.DB, int, error) {
	db, err := sql.Open("sqlite3", dsn(path, params))
	if err != nil {
		return nil, 0, fmt.Errorf("storage: cannot open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	version, err := schemaVersion(ctx, db)
	if err != nil {
		db.Close()
		return nil, 0, fmt.Errorf("storage: cannot read %s (is it a calwatch database?): %w", path, err)
	}
	return db, version, nil
}

func walAbsent(path string) bool {
	_, err := os.Stat(path + "-wal")
	return errors.Is(err, fs.ErrNotExist)
}

// checkReadableVersion accepts only the schema this calwatch reads.
func checkReadableVersion(path string, version int) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("storage: reading embedded migrations: %w", err)
	}
	switch {
	case version == 0:
		return fmt.Errorf("storage: %s holds no calwatch data (schema version 0); check --db/--home", path)
	case version < len(all):
		return &OlderSchemaError{Path: path, Version: version, Want: len(all)}
	case version > len(all):
		return fmt.Errorf("storage: %s has schema version %d but this calwatch knows only %d; upgrade calwatch or use another --db", path, version, len(all))
	}
	return nil
}
