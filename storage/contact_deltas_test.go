package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/calwatch/calwatch/calendly"
)

// The contact counts of 0014 are kept by deltas; these tests hold them to
// 0012's recount (countsDifferFromRecount) after every single write.

const (
	deltaEvent          = "https://api.calendly.com/scheduled_events/DELTA"
	versionBeforeDeltas = 13 // 0013: 0012's recount triggers, the last schema before 0014
)

// cleaner is a *testing.T or a *rapid.T: it fails and cleans up.
type cleaner interface {
	fataler
	Cleanup(func())
}

// openScriptedConn opens a database in a new folder under root on one
// connection, closed and removed when t ends, and runs scripts on it
// (migration i brings it to version i+1).
func openScriptedConn(t cleaner, root string, scripts []string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	dir, err := os.MkdirTemp(root, "case")
	if err != nil {
		t.Fatalf("%v", err)
	}
	path := filepath.Join(dir, "calwatch.db")
	if err := prepareFile(path); err != nil {
		t.Fatalf("%v", err)
	}
	db, err := sql.Open("sqlite3", dsn(path, writeParams))
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { db.Close(); os.RemoveAll(dir) })
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := migrateScripts(ctx, conn, scripts); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO events (uri) VALUES (?) ON CONFLICT DO NOTHING`, deltaEvent); err != nil {
		t.Fatalf("storing the event the invitees name: %v", err)
	}
	return conn
}

// rawWrite draws one write of a row a contact's columns derive from, as
// any writer could make it (the listener, a backfill, a sync, or a hand
// with sqlite3), runs it and returns what it did. The pools are small so
// that keys, emails, links and times collide. An invitee's key is changed
// by hand only once deltas are kept: 0012's triggers never recounted on a
// key change (calwatch never makes one), and 0014 does not recount what an
// older store kept.
func rawWrite(t *rapid.T, conn *sql.Conn, deltas bool) string {
	key := func(label string) string { return fmt.Sprintf("inv-%d", rapid.IntRange(0, 4).Draw(t, label)) }
	email := func(label string) string { return rapid.SampledFrom([]string{"a@x", "b@x", "c@x"}).Draw(t, label) }
	var query string
	var args []any
	switch op := rapid.IntRange(0, 10).Draw(t, "op"); op {
	case 0, 1, 2: // an observation of an invitee, upserted as the writer does
		query = `INSERT INTO recipients (event_uri, role, key, contact_email, status, rescheduled, no_show)
VALUES (?, 'invitee', ?, ?, ?, ?, ?)
ON CONFLICT (key) WHERE role = 'invitee' DO UPDATE SET contact_email = excluded.contact_email,
    status = excluded.status, rescheduled = excluded.rescheduled, no_show = excluded.no_show`
		args = []any{deltaEvent, key("key"), email("email"), rapid.SampledFrom([]string{"active", "canceled"}).Draw(t, "status"),
			rapid.IntRange(0, 1).Draw(t, "rescheduled"), rapid.IntRange(0, 1).Draw(t, "no_show")}
	case 3: // one column changed by hand
		columns := []string{"contact_email", "status", "rescheduled", "no_show"}
		if deltas {
			columns = append(columns, "key")
		}
		switch col := rapid.SampledFrom(columns).Draw(t, "column"); col {
		case "contact_email":
			query, args = `UPDATE recipients SET contact_email = ? WHERE key = ?`, []any{email("email"), key("key")}
		case "status":
			query, args = `UPDATE recipients SET status = ? WHERE key = ?`, []any{rapid.SampledFrom([]string{"active", "canceled"}).Draw(t, "status"), key("key")}
		case "key":
			query, args = `UPDATE OR IGNORE recipients SET key = ? WHERE key = ?`, []any{key("new key"), key("key")}
		default:
			query, args = `UPDATE recipients SET `+col+` = ? WHERE key = ?`, []any{rapid.IntRange(0, 1).Draw(t, col), key("key")}
		}
	case 4:
		query, args = `DELETE FROM recipients WHERE key = ?`, []any{key("key")}
	case 5:
		query, args = `INSERT INTO contacts (email) VALUES (?) ON CONFLICT DO NOTHING`, []any{email("email")}
	case 6, 7: // a link, maybe a repeat, maybe before its invitees
		query, args = `INSERT INTO reschedules (old_invitee, new_invitee) VALUES (?, ?) ON CONFLICT DO NOTHING`, []any{key("old"), key("new")}
	case 8:
		query, args = `DELETE FROM reschedules WHERE old_invitee = ? AND new_invitee = ?`, []any{key("old"), key("new")}
	case 9: // an activity row, upserted as the writer does
		query = `INSERT INTO activity (identity, email, kind, at) VALUES ('booked:' || ?1, ?2, 'booked', ?3)
