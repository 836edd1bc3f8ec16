package storage

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// sqlActivityKeyMismatches counts the activity rows whose key disagrees
// with what they say (migration 0017): a row is of the invitee its identity
// names (for a no-show, the invitee it is about); invitee_id is that
// invitee's id with an empty mark (a no-show: its identity after "<kind>:"), or
// 0 with that invitee's URI while it is not stored.
const sqlActivityKeyMismatches = `
WITH keyed AS (
    SELECT a.invitee_id, a.mark, a.kind IN ('no_show', 'no_show_removed') AS no_show,
        substr(a.identity, length(a.kind) + 2) AS suffix,
        iif(a.kind IN ('no_show', 'no_show_removed'), a.invitee_uri, substr(a.identity, length(a.kind) + 2)) AS subject
    FROM activity a
)
SELECT count(*), coalesce(min(k.subject), '') FROM keyed k
LEFT JOIN recipients r ON r.role = 'invitee' AND r.key = k.subject
WHERE NOT (k.invitee_id = coalesce(r.id, 0) AND k.mark = iif(k.no_show OR r.id IS NULL, k.suffix, ''))`

// checkActivityKeys fails when some activity row is keyed otherwise than
// by its invitee's id (or 0 and its URI while it is not stored).
func checkActivityKeys(t fataler, db *sql.DB) {
	t.Helper()
	var wrong int
	var example string
	if err := db.QueryRow(sqlActivityKeyMismatches).Scan(&wrong, &example); err != nil {
		t.Fatalf("checking activity keys: %v", err)
	}
	if wrong != 0 {
		t.Fatalf("%d activity rows are keyed otherwise than by their invitee's id (e.g. the row of %s)", wrong, example)
	}
}

// activityKey is the key of one stored activity row.
type activityKey struct {
	inviteeID int64
	kind      string
	mark      string
}

// activityKeysOf returns the keys of the activity rows with identity.
func activityKeysOf(t *testing.T, s *Store, identity string) []activityKey {
	t.Helper()
	rows, err := s.readDB.Query(`SELECT invitee_id, kind, mark FROM activity WHERE identity = ? ORDER BY 1, 2, 3`, identity)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []activityKey
	for rows.Next() {
		var k activityKey
		if err := rows.Scan(&k.inviteeID, &k.kind, &k.mark); err != nil {
			t.Fatal(err)
		}
		out = append(out, k)
	}
	return out
}

func inviteeID(t *testing.T, s *Store, uri string) int64 {
	t.Helper()
	var id int64
	if err := s.readDB.QueryRow(`SELECT id FROM recipients WHERE role = 'invitee' AND key = ?`, uri).Scan(&id); err != nil {
		t.Fatalf("the id of invitee %s: %v", uri, err)
	}
	return id
}

// TestRescheduleSeenFirstFromTheNewInvitee: the new invitee's
// invitee.created names an old invitee calwatch has not stored; its
// rescheduled row is kept under 0 and the old invitee's URI, and when the
// old invitee's invitee.canceled arrives the row moves under its id: one
// row, never two, and the store reads as when the old one came first.
func TestRescheduleSeenFirstFromTheNewInvitee(t *testing.T) {
	s := openTestStore(t)
	_, oldCanceled, newCreated, oldInv, _ := reschedulePair(t)
	at := testT0.Add(time.Hour)
	identity := KindRescheduled + ":" + oldInv.URI

	record(t, s, signedDelivery(t, newCreated, at))
	if got, want := activityKeysOf(t, s, identity), []activityKey{{0, KindRescheduled, oldInv.URI}}; !slices.Equal(got, want) {
		t.Fatalf("before the old invitee is stored its rescheduled row is keyed %v, want %v", got, want)
	}
	checkActivityKeys(t, s.readDB)

	record(t, s, signedDelivery(t, oldCanceled, at))
	oldID := inviteeID(t, s, oldInv.URI)
	if got, want := activityKeysOf(t, s, identity), []activityKey{{oldID, KindRescheduled, ""}}; !slices.Equal(got, want) {
		t.Fatalf("once the old invitee is stored its rescheduled row is keyed %v, want %v", got, want)
	}
	checkActivityKeys(t, s.readDB)
	inOrder := openTestStore(t)
	record(t, inOrder, signedDelivery(t, oldCanceled, at), signedDelivery(t, newCreated, at))
	if got, want := snapshot(t, s), snapshot(t, inOrder); got != want {
		t.Errorf("new invitee first, the store reads\n%s\nwant as with the old one first\n%s", got, want)
	}
	var rescheduled int
	for _, a := range mustContact(t, s, "jane@example.com").Activity {
		if a.Kind == KindRescheduled {
			rescheduled++
		}
	}
	if rescheduled != 1 {
		t.Errorf("Jane's history shows %d rescheduled rows, want 1", rescheduled)
	}
}

// TestNewBookingsActivityAppends: each new booking's row is keyed by an
// id greater than every stored one, so it lands at the end of its index.
func TestNewBookingsActivityAppends(t *testing.T) {
	s := openTestStore(t)
	var last int64
	for i, id := range []string{"append-c", "append-a", "append-b"} {
		ev := newEvent(id, testT0.Add(time.Duration(i)*time.Minute), 1)
		inv := newInvitee(ev, id, id+"@example.com", "Person "+id, testT0)
		record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0))
		keys := activityKeysOf(t, s, KindBooked+":"+inv.URI)
		if len(keys) != 1 || keys[0].inviteeID <= last {
			t.Fatalf("booking %d is keyed %v, want one row after id %d", i, keys, last)
		}
		last = keys[0].inviteeID
	}
}

