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
func TestMigration7KeepsAVersion6Store(t *testing.T) {
	path := storeAtVersion6(t)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open migrates a version 6 store: %v", err)
	}
	defer s.Close()
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "fixtures.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, s); got+"\n" != string(golden) {
		t.Errorf("after migration 7 the store reads back differently from testdata/golden/fixtures.json:\n%s", got)
	}
	var stored, uriKept, emailKept, inviteeKept int
	err = s.readDB.QueryRow(`SELECT (SELECT count(*) FROM deliveries),
    (SELECT count(*) FROM recipients WHERE uri_stored IS NOT NULL),
    (SELECT count(*) FROM recipients WHERE email_stored IS NOT NULL),
    (SELECT count(*) FROM activity WHERE invitee_stored IS NOT NULL)`).Scan(&stored, &uriKept, &emailKept, &inviteeKept)
	if err != nil {
		t.Fatal(err)
	}
	_, bodies := ownFixtures(t)
	if stored != len(bodies) {
		t.Errorf("the delivery log holds %d rows after migrating, want all %d", stored, len(bodies))
	}
	// Kept apart only where they differ: the guest's empty URI, hosts'
	// emails (no contact key), emails not lower-case, and no-show rows.
	if uriKept == 0 || emailKept == 0 || inviteeKept == 0 {
		t.Errorf("kept %d URIs, %d emails, %d activity invitees apart, want the ones that differ", uriKept, emailKept, inviteeKept)
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

// TestLeanColumnsReadBackWhatWasWritten: uri, email and invitee_uri are
// stored once where they repeat another column and still read back as
// written where they do not.
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
	var hosts, guests []string
	for _, h := range evs[0].Hosts {
		hosts = append(hosts, h.Email+" "+h.URI)
	}
	for _, g := range evs[0].Guests {
		guests = append(guests, g.Email)
	}
	if got, want := strings.Join(hosts, ", "), ev.EventMemberships[0].UserEmail+" "+ev.EventMemberships[0].User+", nouri@host.example "; got != want {
		t.Errorf("hosts = %q, want %q (a host without a user URI has none)", got, want)
	}
	if got := strings.Join(guests, ", "); got != "Mixed.Case@Example.com, lower@example.com" {
		t.Errorf("guests = %q, want each email as written", got)
	}
	if iv := evs[0].Invitees[0]; iv.URI != inv.URI || iv.Email != "lower.invitee@example.com" {
		t.Errorf("invitee = %s %s, want %s %s", iv.URI, iv.Email, inv.URI, inv.Email)
	}
	var apart int
	if err := s.readDB.QueryRowContext(ctx, `SELECT count(*) FROM recipients WHERE uri_stored IS NOT NULL OR email_stored IS NOT NULL`).Scan(&apart); err != nil {
		t.Fatal(err)
	}
	// Kept apart: the guests' empty URIs, the mixed-case guest email, the
	// hosts' emails (hosts have no contact key) and the URI-less host's
	// empty URI; not the invitee, whose URI is its key and email its contact.
	if apart != 4 {
		t.Errorf("%d recipient rows keep a URI or email apart, want 4 (two guests, two hosts)", apart)
	}
}
