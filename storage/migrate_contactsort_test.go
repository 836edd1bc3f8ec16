package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// pageRawContacts reads every page of q on conn through contactsSQL, limit
// rows at a time, as "email bookings/no-shows last" lines.
func pageRawContacts(t *testing.T, conn *sql.Conn, q ContactPage) []string {
	t.Helper()
	var out []string
	for range 200 {
		query, args, err := contactsSQL(q)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := conn.QueryContext(context.Background(), query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var page []ContactView
		for rows.Next() {
			c, err := scanContact(rows)
			if err != nil {
				t.Fatal(err)
			}
			page = append(page, c)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			out = append(out, contactLine(c))
		}
		if len(page) < q.limit() {
			return out
		}
		q.After = &page[len(page)-1]
	}
	t.Fatal("paging did not end")
	return nil
}

func contactLine(c ContactView) string {
	last := "-"
	if c.LastActivityAt != nil {
		last = c.LastActivityAt.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("%s %d/%d %s", c.Email, c.Bookings, c.NoShows, last)
}

// TestContactsSortScanMigrationKeepsTheOrders: a store from before 0018
// (the fixtures and 40 more people whose counts tie in groups) loses the
// two count indexes and nothing else: every order lists the same rows in
// the same order, page by page at any size, the counts and their
// triggers stay, and a booking and a no-show after the upgrade still move
// a person in both orders.
func TestContactsSortScanMigrationKeepsTheOrders(t *testing.T) {
	ctx := context.Background()
	path, conn, _ := rawStoreBefore(t, "0018_contacts_sort_scan.sql")
	var fixtures int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM contacts`).Scan(&fixtures); err != nil || fixtures == 0 {
		t.Fatalf("the fixtures hold %d contacts (%v)", fixtures, err)
	}
	// People with no rows of their own: the insert trigger counts nothing,
	// so the counts stay as written. Emails are not in insertion order.
	for i := range 40 {
		last := ""
		if i%5 != 0 {
			last = storedTime(testT0.Add(time.Duration(i%4) * time.Hour))
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO contacts (email, name, bookings, cancels, no_shows, last_at) VALUES (?, ?, ?, ?, ?, ?)`,
			fmt.Sprintf("h%02d@example.com", (i*7)%40), fmt.Sprintf("Held %02d", i), i%4, i%2, i%3, last); err != nil {
			t.Fatal(err)
		}
	}
	orders := []ContactSort{ContactsByLast, ContactsByBookings, ContactsByNoShows, ContactsByName}
	limits := []int{1, 3, 7, 200}
	// A search in name order merges two queries (not contactsSQL's) and
	// reads no count index: it is left out.
	searches := func(sort ContactSort) []string {
		if sort == ContactsByName {
			return []string{""}
		}
		return []string{"", "h1", "HELD 0"}
	}
	before := map[string][]string{}
	for _, sort := range orders {
		for _, search := range searches(sort) {
			key := fmt.Sprintf("%s search=%q", sort, search)
			before[key] = pageRawContacts(t, conn, ContactPage{Sort: sort, Search: search, Limit: 200})
			if len(before[key]) == 0 {
				t.Fatalf("%s: no contacts before the upgrade", key)
			}
		}
	}
	if n := len(before[fmt.Sprintf("%s search=%q", ContactsByBookings, "")]); n != fixtures+40 {
		t.Fatalf("%d contacts listed before the upgrade; want the fixtures' %d and the 40 added", n, fixtures)
	}
	const triggers = `SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name`
	triggersBefore := textRows(t, conn, triggers)
	conn.Close()

	s := openAt(t, path)
	defer s.Close()
	if n := countRows(t, s, `SELECT count(*) FROM sqlite_schema WHERE name IN ('contacts_bookings', 'contacts_no_shows')`); n != 0 {
		t.Errorf("%d of the two count indexes are left after 0018", n)
	}
	if n := countRows(t, s, `SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('contacts_last', 'contacts_name')`); n != 2 {
		t.Errorf("%d of contacts_last and contacts_name are left after 0018; want both", n)
	}
	if lost := missingNames(triggersBefore, textRows(t, s.readDB, triggers)); len(lost) > 0 {
		t.Errorf("triggers lost after 0018: %q", lost)
	}
	p := s.Panes()
	for _, sort := range orders {
		for _, search := range searches(sort) {
			key := fmt.Sprintf("%s search=%q", sort, search)
			for _, limit := range limits {
				q := ContactPage{Sort: sort, Search: search, Limit: limit}
				var got []string
				for range 200 {
					page := mustPage(t, p, q)
					for _, c := range page {
						got = append(got, contactLine(c))
					}
					if len(page) < q.limit() {
						break
					}
					q.After = &page[len(page)-1]
				}
				if !slices.Equal(got, before[key]) {
					t.Errorf("%s in pages of %d after 0018:\n got  %q\n want %q", key, limit, got, before[key])
				}
			}
		}
	}

	// A new person booked twice, one booking marked no-show: at the top of
	// both count orders (the most held before is 3 bookings, 2 no-shows),
	// counted by the triggers kept.
	var at time.Time
	for b := range 4 {
		at = testT0.Add(time.Duration(b+1) * 24 * time.Hour)
		ev := newEvent(fmt.Sprintf("after-0018-%d", b), at, 1)
		inv := newInvitee(ev, fmt.Sprintf("after-0018-%d", b), "top@example.com", "Top Person", at)
		record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, at, inv, ev), at))
		if b < 3 {
			marked := *inv
			marked.NoShow = &calendly.NoShowRef{URI: fmt.Sprintf("https://api.calendly.com/invitee_no_shows/after-0018-%d", b),
				CreatedAt: calendly.NewTime(at.Add(time.Minute))}
			record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeNoShowCreated, at, &marked, ev), at.Add(time.Minute)))
		}
	}
	for _, sort := range []ContactSort{ContactsByBookings, ContactsByNoShows} {
		rows := mustPage(t, p, ContactPage{Sort: sort, Limit: 2})
		if len(rows) == 0 || rows[0].Email != "top@example.com" || rows[0].Bookings != 4 || rows[0].NoShows != 3 {
			t.Errorf("first by %s after four bookings and three no-shows: %+v; want top@example.com with 4/3", sort, rows)
		}
		if len(rows) > 1 && strings.HasPrefix(rows[1].Email, "top@") {
			t.Errorf("by %s, top@example.com is listed twice", sort)
		}
	}
}
