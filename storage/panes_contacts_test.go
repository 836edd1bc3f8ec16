package storage

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"os"

	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/calwatch/calwatch/calendly"
)

// sortPerson is one person of the sort fixture: how many bookings and
// no-shows they get and when their last booking was made.
type sortPerson struct {
	email, name      string
	bookings, noShow int
	last             time.Time
}

// sortFixture records, through signed deliveries, people whose counts and
// last activity tie in groups, and returns them.
func sortFixture(t *testing.T, s *Store) []sortPerson {
	t.Helper()
	var people []sortPerson
	for i := range 14 {
		p := sortPerson{
			email: fmt.Sprintf("p%02d@example.com", (i*5)%14), // emails not in creation order
			name:  fmt.Sprintf("Person %02d", i),
			// 3,3,3,2,2,2,1,1,1,0 … : ties in every order
			bookings: max(0, 3-i/3),
			noShow:   (i % 2) * min(1, max(0, 3-i/3)),
			last:     testT0.Add(time.Duration(i/4) * time.Hour), // four people share each last time
		}
		if p.bookings == 0 {
			p.name = "" // a guest only: known by email
		}
		people = append(people, p)
		for b := range p.bookings {
			at := p.last.Add(-time.Duration(p.bookings-1-b) * 24 * time.Hour)
			ev := newEvent(fmt.Sprintf("%d-%d", i, b), at, 1)
			inv := newInvitee(ev, fmt.Sprintf("%d-%d", i, b), p.email, p.name, at)
			record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, at, inv, ev), at))
			if b == 0 && p.noShow > 0 {
				marked := *inv
				// the mark is older than the last booking, so it does not move last
				marked.NoShow = &calendly.NoShowRef{URI: "https://api.calendly.com/invitee_no_shows/ns-" + p.email,
					CreatedAt: calendly.NewTime(at.Add(-time.Minute))}
				record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeNoShowCreated, at, &marked, ev), at))
			}
		}
		if p.bookings == 0 {
			// a guest only: a contact with no activity
			ev := newEvent(fmt.Sprintf("guest-%d", i), testT0, 1, p.email)
			host := newInvitee(ev, fmt.Sprintf("guest-%d", i), "host-guest@example.com", "Zed Host", testT0.Add(-48*time.Hour))
			record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, host, ev), testT0))
		}
	}
	return people
}

// pageAll reads every page of q, limit rows at a time, and returns the
// emails in order; it fails on a page that repeats a row.
func pageAll(t *testing.T, p *Panes, q ContactPage) []string {
	t.Helper()
	var out []string
	for range 100 {
		page, err := p.Contacts(context.Background(), q)
		if err != nil {
			t.Fatalf("Contacts(%+v): %v", q, err)
		}
		for _, c := range page {
			out = append(out, c.Email)
		}
		if len(page) < q.limit() {
			return out
		}
		q.After = &page[len(page)-1]
	}
	t.Fatal("paging did not end")
	return nil
}

// TestContactSortsPageAcrossTies: each order lists every contact once, most
// first and the email breaking ties, whatever the page size (pages end in
// the middle of tied groups), with a search too.
func TestContactSortsPageAcrossTies(t *testing.T) {
	s := openTestStore(t)
	people := sortFixture(t, s)
	hosted := 0 // host-guest booked one event per guest-only person
	for _, x := range people {
		if x.bookings == 0 {
			hosted++
		}
	}
	people = append(people, sortPerson{email: "host-guest@example.com", name: "Zed Host", bookings: hosted,
		last: testT0.Add(-48 * time.Hour)})
	p := s.Panes()
	keys := map[ContactSort]func(sortPerson) int64{
		ContactsByLast: func(x sortPerson) int64 {
			if x.bookings == 0 {
				return -1 // no activity: last
			}
			return x.last.Unix()
		},
		ContactsByBookings: func(x sortPerson) int64 { return int64(x.bookings) },
		ContactsByNoShows:  func(x sortPerson) int64 { return int64(x.noShow) },
	}
	for sort, key := range keys {
		for _, search := range []string{"", "p0", "PERSON 0", "zed"} {
			var want []string
			matching := slices.Clone(people)
			matching = slices.DeleteFunc(matching, func(x sortPerson) bool {
				return search != "" && !strings.HasPrefix(x.email, strings.ToLower(search)) &&
					!strings.HasPrefix(strings.ToLower(x.name), strings.ToLower(search))
			})
			slices.SortFunc(matching, func(a, b sortPerson) int {
				return cmp.Or(cmp.Compare(key(b), key(a)), strings.Compare(a.email, b.email))
			})
			for _, x := range matching {
				want = append(want, x.email)
			}
			for _, limit := range []int{1, 2, 3, 5, 50} {
				got := pageAll(t, p, ContactPage{Sort: sort, Search: search, Limit: limit})
				if !slices.Equal(got, want) {
					t.Errorf("sort %s, search %q, pages of %d:\n got  %q\n want %q", sort, search, limit, got, want)
				}
			}
		}
	}
	// The counts each row carries are the ones the order used.
	rows, err := p.Contacts(context.Background(), ContactPage{Sort: ContactsByBookings, Limit: 1})
	if err != nil || len(rows) != 1 || rows[0].Bookings != hosted || rows[0].LastActivityAt == nil {
		t.Errorf("first row by bookings = %+v, %v; want %d bookings and a last activity", rows, err, hosted)
	}
	if _, err := p.Contacts(context.Background(), ContactPage{Sort: ContactSort(42)}); err == nil {
		t.Error("an unknown order was accepted")
	}
}