ON CONFLICT (identity) DO UPDATE SET email = excluded.email, at = excluded.at
WHERE (email, at) IS NOT (excluded.email, excluded.at)`
		if activityKeyedByIDs(t, conn) {
			query = `INSERT INTO activity (invitee_id, kind, mark, identity, email, at) VALUES (?1, 'booked', '', 'booked:' || ?1, ?2, ?3)
ON CONFLICT (invitee_id, kind, mark) DO UPDATE SET email = excluded.email, at = excluded.at
WHERE (email, at) IS NOT (excluded.email, excluded.at)`
		}
		args = []any{rapid.IntRange(0, 3).Draw(t, "identity"), email("email"),
			rapid.SampledFrom([]string{"", "2026-01-01T10:00:00Z", "2026-01-02T10:00:00Z", "2026-01-03T10:00:00Z"}).Draw(t, "at")}
	default:
		query = `DELETE FROM activity WHERE identity = 'booked:' || ?`
		if activityKeyedByIDs(t, conn) {
			query = `DELETE FROM activity WHERE invitee_id = ? AND kind = 'booked' AND mark = ''`
		}
		args = []any{rapid.IntRange(0, 3).Draw(t, "identity")}
	}
	if _, err := conn.ExecContext(context.Background(), query, args...); err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	return fmt.Sprintf("%s %v", strings.Join(strings.Fields(query)[:3], " "), args)
}

// activityKeyedByIDs tells whether the store is past migration 0017,
// which keys activity by (invitee_id, kind, mark).
func activityKeyedByIDs(t fataler, conn *sql.Conn) bool {
	t.Helper()
	var n int
	if err := conn.QueryRowContext(context.Background(),
		`SELECT count(*) FROM pragma_table_info('activity') WHERE name = 'invitee_id'`).Scan(&n); err != nil {
		t.Fatalf("reading activity's columns: %v", err)
	}
	return n == 1
}

// keptCounts reads every contact's kept columns.
func keptCounts(t fataler, conn *sql.Conn) map[string]string {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), `SELECT email, bookings, cancels, no_shows, last_at FROM contacts`)
	if err != nil {
		t.Fatalf("reading the kept counts: %v", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var email, last string
		var bk, cx, ns int
		if err := rows.Scan(&email, &bk, &cx, &ns, &last); err != nil {
			t.Fatalf("reading the kept counts: %v", err)
		}
		out[email] = fmt.Sprintf("%d/%d/%d %q", bk, cx, ns, last)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading the kept counts: %v", err)
	}
	return out
}

// TestContactDeltasMatchARecountAfterEveryWrite: whatever rows any writer
// adds, changes or removes (invitees upserted or edited by hand, email and
// key changes, links before their invitees, repeated and removed links,
// contacts created before or after their rows, activity moved and
// removed), after each write every contact's kept columns are 0012's
// recount. The store starts at version 13 (0012's recount triggers) and
// is upgraded to the newest schema at a drawn step: the upgrade changes no
// kept column.
func TestContactDeltasMatchARecountAfterEveryWrite(t *testing.T) {
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		conn := openScriptedConn(t, root, all[:versionBeforeDeltas])
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		upgradeAt := rapid.IntRange(0, steps).Draw(t, "upgrade at")
		var done []string
		for i := range steps + 1 {
			if i == upgradeAt {
				before := keptCounts(t, conn)
				if err := migrateScripts(context.Background(), conn, all); err != nil {
					t.Fatalf("upgrading after %d writes: %v", i, err)
				}
				if after := keptCounts(t, conn); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Fatalf("the upgrade changed kept counts:\nbefore %v\nafter  %v", before, after)
				}
			}
			if i == steps {
				break
			}
			done = append(done, rawWrite(t, conn, i >= upgradeAt))
			if differ := countsDifferFromRecount(t, conn); len(differ) > 0 {
				t.Fatalf("after (upgraded before write %d):\n  %s\nkept counts differ from the rows:\n%s",
					upgradeAt+1, strings.Join(done, "\n  "), strings.Join(differ, "\n"))
			}
		}
	})
}

// TestContactRecountCatchesAMissingDelta: the oracle is not blind: with the
// no-show delta gone, marking a no-show leaves the kept count behind and
// the recount says so.
func TestContactRecountCatchesAMissingDelta(t *testing.T) {
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn := openScriptedConn(t, t.TempDir(), all)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO recipients (event_uri, role, key, contact_email) VALUES ('` + deltaEvent + `', 'invitee', 'inv-0', 'a@x')`,
		`INSERT INTO contacts (email) VALUES ('a@x')`,
		`DROP TRIGGER recipients_no_shows_moved`,
		`UPDATE recipients SET no_show = 1 WHERE key = 'inv-0'`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if differ := countsDifferFromRecount(t, conn); len(differ) != 1 || !strings.Contains(differ[0], "a@x kept 1/0/0") {
		t.Errorf("without the no-show delta the recount found %q; want a@x's no-show missing", differ)
	}
}

