package storage

import (
	"context"
	"database/sql"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// migrationsBefore returns how many embedded migrations run before the one
// named name (its schema version minus one), so a test can build a store
// at the version just before it whatever numbers the others take.
func migrationsBefore(t *testing.T, name string) int {
	t.Helper()
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	i := slices.Index(names, "migrations/"+name)
	if i < 0 {
		t.Fatalf("no embedded migration %s among %q", name, names)
	}
	return i
}

// missingNames lists the names of before that after lacks (later
// migrations may add triggers; none may lose one).
func missingNames(before, after []string) []string {
	var out []string
	for _, name := range before {
		if !slices.Contains(after, name) {
			out = append(out, name)
		}
	}
	return out
}

// rawStoreBefore builds the fixtures' store at the schema version just
// before migration name and returns its path, a raw connection to it and
// that version.
func rawStoreBefore(t *testing.T, name string) (path string, conn *sql.Conn, version int) {
	t.Helper()
	path = storeAtVersion6(t)
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	version = migrationsBefore(t, name)
	conn = openRawConn(t, path)
	if err := migrateScripts(context.Background(), conn, all[:version]); err != nil {
		t.Fatalf("migrating to version %d: %v", version, err)
	}
	return path, conn, version
}

// checkEventIDs fails when an invitee row's event_id does not name the
// event its event_uri names (or names none).
func checkEventIDs(t fataler, s *Store) {
	t.Helper()
	var wrong int
	var example sql.NullString
	if err := s.readDB.QueryRow(`
SELECT count(*), min(r.key) FROM recipients r LEFT JOIN events e ON e.id = r.event_id
WHERE r.event_id IS NULL OR e.uri IS NOT r.event_uri`).Scan(&wrong, &example); err != nil {
		t.Fatalf("checking invitees' event ids: %v", err)
	}
	if wrong != 0 {
		t.Fatalf("%d invitee rows name another event by id than by URI (e.g. %s)", wrong, example.String)
	}
}

// TestEventIDsMigrationKeepsAStore: a store at the schema version before
// migration 0016 (the fixtures) has events rebuilt with an id each (its
// old rowid), event_hosts and event_guests keyed by that id and recipients
// given it beside event_uri, in place: it reads back as before, keeps the
// triggers on recipients, still refuses rows that name no event, and a
// later booking and its cancellation update the one event row they name.
func TestEventIDsMigrationKeepsAStore(t *testing.T) {
	ctx := context.Background()
	path, conn, before := rawStoreBefore(t, "0016_event_ids.sql")
	// Rowids need not be dense (an event deleted, a VACUUM): the last
	// event's is moved on, so keeping it differs from numbering anew.
	if _, err := conn.ExecContext(ctx, `UPDATE events SET rowid = rowid + 100 WHERE rowid = (SELECT max(rowid) FROM events)`); err != nil {
		t.Fatal(err)
	}
	type row struct {
		rowid int64
		uri   string
	}
	var rowids []row
	rows, err := conn.QueryContext(ctx, `SELECT rowid, uri FROM events ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.rowid, &r.uri); err != nil {
			t.Fatal(err)
		}
		rowids = append(rowids, r)
	}
	rows.Close()
	var hostRows, guestRows, invitees int
	var triggers []string
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM event_hosts), (SELECT count(*) FROM event_guests),
    (SELECT count(*) FROM recipients)`).Scan(&hostRows, &guestRows, &invitees); err != nil {
		t.Fatal(err)
	}
	if len(rowids) == 0 || hostRows == 0 || guestRows == 0 || invitees == 0 {
		t.Fatalf("the store at version %d holds %d events, %d host rows, %d guest rows, %d invitees: nothing to migrate",
			before, len(rowids), hostRows, guestRows, invitees)
	}
	const triggersOn = `SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'recipients' ORDER BY name`
	triggers = textRows(t, conn, triggersOn)
	conn.Close()

	s := openMatchingGolden(t, path, "event ids")
	for _, r := range rowids {
		var id int64
		if err := s.readDB.QueryRowContext(ctx, `SELECT id FROM events WHERE uri = ?`, r.uri).Scan(&id); err != nil || id != r.rowid {
			t.Errorf("event %s has id %d (%v), want its old rowid %d", r.uri, id, err, r.rowid)
		}
	}
	var newHostRows, newGuestRows int
	if err := s.readDB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM event_hosts), (SELECT count(*) FROM event_guests)`).
		Scan(&newHostRows, &newGuestRows); err != nil {
		t.Fatal(err)
	}
	if newHostRows != hostRows || newGuestRows != guestRows {
		t.Errorf("after migrating: %d host rows and %d guest rows, want the %d and %d there were", newHostRows, newGuestRows, hostRows, guestRows)
	}
	checkEventIDs(t, s)
	if lost := missingNames(triggers, textRows(t, s.readDB, triggersOn)); len(lost) > 0 {
		t.Errorf("triggers on recipients lost after migrating: %q", lost)
	}
	for name, want := range map[string]bool{"recipients_event_invitees": false, "recipients_event_id": true} {
		var n int
		if err := s.readDB.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != want {
			t.Errorf("index %s present = %v, want %v", name, n == 1, want)
		}
	}

	// A booking, then its event canceled: one event row, the same id, and
	// the invitee names it by id.
	ev := newEvent("after-16", testT0, 1, "guest.sixteen@example.com")
	inv := newInvitee(ev, "after-16", "after.sixteen@example.com", "After Sixteen", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0.Add(time.Minute)))
	var bookedID int64
	if err := s.readDB.QueryRowContext(ctx, `SELECT id FROM events WHERE uri = ?`, ev.URI).Scan(&bookedID); err != nil {
		t.Fatal(err)
	}
	if last := rowids[len(rowids)-1].rowid; bookedID <= last {
		t.Errorf("a new event got id %d, want one after the stored ones' (up to %d)", bookedID, last)
	}
	canceledEv := cancelEvent(ev, testT0.Add(time.Hour), "host")
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, testT0.Add(time.Hour),
		cancelInvitee(inv, testT0.Add(time.Hour)), canceledEv), testT0.Add(time.Hour)))
	var events int
	var id int64
	var status string
	if err := s.readDB.QueryRowContext(ctx, `SELECT count(*), max(id), max(status) FROM events WHERE uri = ?`, ev.URI).
		Scan(&events, &id, &status); err != nil {
		t.Fatal(err)
	}
	if events != 1 || id != bookedID || status != calendly.StatusCanceled {
		t.Errorf("after booking and canceling: %d rows for the event, id %d, status %q; want 1, %d, canceled", events, id, status, bookedID)
	}
	evs := mustEvents(t, s, EventFilter{From: ev.StartTime.Time, To: ev.StartTime.Time.Add(time.Second)})
	if len(evs) != 1 || len(evs[0].Invitees) != 1 || evs[0].Invitees[0].Status != calendly.StatusCanceled ||
		len(evs[0].Guests) != 1 || len(evs[0].Hosts) != 1 {
		t.Errorf("the booked and canceled event reads back as %+v, want one canceled invitee, one guest, one host", evs)
	}
	checkEventIDs(t, s)

	// Foreign keys still hold: a host, guest or invitee of no stored event
	// is refused.
	for what, stmt := range map[string]string{
		"a host row":        `INSERT INTO event_hosts (event_id, host_id, position) VALUES (1000000, (SELECT min(id) FROM hosts), 0)`,
		"a guest row":       `INSERT INTO event_guests (event_id, email, position) VALUES (1000000, 'g@example.com', 0)`,
		"an invitee by id":  `INSERT INTO recipients (event_uri, event_id, role, key) VALUES ((SELECT min(uri) FROM events), 1000000, 'invitee', 'k1')`,
		"an invitee by URI": `INSERT INTO recipients (event_uri, role, key) VALUES ('https://nowhere.example/e', 'invitee', 'k2')`,
	} {
		err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
			_, err := conn.ExecContext(ctx, stmt)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("%s of no stored event: %v, want a FOREIGN KEY constraint error", what, err)
		}
	}
}

// TestEventPeopleGoByEventID shows the plans of every query that finds an
// event's hosts, guests or invitees, or an invitee's event, and fails
// unless each goes by the event's id: event_hosts' and event_guests'
// primary keys, recipients_event_id, events' integer primary key.
func TestEventPeopleGoByEventID(t *testing.T) {
	s := openTestStore(t)
	t0 := storedTime(testT0)
	const (
		hostsByID    = "SEARCH eh USING PRIMARY KEY (event_id=?)"
		guestsByID   = "SEARCH g USING PRIMARY KEY (event_id=?)"
		inviteesByID = "USING INDEX recipients_event_id (event_id=?)" // COVERING when it needs no column
		eventByID    = "SEARCH e USING INTEGER PRIMARY KEY (rowid=?)"
	)
	for _, q := range []struct {
		name string
		sql  string
		args []any
		want []string
	}{
		{"a page of events' people", peopleQuery(pagePeople), []any{`[1, 2]`, `[1, 2]`, `[1, 2]`}, []string{hostsByID, guestsByID, inviteesByID}},
		{"one event's people", peopleQuery(oneEventPeople), []any{1, 1, 1}, []string{hostsByID, guestsByID, inviteesByID}},
		{"stale hosts dropped", sqlDropStaleHosts, []any{1, "[2]"}, []string{"SEARCH event_hosts USING PRIMARY KEY (event_id=?)"}},
		{"stale guests dropped", sqlDropStaleGuests, []any{1, `[{"contact":"a@example.com"}]`}, []string{"SEARCH event_guests USING PRIMARY KEY (event_id=?)"}},
		{"bookings", sqlBookings, []any{t0, t0, 500}, []string{inviteesByID}},
		{"sync states", sqlEventSyncStates, []any{`["x"]`}, []string{inviteesByID}},
		{"next booking", sqlNextBooking, []any{"a@example.com", t0}, []string{eventByID}},
		{"moved booking", sqlMovedBooking, []any{"x"}, []string{eventByID}},
	} {
		plan := queryPlan(t, s, q.sql, q.args)
		t.Logf("%s:\n  %s", q.name, strings.Join(plan, "\n  "))
		for _, want := range q.want {
			if !slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, want) }) {
				t.Errorf("%s does not go by the event's id (%q) but:\n  %s", q.name, want, strings.Join(plan, "\n  "))
			}
		}
		for _, step := range plan {
			if strings.Contains(step, "event_uri") || strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "VIRTUAL TABLE") && !strings.HasPrefix(step, "SCAN (subquery-") {
				t.Errorf("%s: %q", q.name, step)
			}
		}
	}
}
