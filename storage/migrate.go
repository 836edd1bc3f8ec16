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

// migrate brings the database on conn to the newest embedded schema,
// calling announce (when not nil) first if a store with an older schema
// is to be upgraded.
func migrate(ctx context.Context, conn *sql.Conn, announce func(from, to int)) error {
	all, err := migrations()
	if err != nil {
		return fmt.Errorf("storage: reading embedded migrations: %w", err)
	}
	if announce != nil {
		version, err := schemaVersion(ctx, conn)
		if err != nil {
			return err
		}
		if version > 0 && version < len(all) {
			announce(version, len(all))
		}
	}
	return migrateScripts(ctx, conn, all)
}

// migrateScripts runs the scripts the database on conn has not run yet, one
// per transaction, tracked by PRAGMA user_version: script i (from 0)
// brings the schema to version i+1. The version is read inside each write
// transaction, so two first opens of one fresh file cannot both run a
// script: the second waits for the first and then sees its version.
//
// Foreign keys are not enforced while scripts run, so a script can rebuild
// a table other tables refer to (SQLite's own recipe: drop the old table,
// rename the new one); each script must leave them all satisfied, which is
// checked before it commits.
func migrateScripts(ctx context.Context, conn *sql.Conn, all []string) (err error) {
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("storage: preparing to migrate: %w", err)
	}
	defer func() {
		if _, onErr := conn.ExecContext(context.Background(), "PRAGMA foreign_keys = ON"); onErr != nil && err == nil {
			err = fmt.Errorf("storage: enforcing foreign keys again after migrating: %w", onErr)
		}
	}()
	for {
		done, err := applyNextMigration(ctx, conn, all)
		if err != nil || done {
			return err
		}
	}
}

// schemaVersion reads PRAGMA user_version.
func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int, error) {
	var version int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("storage: reading the schema version: %w", err)
	}
	return version, nil
}

// applyNextMigration runs, under the write lock, the first script the
// database has not run; done is true when there was none.
func applyNextMigration(ctx context.Context, conn *sql.Conn, all []string) (done bool, err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return false, fmt.Errorf("storage: cannot lock the database to check its schema (is another program holding it?): %w", err)
	}
	defer func() {
		if err != nil || done {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	version, err := schemaVersion(ctx, conn)
	if err != nil {
		return false, err
	}
	if version > len(all) {
		return false, fmt.Errorf("storage: the database has schema version %d but this calwatch knows only %d; upgrade calwatch or use another --db", version, len(all))
	}
	if version == len(all) {
		return true, nil
	}
	next := version + 1
	if _, err := conn.ExecContext(ctx, all[version]); err != nil {
		return false, fmt.Errorf("storage: migration %d failed: %w", next, err)
	}
	if err := checkForeignKeys(ctx, conn); err != nil {
		return false, fmt.Errorf("storage: migration %d failed: %w", next, err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", next)); err != nil {
		return false, fmt.Errorf("storage: recording migration %d: %w", next, err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return false, fmt.Errorf("storage: committing migration %d: %w", next, err)
	}
	return false, nil
}

// checkForeignKeys fails if any row refers to a row that does not exist.
func checkForeignKeys(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("checking foreign keys: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return fmt.Errorf("checking foreign keys: %w", err)
		}
		return fmt.Errorf("a row of %s (rowid %d) refers to a missing row of %s", table, rowid.Int64, parent)
	}
	return rows.Err()
}