// TestContactDeltasFollowEveryDeliveryStep: a history's deliveries and
// backfill snapshots, in any order with repeats, and observations that
// move an invitee to another email: after every step each contact's kept
// counts and last activity are what its rows say.
func TestContactDeltasFollowEveryDeliveryStep(t *testing.T) {
	root := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		h := genHistory(t)
		dir, err := os.MkdirTemp(root, "case")
		if err != nil {
			t.Fatalf("%v", err)
		}
		defer os.RemoveAll(dir)
		steps := append([]step(nil), h.steps...)
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(h.steps)-1), 0, 3).Draw(t, "repeats") {
			steps = append(steps, h.steps[i])
		}
		// An email change is a newer observation of one invitee.
		for _, snap := range h.final {
			if len(snap.Invitees) == 0 || !rapid.Bool().Draw(t, "email change") {
				continue
			}
			moved := snap
			moved.Invitees = append([]calendly.Invitee(nil), snap.Invitees...)
			inv := &moved.Invitees[rapid.IntRange(0, len(moved.Invitees)-1).Draw(t, "moved invitee")]
			inv.Email = people[rapid.IntRange(0, len(people)-1).Draw(t, "new email")].email
			inv.UpdatedAt = calendly.NewTime(inv.UpdatedAt.Time.Add(72 * time.Hour))
			moved.ReadAt = moved.ReadAt.Add(72 * time.Hour)
			steps = append(steps, step{snap: &moved})
		}
		steps = rapid.Permutation(steps).Draw(t, "order")
		s := openIn(t, dir)
		defer s.Close()
		for i, st := range steps {
			st.apply(t, s, testT0.Add(time.Duration(i)*time.Second))
			if differ := storedCountsDiffer(t, s); len(differ) > 0 {
				t.Fatalf("after step %d of %d, kept counts differ from the rows:\n%s", i+1, len(steps), strings.Join(differ, "\n"))
			}
		}
	})
}

