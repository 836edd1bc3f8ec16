package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// recordConcurrently records ds from several callers at once, so they share commits.
func recordConcurrently(t *testing.T, s *Store, ds []IncomingDelivery) {
	t.Helper()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < len(ds); i += 8 {
				if _, err := s.RecordDelivery(context.Background(), ds[i]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// bookingsAnHourApart stores n bookings, booking i starting i hours after
// the first, its invitee person<i>@example.com, recorded in reverse order.
func bookingsAnHourApart(t *testing.T, s *Store, n int) {
	t.Helper()
	ds := make([]IncomingDelivery, 0, n)
	for i := n - 1; i >= 0; i-- {
		id := fmt.Sprintf("%04d", i)
		ev := newEvent(id, testT0.Add(time.Duration(i)*time.Hour), 1)
		inv := newInvitee(ev, id, fmt.Sprintf("person%04d@example.com", i), fmt.Sprintf("Person %04d", i), testT0)
		ds = append(ds, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0.Add(time.Duration(i)*time.Millisecond)))
	}
	recordConcurrently(t, s, ds)
}

func TestEventsAndContactsStreamAcrossPages(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	n := streamPage + 40 // more than one page of people to read
	bookingsAnHourApart(t, s, n)
	// A stub: an invitee.created that named an event no delivery described.
	stub := newEvent("stub", testT0, 1)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0,
		newInvitee(stub, "stub", "stub@example.com", "Stub", testT0), &calendly.ScheduledEvent{URI: stub.URI}), testT0))

	var got []EventView
	for ev, err := range s.Events(ctx, EventFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if len(got) != n+1 {
		t.Fatalf("Events gave %d events, want %d", len(got), n+1)
	}
	for i, ev := range got[:n] {
		want := fmt.Sprintf("person%04d@example.com", i)
		if ev.StartTime == nil || !ev.StartTime.Equal(testT0.Add(24*time.Hour+time.Duration(i)*time.Hour)) {
			t.Fatalf("event %d starts at %v, want earliest first", i, ev.StartTime)
		}
		if len(ev.Invitees) != 1 || ev.Invitees[0].Email != want || len(ev.Hosts) != 1 {
			t.Fatalf("event %d (%s) has invitees %+v and %d hosts, want %s and its host", i, ev.URI, ev.Invitees, len(ev.Hosts), want)
		}
	}
	if last := got[n]; last.URI != stub.URI || last.StartTime != nil || len(last.Invitees) != 1 {
		t.Errorf("last event = %+v, want the stub, with its invitee, after every dated event", last)
	}

	limited := mustEvents(t, s, EventFilter{Limit: streamPage + 1})
	if len(limited) != streamPage+1 || limited[streamPage].Invitees[0].Email != fmt.Sprintf("person%04d@example.com", streamPage) {
		t.Errorf("Limit %d gave %d events, want the earliest %d with their people", streamPage+1, len(limited), streamPage+1)
	}
	from := testT0.Add(24*time.Hour + 10*time.Hour)
	ranged := mustEvents(t, s, EventFilter{From: from, To: from.Add(3 * time.Hour)})
	var emails []string
	for _, ev := range ranged {
		emails = append(emails, ev.Invitees[0].Email)
	}
	if want := []string{"person0010@example.com", "person0011@example.com", "person0012@example.com"}; !slices.Equal(emails, want) {
		t.Errorf("From/To gave %q, want %q (no stub: it has no start)", emails, want)
	}

	// Contacts come a page of counts at a time too, in the same order.
	var contactEmails []string
	for c, err := range s.Contacts(ctx, ContactFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Bookings != 1 || c.LastActivityAt == nil {
			t.Fatalf("contact %s = %+v, want one booking and its time", c.Email, c)
		}
		contactEmails = append(contactEmails, c.Email)
	}
	if len(contactEmails) != n+1 || !slices.IsSorted(contactEmails) {
		t.Errorf("Contacts gave %d contacts (sorted by email: %v), want %d, equally recent so by email", len(contactEmails), slices.IsSorted(contactEmails), n+1)
	}

	seen := 0
	for _, err := range s.Events(ctx, EventFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen++; seen == 3 {
			break
		}
	}
	if seen != 3 {
		t.Errorf("breaking out after 3 saw %d", seen)
	}
}

