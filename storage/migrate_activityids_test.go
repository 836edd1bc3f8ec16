package storage

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// activityTriggers returns the triggers that read or write activity (on
// it, and contacts_counted), each as its name and its SQL with the spaces
// folded.
func activityTriggers(t *testing.T, q queryer) []string {
	t.Helper()
	out := textRows(t, q, `
SELECT name || ': ' || sql FROM sqlite_schema WHERE type = 'trigger' AND (tbl_name = 'activity' OR sql LIKE '%FROM activity%')
ORDER BY name`)
	for i, text := range out {
		out[i] = strings.Join(strings.Fields(text), " ")
	}
	return out
}

// rawActivityRows lists every activity row as readers see it, at any
// schema version since 0011.
func rawActivityRows(t *testing.T, q queryer) []string {
	t.Helper()
	return textRows(t, q, `SELECT identity, email, kind, at, event_uri, invitee_uri FROM activity ORDER BY identity`)
}

// rawKeptCounts lists every contact's kept columns.
func rawKeptCounts(t *testing.T, q queryer) []string {
	t.Helper()
	return textRows(t, q, `SELECT email || ' ' || bookings || '/' || cancels || '/' || no_shows || ' ' || last_at FROM contacts ORDER BY email`)
}

// TestActivityIDsMigrationKeepsAStore: a store at the version before
// migration 0017 (the fixtures, with every kind of activity, and a
// rescheduled row whose old invitee was never stored) has its activity
// keyed by invitee ids in place: the same rows read back (identities
// included), contacts keep their counts and last activity, the triggers
// that keep those are there as before, every row is keyed by its
// invitee's id (0 and its URI for the one not stored), and later
// deliveries move the kept columns and re-key that row once its invitee
// arrives.
func TestActivityIDsMigrationKeepsAStore(t *testing.T) {
	ctx := context.Background()
	path, conn, before := rawStoreBefore(t, "0017_activity_ids.sql")
	// Lee moved a booking calwatch never saw to one it has not seen
	// either: only the rescheduled row knows of it (Lee has no contact
	// row yet, so the fixtures read back as before).
	gone := newInvitee(newEvent("gone", testT0, 1), "gone", "lee@example.com", "Lee", testT0)
	movedTo := newInvitee(newEvent("moved-to", testT0.Add(time.Hour), 1), "moved-to", "lee@example.com", "Lee", testT0.Add(time.Hour))
	if _, err := conn.ExecContext(ctx, `INSERT INTO activity (identity, email, kind, at, invitee_stored) VALUES (?, ?, 'rescheduled', ?, ?)`,
		KindRescheduled+":"+gone.URI, "lee@example.com", storedTime(testT0.Add(time.Hour)), movedTo.URI); err != nil {
		t.Fatal(err)
	}
	rowsBefore, countsBefore, triggersBefore := rawActivityRows(t, conn), rawKeptCounts(t, conn), activityTriggers(t, conn)
	kinds := map[string]bool{}
	for _, r := range rowsBefore {
		kinds[strings.Split(r, " | ")[2]] = true
	}
	for _, k := range []string{KindBooked, KindCanceled, KindRescheduled, KindNoShow, KindNoShowRemoved} {
		if !kinds[k] {
			t.Fatalf("the store at version %d holds no %s activity: nothing to show", before, k)
		}
	}
	if len(triggersBefore) != 4 {
		t.Fatalf("at version %d the triggers on activity are %q, want 4", before, triggersBefore)
	}
	// The triggers are compared at version 17: 0019 rewrites them.
	at17 := filepath.Join(t.TempDir(), "at-0017.db")
	if _, err := conn.ExecContext(ctx, `VACUUM INTO ?`, at17); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	conn17 := openRawConn(t, at17)
	if err := migrateScripts(ctx, conn17, all[:migrationsBefore(t, "0018_contacts_sort_scan.sql")]); err != nil {
		t.Fatal(err)
	}
	if got := activityTriggers(t, conn17); !slices.Equal(got, triggersBefore) {
		t.Errorf("triggers after migrating:\n%s\nwant as before:\n%s", strings.Join(got, "\n"), strings.Join(triggersBefore, "\n"))
	}
	conn17.Close()

	s := openMatchingGolden(t, path, "activity ids")
	if got := rawActivityRows(t, s.readDB); !slices.Equal(got, rowsBefore) {
		t.Errorf("activity after migrating:\n%s\nwant as before:\n%s", strings.Join(got, "\n"), strings.Join(rowsBefore, "\n"))
	}
	if got := rawKeptCounts(t, s.readDB); !slices.Equal(got, countsBefore) {
		t.Errorf("contacts' kept columns after migrating:\n%s\nwant as before:\n%s", strings.Join(got, "\n"), strings.Join(countsBefore, "\n"))
	}
	checkActivityKeys(t, s.readDB)
	identity := KindRescheduled + ":" + gone.URI
	if got, want := activityKeysOf(t, s, identity), []activityKey{{0, KindRescheduled, gone.URI}}; !slices.Equal(got, want) {
		t.Errorf("the rescheduled row of an invitee never stored is keyed %v, want %v", got, want)
	}

	// Lee's old booking arrives, canceled and moved: the row moves under
	// its id, and Lee's contact counts the cancellation as a reschedule
	// (none) with the last activity the move.
	canceledAt := testT0.Add(time.Hour)
	canceled := cancelInvitee(gone, canceledAt)
	canceled.Rescheduled, canceled.NewInvitee = true, calendly.Ptr(movedTo.URI)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, canceledAt, canceled,
		cancelEvent(newEvent("gone", testT0, 1), canceledAt, "Lee")), canceledAt))
	if got, want := activityKeysOf(t, s, identity), []activityKey{{inviteeID(t, s, gone.URI), KindRescheduled, ""}}; !slices.Equal(got, want) {
		t.Errorf("once stored, the old invitee's rescheduled row is keyed %v, want %v", got, want)
	}
	checkActivityKeys(t, s.readDB)
	lee := mustContact(t, s, "lee@example.com")
	if lee.Bookings != 1 || lee.Cancellations != 0 || lee.LastActivityAt == nil || !lee.LastActivityAt.Equal(canceledAt) {
		t.Errorf("Lee after the move: %d bookings, %d cancellations, last activity %v; want 1, 0, %s",
			lee.Bookings, lee.Cancellations, lee.LastActivityAt, canceledAt)
	}

	// A fixture contact books again later: the last activity follows.
	later := testT0.AddDate(1, 0, 0)
	again := newInvitee(newEvent("again", later, 1), "again", "ola@client.example", "Ola", later)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, later, again, newEvent("again", later, 1)), later))
	if ola := mustContact(t, s, "ola@client.example"); ola.LastActivityAt == nil || !ola.LastActivityAt.Equal(later) {
		t.Errorf("after a later booking Ola's last activity is %v, want %s", ola.LastActivityAt, later)
	}
	checkActivityKeys(t, s.readDB)
}
