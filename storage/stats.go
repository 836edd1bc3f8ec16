package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// Stats is how much a store holds and how much room it takes, so a user
// can watch it grow.
type Stats struct {
	Path          string `json:"path"`
	Events        int64  `json:"events"`
	Contacts      int64  `json:"contacts"`
	Deliveries    int64  `json:"deliveries"`
	DatabaseBytes int64  `json:"database_bytes"` // the database file
	WALBytes      int64  `json:"wal_bytes"`      // its write-ahead log, not yet copied back
	// FreeBytes is the part of the database file that holds nothing (left
	// by pruning or by an upgrade that rebuilt tables): SQLite fills it
	// before it grows the file, and VACUUM gives it back.
	FreeBytes int64 `json:"free_bytes"`
}

// Stats counts the store's events, contacts and logged deliveries (in one
// read transaction) and measures its files on disk.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Path: s.path}
	err := s.readDB.QueryRowContext(ctx, `
SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM contacts), (SELECT count(*) FROM deliveries),
    (SELECT freelist_count FROM pragma_freelist_count) * (SELECT page_size FROM pragma_page_size)`).
		Scan(&st.Events, &st.Contacts, &st.Deliveries, &st.FreeBytes)
	if err != nil {
		return st, fmt.Errorf("storage: counting what %s holds: %w", s.path, err)
	}
	if st.DatabaseBytes, err = fileSize(s.path); err != nil {
		return st, err
	}
	if st.WALBytes, err = fileSize(s.path + "-wal"); err != nil {
		return st, err
	}
	return st, nil
}

// fileSize is a file's size, 0 when it does not exist.
func fileSize(path string) (int64, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("storage: measuring %s: %w", path, err)
	}
	return info.Size(), nil
}