func TestContactsFilterBySearchDatesAndLimit(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	names := []string{"Ana Costa", "anastasia Ivanova", "Bob Stone", "Zoë Ávila"}
	var ds []IncomingDelivery
	for i, name := range names {
		ev := newEvent(fmt.Sprint(i), testT0, 1)
		email := strings.ToLower(strings.Fields(name)[0]) + "@example.com"
		if i == 3 {
			email = "ana.z@example.com" // an email match whose name does not match
		}
		booked := testT0.Add(time.Duration(i) * 24 * time.Hour)
		ds = append(ds, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, booked, newInvitee(ev, fmt.Sprint(i), email, name, booked), ev), booked))
	}
	recordConcurrently(t, s, ds)
	list := func(f ContactFilter) []string {
		var out []string
		for c, err := range s.Contacts(ctx, f) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, c.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    ContactFilter
		want []string
	}{
		{"all, most recently active first", ContactFilter{}, []string{"Zoë Ávila", "Bob Stone", "anastasia Ivanova", "Ana Costa"}},
		{"search by name or email prefix, any case", ContactFilter{Search: " ANA "}, []string{"Zoë Ávila", "anastasia Ivanova", "Ana Costa"}},
		{"active from the second day", ContactFilter{From: testT0.Add(24 * time.Hour)}, []string{"Zoë Ávila", "Bob Stone", "anastasia Ivanova"}},
		{"active before the second day", ContactFilter{To: testT0.Add(24 * time.Hour)}, []string{"Ana Costa"}},
		{"search and limit", ContactFilter{Search: "ana", Limit: 2}, []string{"Zoë Ávila", "anastasia Ivanova"}},
		{"no match", ContactFilter{Search: "nobody"}, nil},
	} {
		if got := list(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestListQueriesUseIndexes shows the plans of the CLI's list queries and
// fails when one scans a table, or sorts a whole table before its first row.
func TestListQueriesUseIndexes(t *testing.T) {
	s := openTestStore(t)
	withConds := func(part string, f EventFilter) (string, []any) {
		conds, args, err := eventConds(f)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Replace(part, "/*conds*/", andConds(conds), 1), append(args, 10)
	}
	type query struct {
		sql  string
		args []any
	}
	queries := map[string]query{}
	add := func(name, sql string, args []any) { queries[name] = query{sql, args} }
	q, a := withConds(sqlEventsStarting, EventFilter{})
	add("events", q, a)
	q, a = withConds(sqlEventsStarting, EventFilter{From: testT0, To: testT0.Add(time.Hour), Status: "active"})
	add("events from to", q, a)
	q, a = withConds(sqlEventsUnstarted, EventFilter{Status: "canceled"})
	add("events unstarted", q, a)
	add("event people", peopleQuery(pagePeople), []any{`[1, 2]`, `[1, 2]`, `[1, 2]`})
	add("one event's people", peopleQuery(oneEventPeople), []any{1, 1, 1})
	add("stale hosts dropped", sqlDropStaleHosts, []any{1, `[2]`})
	add("stale guests dropped", sqlDropStaleGuests, []any{1, `[]`})
	add("event hosts", sqlPutEventHosts, []any{1, `[2]`})
	add("event guests", sqlPutEventGuests, []any{1, `[]`})
	add("host ids", sqlLoadHostIDs, []any{`[]`})
	add("invitee moved", sqlUpdateInvitee, []any{"x", "y", "", "", "", "", "", "", nil, nil, 0, nil, nil, "v", "", nil})
	add("contact renamed", sqlUpdateContact, []any{"a@example.com", "", "", "v"})
	q, a = contactsQuery(ContactFilter{})
	add("contacts", q, a)
	q, a = contactsQuery(ContactFilter{Search: "ana", Limit: 10})
	add("contacts search", q, a)
	q, a = contactsQuery(ContactFilter{From: testT0, To: testT0})
	add("contacts from to", q, a)
	add("contact show", sqlContacts+` WHERE c.email = ?`, []any{"a@example.com"})
	add("contact activity", sqlContactShowActivity, []any{"a@example.com"})
	q, a = deliveriesQuery(DeliveryQuery{From: testT0, Limit: 10})
	add("deliveries from", q, a)
	q, a = deliveriesQuery(DeliveryQuery{Sent: true})
	add("deliveries", q, a)
	add("count deliveries", `SELECT count(*) FROM deliveries`, nil)
	for name, q := range queries {
		rows, err := s.readDB.Query(`EXPLAIN QUERY PLAN `+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		t.Logf("%s:\n  %s", name, strings.Join(plan, "\n  "))
		for _, step := range plan {
			switch {
			// The contact list walks contacts_last in the order it prints
			// (its counts and last activity are kept columns).
			case step == "SCAN c USING INDEX contacts_last" && (name == "contacts" || name == "contacts from to"):
			case name == "deliveries" && step == "SCAN deliveries": // newest first, stops at --limit
			case name == "count deliveries" && step == "SCAN deliveries USING COVERING INDEX deliveries_received":
			case strings.Contains(step, " VIRTUAL TABLE INDEX "): // json_each over the arguments
			case strings.HasPrefix(step, "SCAN (subquery-") && strings.HasSuffix(name, "people"): // the people's rows, sorted by event
			case strings.HasPrefix(step, "SCAN "):
				t.Errorf("%s scans instead of searching an index: %q", name, step)
			// Stubs (no start yet) are few; dated events never sort whole.
			case step == "USE TEMP B-TREE FOR ORDER BY" && (strings.HasPrefix(name, "events") && name != "events unstarted" || name == "contacts" || name == "contacts from to"):
				t.Errorf("%s sorts every row before the first: %q", name, step)
			}
		}
	}
}