// storedCountsDiffer compares every contact's kept counts and last
// activity with their definitions, recounted from the rows they derive
// from; it returns the contacts that differ.
func storedCountsDiffer(t fataler, s *Store) []string {
	t.Helper()
	return countsDifferFromRecount(t, s.readDB)
}

// countsDifferFromRecount is storedCountsDiffer on any connection: the
// recount is 0012's definitions, the oracle the delta triggers of 0014
// are held to.
func countsDifferFromRecount(t fataler, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) []string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), `
SELECT c.email, c.bookings, c.cancels, c.no_shows, c.last_at,
    (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = c.email
        AND NOT EXISTS (SELECT 1 FROM reschedules WHERE new_invitee = r.key)),
    (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = c.email
        AND r.status = 'canceled' AND r.rescheduled = 0
        AND NOT EXISTS (SELECT 1 FROM reschedules WHERE old_invitee = r.key)),
    (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = c.email AND r.no_show = 1),
    coalesce((SELECT max(at) FROM activity a WHERE a.email = c.email AND a.at <> ''), '')
FROM contacts c ORDER BY c.email`)
	if err != nil {
		t.Fatalf("recounting contacts: %v", err)
	}
	defer rows.Close()
	var differ []string
	for rows.Next() {
		var email, last, wantLast string
		var bk, cx, ns, wantBk, wantCx, wantNs int
		if err := rows.Scan(&email, &bk, &cx, &ns, &last, &wantBk, &wantCx, &wantNs, &wantLast); err != nil {
			t.Fatalf("recounting contacts: %v", err)
		}
		if bk != wantBk || cx != wantCx || ns != wantNs || last != wantLast {
			differ = append(differ, fmt.Sprintf("%s kept %d/%d/%d %q, is %d/%d/%d %q", email, bk, cx, ns, last, wantBk, wantCx, wantNs, wantLast))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("recounting contacts: %v", err)
	}
	return differ
}

// TestContactCountsFollowEveryDeliveryOrder: after any history (bookings,
// cancellations, reschedules, no-shows and their removal) delivered in any
// order with repeats and losses, each contact's kept counts and last activity are what
// its rows say.
func TestContactCountsFollowEveryDeliveryOrder(t *testing.T) {
	root := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		h := genHistory(t)
		dir, err := os.MkdirTemp(root, "case")
		if err != nil {
			t.Fatalf("%v", err)
		}
		defer os.RemoveAll(dir)
		var ds []IncomingDelivery
		for i, b := range h.bodies {
			// Some deliveries are lost: half a reschedule, a cancellation
			// without its booking.
			if rapid.IntRange(0, 3).Draw(t, "lost") > 0 {
				ds = append(ds, signedDelivery(t, b, testT0.Add(time.Duration(i)*time.Second)))
			}
		}
		if len(ds) == 0 {
			return
		}
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(ds)-1), 0, 3).Draw(t, "retries") {
			ds = append(ds, signedDelivery(t, h.bodies[i], testT0.Add(time.Hour+time.Duration(i)*time.Second)))
		}
		s := openIn(t, dir)
		defer s.Close()
		recordAll(t, s, rapid.Permutation(ds).Draw(t, "order"))
		if differ := storedCountsDiffer(t, s); len(differ) > 0 {
			t.Fatalf("kept counts differ from the rows:\n%s", strings.Join(differ, "\n"))
		}
	})
}

// TestContactCountsFilledOnUpgrade: a store made before the counts were
// kept gets them on its first open, the same as a store that was always
// new, and keeps them up to date after.
func TestContactCountsFilledOnUpgrade(t *testing.T) {
	old, err := Open(context.Background(), storeAtVersion6(t))
	if err != nil {
		t.Fatalf("Open migrates a version 6 store: %v", err)
	}
	defer old.Close()
	if differ := storedCountsDiffer(t, old); len(differ) > 0 {
		t.Fatalf("after the upgrade, kept counts differ from the rows:\n%s", strings.Join(differ, "\n"))
	}
	fresh := openTestStore(t)
	_, bodies := ownFixtures(t)
	for i, b := range bodies {
		record(t, fresh, signedDelivery(t, b, testT0.Add(time.Duration(i)*time.Second)))
	}
	byBookings := func(s *Store) string {
		var lines []string
		for _, c := range mustPage(t, s.Panes(), ContactPage{Sort: ContactsByBookings, Limit: 200}) {
			lines = append(lines, fmt.Sprintf("%s %d/%d/%d %v", c.Email, c.Bookings, c.Cancellations, c.NoShows, c.LastActivityAt))
		}
		return strings.Join(lines, "\n")
	}
	got, want := byBookings(old), byBookings(fresh)
	if got != want || !strings.Contains(got, " 1/") {
		t.Errorf("upgraded store by bookings:\n%s\nwant (a new store of the same deliveries):\n%s", got, want)
	}

	ev := newEvent("after-upgrade", testT0, 1)
	inv := newInvitee(ev, "after-upgrade", "new.person@example.com", "New Person", testT0.Add(time.Hour))
	record(t, old, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0.Add(time.Hour)))
	record(t, old, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, testT0, cancelInvitee(inv, testT0.Add(2*time.Hour)), ev), testT0.Add(2*time.Hour)))
	if differ := storedCountsDiffer(t, old); len(differ) > 0 {
		t.Errorf("after new deliveries, kept counts differ from the rows:\n%s", strings.Join(differ, "\n"))
	}
	if c := mustContact(t, old, "new.person@example.com"); c.Bookings != 1 || c.Cancellations != 1 {
		t.Errorf("a contact booked and canceled after the upgrade counts %d bookings, %d cancels; want 1 and 1", c.Bookings, c.Cancellations)
	}
}