// TestContactDeltasUpgradeAVersion13Store: the fixtures' store, brought to
// version 13 and given rows 0012's triggers counted (a link before its
// invitee, a canceled invitee, a no-show), keeps every kept column through
// the upgrade, and deliveries after it keep them equal to the recount.
func TestContactDeltasUpgradeAVersion13Store(t *testing.T) {
	ctx := context.Background()
	path := storeAtVersion6(t)
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn := openRawConn(t, path)
	if err := migrateScripts(ctx, conn, all[:versionBeforeDeltas]); err != nil {
		t.Fatalf("migrating to version %d: %v", versionBeforeDeltas, err)
	}
	for _, q := range []string{
		`INSERT INTO events (uri) VALUES ('` + deltaEvent + `')`,
		`INSERT INTO reschedules (old_invitee, new_invitee) VALUES ('inv-0', 'inv-1')`,
		`INSERT INTO recipients (event_uri, role, key, contact_email, status) VALUES ('` + deltaEvent + `', 'invitee', 'inv-0', 'v13@x', 'canceled')`,
		`INSERT INTO recipients (event_uri, role, key, contact_email) VALUES ('` + deltaEvent + `', 'invitee', 'inv-1', 'v13@x')`,
		`INSERT INTO recipients (event_uri, role, key, contact_email, status, no_show) VALUES ('` + deltaEvent + `', 'invitee', 'inv-2', 'v13@x', 'canceled', 1)`,
		`INSERT INTO contacts (email) VALUES ('v13@x')`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before := keptCounts(t, conn)
	if got := before["v13@x"]; got != `2/1/1 ""` {
		t.Fatalf("at version %d the hand-made contact keeps %s; want 2 bookings, 1 cancel, 1 no-show", versionBeforeDeltas, got)
	}
	if differ := countsDifferFromRecount(t, conn); len(differ) > 0 {
		t.Fatalf("at version %d kept counts already differ:\n%s", versionBeforeDeltas, strings.Join(differ, "\n"))
	}
	conn.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open upgrades a version %d store: %v", versionBeforeDeltas, err)
	}
	defer s.Close()
	var after map[string]string
	err = s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		after = keptCounts(t, conn)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the upgrade changed kept counts:\nbefore %v\nafter  %v", before, after)
	}

	// The fixtures again (repeats change nothing), then a booking, its
	// cancellation and a no-show for a returning contact.
	_, bodies := ownFixtures(t)
	for i, b := range bodies {
		record(t, s, signedDelivery(t, b, testT0.Add(time.Duration(i)*time.Second)))
	}
	email := firstContactWithBookings(t, s)
	c0 := mustContact(t, s, email)
	ev := newEvent("after-14", testT0, 1)
	inv := newInvitee(ev, "after-14", email, "Returning", testT0.Add(time.Hour))
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0.Add(time.Hour), inv, ev), testT0.Add(time.Hour)))
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, testT0.Add(2*time.Hour), cancelInvitee(inv, testT0.Add(2*time.Hour)), ev), testT0.Add(2*time.Hour)))
	if differ := storedCountsDiffer(t, s); len(differ) > 0 {
		t.Fatalf("after deliveries on the upgraded store, kept counts differ from the rows:\n%s", strings.Join(differ, "\n"))
	}
	if c := mustContact(t, s, email); c.Bookings != c0.Bookings+1 || c.Cancellations != c0.Cancellations+1 {
		t.Errorf("%s after one more booking, canceled: %d bookings, %d cancels; want %d and %d",
			email, c.Bookings, c.Cancellations, c0.Bookings+1, c0.Cancellations+1)
	}
}

func firstContactWithBookings(t *testing.T, s *Store) string {
	t.Helper()
	for _, c := range mustPage(t, s.Panes(), ContactPage{Sort: ContactsByBookings, Limit: 1}) {
		if c.Bookings > 0 {
			return c.Email
		}
	}
	t.Fatal("the fixtures have no contact with a booking")
	return ""
}

// TestContactNameFollowsTheNewestObservation: the name is written apart
// from the upsert (so a returning person's unchanged name leaves
// contacts_name alone), yet a contact still takes the newest observation's
// name in either delivery order, and is found by it.
func TestContactNameFollowsTheNewestObservation(t *testing.T) {
	for _, newestFirst := range []bool{false, true} {
		s := openTestStore(t)
		ev := newEvent(fmt.Sprint("rename-", newestFirst), testT0, 1)
		old := newInvitee(ev, "rename-old", "sam@example.com", "Sam Old", testT0)
		renamed := *old
		renamed.Name, renamed.UpdatedAt = "Sam New", calendly.NewTime(testT0.Add(time.Hour))
		bodies := []*calendly.Invitee{old, &renamed}
		if newestFirst {
			bodies = []*calendly.Invitee{&renamed, old}
		}
		for i, inv := range bodies {
			at := testT0.Add(time.Duration(i) * time.Minute)
			record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, at, inv, ev), at))
		}
		if c := mustContact(t, s, "sam@example.com"); c.Name != "Sam New" {
			t.Errorf("newest first %v: the contact is named %q, want the newest observation's %q", newestFirst, c.Name, "Sam New")
		}
		found := mustPage(t, s.Panes(), ContactPage{Sort: ContactsByName, Search: "sam n"})
		if len(found) != 1 || found[0].Name != "Sam New" {
			t.Errorf("newest first %v: searching by the new name finds %+v", newestFirst, found)
		}
	}
}
