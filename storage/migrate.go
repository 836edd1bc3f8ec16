package storage

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations in order; migration i (from 0)
// brings the schema to user_version i+1.
func migrations() ([]string, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, name := range names {
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, string(b))
	}
	return out, nil
}

// migrate brings the database on conn to the newest embedded schema.
func migrate(ctx context.Context, conn *sql.Conn) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("storage: reading embedded migrations: %w", err)
	}
	return migrateScripts(ctx, conn, all)
}

// migrateScripts runs the scripts the database on conn has not run yet, one
// per transaction, tracked by PRAGMA user_version: script i (from 0)
// brings the schema to version i+1.
func migrateScripts(ctx context.Context, conn *sql.Conn, all []string) error {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("storage: reading the schema version: %w", err)
	}
	if version > len(all) {
		return fmt.Errorf("storage: the database has schema version %d but this calwatch knows only %d; upgrade calwatch or use another --db", version, len(all))
	}
	for i := version; i < len(all); i++ {
		if err := applyMigration(ctx, conn, i+1, all[i]); err != nil {
			return err
		}
	}
	return nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, version int, script string) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("storage: starting migration %d: %w", version, err)
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	// Another process (a TUI and a listen starting together) may have run
	// this migration between our reading the version and our lock.
	var current int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("storage: reading the schema version: %w", err)
	}
	if current >= version {
		_, err := conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, script); err != nil {
		return fmt.Errorf("storage: migration %d failed: %w", version, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		return fmt.Errorf("storage: recording migration %d: %w", version, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("storage: committing migration %d: %w", version, err)
	}
	return nil
}