func mustPage(t *testing.T, p *Panes, q ContactPage) []ContactView {
	t.Helper()
	rows, err := p.Contacts(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestContactSortPlans: a page in last-activity or name order, first or
// next, searched or not, is read from an index: never a scan of contacts,
// and without a search never a sort. In a count order (no index since
// 0018) an unsearched page is one pass over contacts into a bounded sort,
// with no index to keep up; a searched one still reads only the contacts
// that match.
func TestContactSortPlans(t *testing.T) {
	s := openTestStore(t)
	last := testT0
	cursor := &ContactView{Email: "m@example.com", Name: "M", Bookings: 2, NoShows: 1, LastActivityAt: &last}
	for _, sort := range []ContactSort{ContactsByLast, ContactsByBookings, ContactsByNoShows, ContactsByName} {
		counted := sort == ContactsByBookings || sort == ContactsByNoShows
		for _, after := range []*ContactView{nil, cursor} {
			for _, search := range []string{"", "ana"} {
				if sort == ContactsByName && search != "" {
					continue // two queries, TestPanesQueriesUseIndexes shows them
				}
				name := fmt.Sprintf("%s after=%v search=%q", sort, after != nil, search)
				query, args, err := contactsSQL(ContactPage{Sort: sort, Search: search, After: after})
				if err != nil {
					t.Fatal(err)
				}
				plan := queryPlan(t, s, query, args)
				t.Logf("%s:\n  %s", name, strings.Join(plan, "\n  "))
				if counted && search == "" {
					if want := []string{"SCAN c", "USE TEMP B-TREE FOR ORDER BY"}; !slices.Equal(plan, want) {
						t.Errorf("%s: plan %q; want one pass over contacts into a sort, %q", name, plan, want)
					}
					continue
				}
				for _, step := range plan {
					// A first page may walk its order's index from the start:
					// it stops after one page.
					walk := after == nil && search == "" && strings.HasPrefix(step, "SCAN c USING INDEX contacts_")
					if strings.HasPrefix(step, "SCAN ") && !walk {
						t.Errorf("%s scans instead of searching an index: %q", name, step)
					}
					if search == "" && strings.Contains(step, "TEMP B-TREE") {
						t.Errorf("%s sorts instead of reading its index in order: %q", name, step)
					}
				}
			}
		}
	}
	// No index keeps a count order: a booking or a no-show moves none.
	var n int
	if err := s.readDB.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'contacts'
    AND (sql LIKE '%bookings%' OR sql LIKE '%no_shows%' OR sql LIKE '%cancels%')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d indexes on contacts cover a count", n)
	}
}

func queryPlan(t *testing.T, s *Store, query string, args []any) []string {
	t.Helper()
	rows, err := s.readDB.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return plan
}

// TestContactCountsFollowAnEmailChange: when a newer observation of an
// invitee names another email, the booking and the last activity move
// from the old contact to the new one.
func TestContactCountsFollowAnEmailChange(t *testing.T) {
	s := openTestStore(t)
	ev := newEvent("moved-email", testT0, 1)
	inv := newInvitee(ev, "moved-email", "old@example.com", "Sam", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0))
	later := *inv
	later.Email, later.UpdatedAt = "new@example.com", calendly.NewTime(testT0.Add(time.Hour))
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0.Add(time.Hour), &later, ev), testT0.Add(time.Hour)))
	if differ := storedCountsDiffer(t, s); len(differ) > 0 {
		t.Fatalf("kept counts differ from the rows:\n%s", strings.Join(differ, "\n"))
	}
	rows := mustPage(t, s.Panes(), ContactPage{Sort: ContactsByBookings})
	if len(rows) != 2 || rows[0].Email != "new@example.com" || rows[0].Bookings != 1 || rows[1].Bookings != 0 || rows[1].LastActivityAt != nil {
		t.Errorf("by bookings after the email changed: %+v; want new@ with the booking, old@ with none and no activity", rows)
	}
}