// TestRefreshActivityWritesOnlyWhatDiffers: refreshing an invitee whose
// rows are what they should be changes nothing; a row that drifted is put
// right, and one that should not exist is removed.
func TestRefreshActivityWritesOnlyWhatDiffers(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("refresh", testT0, 1)
	inv := newInvitee(ev, "refresh", "sam@example.com", "Sam", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0))
	want := snapshot(t, s)

	refresh := func(tamper string) (changes int64) {
		t.Helper()
		err := s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
			if tamper != "" {
				if _, err := conn.ExecContext(ctx, tamper); err != nil {
					return err
				}
			}
			st, err := prepareStatements(ctx, conn)
			if err != nil {
				return err
			}
			defer st.close()
			var before, after int64
			if err := conn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
				return err
			}
			if err := st.refreshActivity(ctx, inv.URI); err != nil {
				return err
			}
			if err := conn.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
				return err
			}
			changes = after - before
			return nil
		})
		if err != nil {
			t.Fatalf("refreshing after %q: %v", tamper, err)
		}
		return changes
	}
	if n := refresh(""); n != 0 {
		t.Errorf("refreshing rows that are right changed %d rows, want none", n)
	}
	for _, tamper := range []string{
		`UPDATE activity SET at = '2000-01-01T00:00:00Z' WHERE kind = 'booked'`,
		`UPDATE activity SET invitee_stored = 'https://elsewhere.example/invitees/x' WHERE kind = 'booked'`,
		`INSERT INTO activity (invitee_id, kind, identity, email, at) SELECT invitee_id, 'canceled', 'canceled:' || substr(identity, 8), email, at FROM activity`,
		`DELETE FROM activity`,
	} {
		if n := refresh(tamper); n == 0 {
			t.Errorf("after %s refreshing changed nothing", tamper)
		}
		if got := snapshot(t, s); got != want {
			t.Errorf("after %s and a refresh the store reads\n%s\nwant\n%s", tamper, got, want)
		}
		if n := refresh(""); n != 0 {
			t.Errorf("after %s a second refresh changed %d rows, want none", tamper, n)
		}
	}
}

// TestActivityStatementsGoByKey: the writer's activity statements seek
// the invitee, its links and its rows by key; none scans a table.
func TestActivityStatementsGoByKey(t *testing.T) {
	s := openTestStore(t)
	for _, q := range []struct {
		name string
		sql  string
		args []any
		want []string
	}{
		{"load an invitee", sqlLoadInvitee, []any{"x"}, []string{
			"USING INDEX recipients_invitee (key=?)",
			"SEARCH b USING INDEX activity_key (invitee_id=? AND kind=? AND mark=?)",
			"SEARCH c USING INDEX activity_key (invitee_id=? AND kind=? AND mark=?)",
			"SEARCH m USING INDEX activity_key (invitee_id=? AND kind=? AND mark=?)",
			"SEARCH u USING COVERING INDEX activity_key (invitee_id=? AND kind=? AND mark=?)",
		}},
		{"remove a row", sqlDeleteActivity, []any{1, KindBooked, ""}, []string{
			"SEARCH activity USING INDEX activity_key (invitee_id=? AND kind=? AND mark=?)",
		}},
		{"write a no-show", sqlUpsertActivity, []any{idOfInvitee, KindNoShow, "m", "no_show:m", "e@x", "", "", "x"}, []string{
			"USING COVERING INDEX recipients_invitee (key=?)",
		}},
	} {
		plan := queryPlan(t, s, q.sql, q.args)
		t.Logf("%s:\n  %s", q.name, strings.Join(plan, "\n  "))
		for _, want := range q.want {
			if !slices.ContainsFunc(plan, func(step string) bool { return strings.Contains(step, want) }) {
				t.Errorf("%s does not go by key (%q) but:\n  %s", q.name, want, strings.Join(plan, "\n  "))
			}
		}
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") && !strings.HasPrefix(step, "SCAN one") && !strings.Contains(step, "CONSTANT ROW") {
				t.Errorf("%s scans: %q", q.name, step)
			}
		}
	}
}

// checkActivityAgrees fails unless want and got hold the same activity
// rows, identities included (the readers' tie-break and cursor), each
// keyed by its invitee's id in its own store.
func checkActivityAgrees(t fataler, want, got *Store) {
	t.Helper()
	checkActivityKeys(t, want.readDB)
	checkActivityKeys(t, got.readDB)
	if w, g := activityRows(t, want), activityRows(t, got); !slices.Equal(w, g) {
		t.Fatalf("activity rows differ\n--- in order:\n%s\n--- shuffled:\n%s", strings.Join(w, "\n"), strings.Join(g, "\n"))
	}
}

// activityRows lists every activity row as the readers see it.
func activityRows(t fataler, s *Store) []string {
	t.Helper()
	rows, err := s.readDB.Query(`SELECT identity, email, kind, at, event_uri, invitee_uri FROM activity ORDER BY identity`)
	if err != nil {
		t.Fatalf("reading activity: %v", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r [6]string
		if err := rows.Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]); err != nil {
			t.Fatalf("reading activity: %v", err)
		}
		out = append(out, strings.Join(r[:], " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading activity: %v", err)
	}
	return out
}
