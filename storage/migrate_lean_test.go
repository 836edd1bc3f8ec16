package storage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// storeAtVersion6 loads testdata/store-v6.sql, a store calwatch made at
// schema version 6 from the fixtures in testdata/deliveries, into a new
// file and returns its path.
func storeAtVersion6(t *testing.T) string {
	t.Helper()
	dump, err := os.ReadFile(filepath.Join("testdata", "store-v6.sql"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "calwatch.db")
	conn := openRawConn(t, path)
	if _, err := conn.ExecContext(context.Background(), string(dump)); err != nil {
		t.Fatalf("loading the version 6 store: %v", err)
	}
	if v := userVersion(t, conn); v != 6 {
		t.Fatalf("the dump is at version %d, want 6", v)
	}
	conn.Close()
	return path
}

// TestMigration7KeepsAVersion6Store: a store made at version 6 is rebuilt
// lean in place and reads back exactly as before (the fixtures' golden
// read-back), its delivery log whole, and it goes on applying deliveries.
// openMatchingGolden opens (and so migrates) the fixtures' store at path,
// closes it when the test ends, and checks it reads back as
// testdata/golden/fixtures.json: the named migration lost nothing.
func openMatchingGolden(t *testing.T, path, migration string) *Store {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open runs the %s migration: %v", migration, err)
	}
	t.Cleanup(func() { s.Close() })
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, s); got+"\n" != string(golden) {
		t.Errorf("after the %s migration the store reads back differently from testdata/golden/fixtures.json:\n%s", migration, got)
	}
	return s
}

func TestMigration7KeepsAVersion6Store(t *testing.T) {
	path := storeAtVersion6(t)
	s := openMatchingGolden(t, path, "lean")
	var stored, hosts, eventHosts, emailKept, inviteeKept int
	err := s.readDB.QueryRow(`SELECT (SELECT count(*) FROM deliveries), (SELECT count(*) FROM hosts),
    (SELECT count(*) FROM event_hosts), (SELECT count(*) FROM recipients WHERE email_stored IS NOT NULL),
    (SELECT count(*) FROM activity WHERE invitee_stored IS NOT NULL)`).Scan(&stored, &hosts, &eventHosts, &emailKept, &inviteeKept)
	if err != nil {
		t.Fatal(err)
	}
	_, bodies := ownFixtures(t)
	if stored != len(bodies) {
		t.Errorf("the delivery log holds %d rows after migrating, want all %d", stored, len(bodies))
	}
	// One host, on the fixtures' three events; Sven's email as he wrote it
	// and the no-show rows' invitees are what differs from what repeats.
	if hosts != 1 || eventHosts != 3 || emailKept != 1 || inviteeKept == 0 {
		t.Errorf("after migrating: %d hosts on %d events, %d invitee emails and %d activity invitees kept apart; want 1 on 3, 1 and some",
			hosts, eventHosts, emailKept, inviteeKept)
	}

	// A delivery seen before is still a duplicate; a new one still applies.
	dup := record(t, s, signedDelivery(t, bodies[0], testT0))
	if dup[0].Outcome != OutcomeApplied && dup[0].Outcome != OutcomeDuplicate {
		t.Errorf("re-recording a fixture: %s", dup[0].Outcome)
	}
	ev := newEvent("after", testT0, 1, "Guest@Example.com")
	inv := newInvitee(ev, "after", "New.Person@Example.com", "New Person", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0.Add(time.Minute)))
	evs := mustEvents(t, s, EventFilter{From: ev.StartTime.Time, To: ev.StartTime.Time.Add(time.Second)})
	if len(evs) != 1 || len(evs[0].Invitees) != 1 || evs[0].Invitees[0].Email != "New.Person@Example.com" ||
		evs[0].Invitees[0].URI != inv.URI || len(evs[0].Guests) != 1 || evs[0].Guests[0].Email != "Guest@Example.com" ||
		len(evs[0].Hosts) != 1 || evs[0].Hosts[0].URI == "" {
		t.Errorf("a booking after the migration reads back as %+v", evs)
	}
	if c := mustContact(t, s, "new.person@example.com"); len(c.Activity) != 1 || c.Activity[0].InviteeURI != inv.URI {
		t.Errorf("its contact's activity = %+v, want the booking of %s", c.Activity, inv.URI)
	}
}

// TestLeanColumnsReadBackWhatWasWritten: hosts are stored once, emails
// only where they differ from their lower-cased key, and every person
// reads back as written.
func TestLeanColumnsReadBackWhatWasWritten(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("lean", testT0, 1, "Mixed.Case@Example.com", "lower@example.com")
	ev.EventMemberships = append(ev.EventMemberships, calendly.EventMembership{UserEmail: "nouri@host.example", UserName: "No URI"})
	inv := newInvitee(ev, "lean", "lower.invitee@example.com", "Lower", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0))
	evs := mustEvents(t, s, EventFilter{})
	if len(evs) != 1 {
		t.Fatalf("events = %+v", evs)
	}
	var hostLines, guests []string
	for _, h := range evs[0].Hosts {
		hostLines = append(hostLines, h.Email+" "+h.URI)
	}
	for _, g := range evs[0].Guests {
		guests = append(guests, g.Email)
	}
	if got, want := strings.Join(hostLines, ", "), ev.EventMemberships[0].UserEmail+" "+ev.EventMemberships[0].User+", nouri@host.example "; got != want {
		t.Errorf("hosts = %q, want %q (a host without a user URI has none)", got, want)
	}
	if got := strings.Join(guests, ", "); got != "Mixed.Case@Example.com, lower@example.com" {
		t.Errorf("guests = %q, want each email as written", got)
	}
	if iv := evs[0].Invitees[0]; iv.URI != inv.URI || iv.Email != "lower.invitee@example.com" {
		t.Errorf("invitee = %s %s, want %s %s", iv.URI, iv.Email, inv.URI, inv.Email)
	}
	var hosts, guestsApart, inviteesApart int
	err := s.readDB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM hosts),
    (SELECT count(*) FROM event_guests WHERE email_stored IS NOT NULL),
    (SELECT count(*) FROM recipients WHERE email_stored IS NOT NULL OR name_version_stored IS NOT NULL)`).Scan(&hosts, &guestsApart, &inviteesApart)
	if err != nil {
		t.Fatal(err)
	}
	if hosts != 2 || guestsApart != 1 || inviteesApart != 0 {
		t.Errorf("%d hosts, %d guest emails and %d invitee fields kept apart; want 2 hosts, only the mixed-case email, none", hosts, guestsApart, inviteesApart)
	}

	// The same hosts on another event are not stored again.
	ev2 := newEvent("lean2", testT0, 1)
	ev2.EventMemberships = ev.EventMemberships
	inv2 := newInvitee(ev2, "lean2", "lower.invitee@example.com", "Lower", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv2, ev2), testT0.Add(time.Second)))
	if err := s.readDB.QueryRowContext(ctx, `SELECT count(*) FROM hosts`).Scan(&hosts); err != nil || hosts != 2 {
		t.Errorf("after a second event with the same hosts: %d hosts (%v), want still 2", hosts, err)
	}
}
