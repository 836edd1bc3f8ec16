package storage

import (
	"context"
	"path/filepath"
	"testing"
)

// sqlContactsRecounted is contacts list as it was before the kept columns
// (migration 0011): each contact's last activity and counts worked out
// from activity, recipients and reschedules, in the same order.
const sqlContactsRecounted = `
SELECT c.email, c.name, c.timezone,
    (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = c.email
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key)),
    (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = c.email
        AND r.status = 'canceled' AND r.rescheduled = 0
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key)),
    (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = c.email AND r.no_show = 1),
    (SELECT max(at) FROM activity a WHERE a.email = c.email AND a.at <> '') AS last
FROM contacts c ORDER BY last IS NULL, last DESC, c.email`

// TestContactsKeptColumnsMatchRecount builds a store from realistic
// deliveries (bookings, cancellations, both halves of reschedules,
// no-shows and their removal, people who come back, recorded concurrently)
// and checks that Contacts, reading the kept columns, lists every contact
// exactly as the old per-row computation did: same order, same counts,
// same last activity.
func TestContactsKeptColumnsMatchRecount(t *testing.T) {
	path := filepath.Join(t.TempDir(), "contacts.db")
	fillRealistic(t, path, 3000)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	rows, err := s.readDB.Query(sqlContactsRecounted)
	if err != nil {
		t.Fatal(err)
	}
	var want []ContactView
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, c)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	var got []ContactView
	for c, err := range s.Contacts(context.Background(), ContactFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	if len(want) < 500 {
		t.Fatalf("the realistic store holds %d contacts; the test needs many", len(want))
	}
	if len(got) != len(want) {
		t.Fatalf("Contacts lists %d contacts, the recount %d", len(got), len(want))
	}
	var canceled, noShows, rebooked int
	for i := range want {
		if !sameContact(got[i], want[i]) {
			t.Fatalf("contact %d: Contacts gives %+v, the recount %+v", i, got[i], want[i])
		}
		canceled += min(want[i].Cancellations, 1)
		noShows += min(want[i].NoShows, 1)
		if want[i].Bookings > 1 {
			rebooked++
		}
	}
	// The comparison means something only if the store has every kind.
	if canceled == 0 || noShows == 0 || rebooked == 0 {
		t.Fatalf("the store lacks a kind: %d with cancellations, %d with no-shows, %d who booked again", canceled, noShows, rebooked)
	}
}

func sameContact(a, b ContactView) bool {
	lastA, lastB := a.LastActivityAt, b.LastActivityAt
	a.LastActivityAt, b.LastActivityAt = nil, nil
	if a != b || (lastA == nil) != (lastB == nil) {
		return false
	}
	return lastA == nil || lastA.Equal(*lastB)
}
