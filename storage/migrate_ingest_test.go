package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// TestEventsMigrationKeepsAVersion8Store: a store at schema version 8 (the
// fixtures) has its events and activity rebuilt as rowid tables in place;
// it reads back as before, the URI still refuses a second row and names
// the events the other tables refer to, and a later booking and its
// cancellation update the event they name and add one history row each.
func TestEventsMigrationKeepsAVersion8Store(t *testing.T) {
	ctx := context.Background()
	path := storeAtVersion6(t)
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn := openRawConn(t, path)
	if err := migrateScripts(ctx, conn, all[:8]); err != nil {
		t.Fatalf("migrating to version 8: %v", err)
	}
	var withoutRowid int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE name = 'events' AND sql LIKE '%WITHOUT ROWID%'`).Scan(&withoutRowid); err != nil || withoutRowid != 1 {
		t.Fatalf("at version 8 events should be WITHOUT ROWID: %d (%v)", withoutRowid, err)
	}
	conn.Close()

	s := openMatchingGolden(t, path, "events")
	for _, table := range []string{"events", "activity"} {
		var schema string
		if err := s.readDB.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = ?`, table).Scan(&schema); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(schema, "WITHOUT ROWID") {
			t.Errorf("%s is still clustered by its random key: %s", table, schema)
		}
	}

	// A booking, then its event canceled: one row, updated.
	ev := newEvent("after-11", testT0, 1)
	inv := newInvitee(ev, "after-11", "after.eleven@example.com", "After Eleven", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0.Add(time.Minute)))
	canceledEv, canceledInv := *ev, *inv
	canceledEv.Status, canceledInv.Status = calendly.StatusCanceled, calendly.StatusCanceled
	canceledEv.UpdatedAt = calendly.Time{Time: testT0.Add(time.Hour)}
	canceledInv.UpdatedAt = canceledEv.UpdatedAt
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, testT0.Add(time.Hour), &canceledInv, &canceledEv), testT0.Add(time.Hour)))
	var rows int
	var status string
	if err := s.readDB.QueryRowContext(ctx, `SELECT count(*), max(status) FROM events WHERE uri = ?`, ev.URI).Scan(&rows, &status); err != nil {
		t.Fatal(err)
	}
	if rows != 1 || status != calendly.StatusCanceled {
		t.Errorf("after booking and canceling: %d rows for the event, status %q; want 1, canceled", rows, status)
	}
	// Its history: booked, then canceled, one row each however often the
	// activity is refreshed.
	if c := mustContact(t, s, "after.eleven@example.com"); len(c.Activity) != 2 {
		t.Errorf("the contact's activity after booking and canceling = %+v, want booked and canceled", c.Activity)
	}

	// The URI is still a key: a second row with it is refused, and an
	// invitee naming no stored event is refused by the foreign key.
	err = s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `INSERT INTO events (uri) VALUES (?)`, ev.URI)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
		t.Errorf("a second row with a stored event's URI: %v, want a UNIQUE constraint error", err)
	}
	err = s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `INSERT INTO recipients (event_uri, role, key) VALUES ('https://nowhere.example/e', 'invitee', 'k')`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("an invitee of no stored event: %v, want a FOREIGN KEY constraint error", err)
	}
}

// TestAMigrationThatBreaksAReferenceIsRolledBack: foreign keys are not
// enforced while a script runs (so it can rebuild a table others refer
// to), but a script that leaves a row pointing nowhere fails whole, says
// which table, and foreign keys are enforced again afterwards.
func TestAMigrationThatBreaksAReferenceIsRolledBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	record(t, s, simpleDelivery(t, "kept"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	embedded, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	breaking := append(embedded[:len(embedded):len(embedded)], `DELETE FROM events;`)
	conn := openRawConn(t, path)
	err = migrateScripts(ctx, conn, breaking)
	if err == nil || !strings.Contains(err.Error(), "refers to a missing row of events") {
		t.Fatalf("a migration deleting referenced events: %v, want it refused for the missing events", err)
	}
	var version, events, enforced int
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM events),
    (SELECT foreign_keys FROM pragma_foreign_keys)`).Scan(&version, &events, &enforced); err != nil {
		t.Fatal(err)
	}
	if version != len(embedded) || events != 1 || enforced != 1 {
		t.Errorf("after the refused migration: version %d, %d events, foreign_keys %d; want %d, 1, 1",
			version, events, enforced, len(embedded))
	}
}
