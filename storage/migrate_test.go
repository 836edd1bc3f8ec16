package storage

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestMigrationFromVersion1KeepsData: a database written by schema 1 opens,
// migrates, and reads back the same bookings (keeping the newest of an
// invitee that schema 1 let appear under two events).
func TestMigrationFromVersion1KeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	if err := prepareFile(path); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", dsn(path, writeParams))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := migrations()
	if err != nil || len(all) < 2 {
		t.Fatalf("migrations: %d, %v", len(all), err)
	}
	if err := applyMigration(ctx, conn, 1, all[0]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO events (uri, name, start_time, status, version) VALUES ('E', 'Old call', '2026-01-01T10:00:00.000000Z', 'active', '0|b')`,
		`INSERT INTO events (uri) VALUES ('E2')`,
		`INSERT INTO recipients (event_uri, role, key, uri, email, contact_email, name, status, created_at, version)
		 VALUES ('E2', 'invitee', 'I', 'I', 'ann@x.example', 'ann@x.example', 'Ann', 'active', '2025-12-01T09:00:00.000000Z', '0|a')`,
		`INSERT INTO recipients (event_uri, role, key, uri, email, contact_email, name, status, created_at, version)
		 VALUES ('E', 'invitee', 'I', 'I', 'Ann@X.example', 'ann@x.example', 'Ann Archer', 'active', '2025-12-01T09:00:00.000000Z', '0|b')`,
		`INSERT INTO recipients (event_uri, role, key, uri, email, name) VALUES ('E', 'host', 'U', 'U', 'host@x.example', 'Host')`,
		`INSERT INTO contacts (email, name) VALUES ('ann@x.example', 'Ann Archer')`,
		`INSERT INTO activity (identity, email, kind, at, event_uri, invitee_uri)
		 VALUES ('booked:I', 'ann@x.example', 'booked', '2025-12-01T09:00:00.000000Z', 'E', 'I')`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close()
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs := mustEvents(t, s, EventFilter{})
	if len(evs) != 2 || evs[0].URI != "E" || len(evs[0].Invitees) != 1 || len(evs[0].Hosts) != 1 || len(evs[1].Invitees) != 0 {
		t.Fatalf("events after migration = %+v", evs)
	}
	if inv := evs[0].Invitees[0]; inv.Name != "Ann Archer" || inv.Email != "Ann@X.example" {
		t.Errorf("kept invitee %+v, want the newer row", inv)
	}
	c := mustContact(t, s, "ann@x.example")
	if c.Bookings != 1 || len(c.Activity) != 1 || c.Activity[0].Kind != KindBooked {
		t.Errorf("contact after migration = %+v %v", c.ContactView, kinds(c.Activity))
	}
	record(t, s, simpleDelivery(t, "after-migration")) // the apply path works on the migrated schema
}
