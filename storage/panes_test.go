package storage

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func TestPanesDayCountsAndBookingsBucketByTheViewersZone(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	// testT0 is 09:00 UTC on 1 June; newEvent starts a day later.
	evA := newEvent("a", testT0, 1)
	evLate := newEvent("late", testT0.Add(14*time.Hour+30*time.Minute), 1) // 2 Jun 23:30 UTC = 3 Jun 01:30 Berlin
	janeA := newInvitee(evA, "1", "jane@example.com", "Jane Doe", testT0)
	omar := newInvitee(evLate, "2", "omar@example.com", "Omar Haddad", testT0)
	record(t, s,
		signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, janeA, evA), testT0),
		signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, omar, evLate), testT0.Add(time.Second)),
		signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, testT0.Add(time.Hour),
			cancelInvitee(omar, testT0.Add(time.Hour)), cancelEvent(evLate, testT0.Add(time.Hour), "Omar Haddad")), testT0.Add(2*time.Second)),
	)
	p := s.Panes()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tz database:", err)
	}
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, berlin)
	counts, err := p.DayCounts(ctx, from, from.AddDate(0, 1, 0), berlin)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(counts2(counts))
	if want := "[2026-06-02 1/0 2026-06-03 0/1]"; got != want {
		t.Errorf("Berlin day counts = %s, want %s", got, want)
	}
	counts, _ = p.DayCounts(ctx, from, from.AddDate(0, 1, 0), time.UTC)
	if got, want := fmt.Sprint(counts2(counts)), "[2026-06-02 1/1]"; got != want {
		t.Errorf("UTC day counts = %s, want %s", got, want)
	}

	day3 := time.Date(2026, 6, 3, 0, 0, 0, 0, berlin)
	rows, err := p.Bookings(ctx, day3, day3.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Invitee != "Omar Haddad" || rows[0].Status != "canceled" || rows[0].Reason != "conflict" ||
		rows[0].Invitees != 0 || rows[0].Total != 1 {
		t.Errorf("3 June in Berlin = %+v, want Omar's canceled booking", rows)
	}
}

func counts2(cs []DayCount) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %d/%d", c.Day.Format("2006-01-02"), c.Booked, c.Canceled))
	}
	return out
}

func TestPanesEventShowsTheRescheduleChainBothWays(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	oldCreated, oldCanceled, newCreated, oldInv, newInv := reschedulePair(t)
	record(t, s, signedDelivery(t, oldCreated, testT0), signedDelivery(t, newCreated, testT0.Add(time.Second)),
		signedDelivery(t, oldCanceled, testT0.Add(2*time.Second)))
	p := s.Panes()

	moved, err := p.Event(ctx, eventURI("b"))
	if err != nil {
		t.Fatal(err)
	}
	from := moved.Moves[newInv.URI].From
	if from == nil || from.EventURI != eventURI("a") || !from.Start.Equal(testT0.Add(24*time.Hour).Truncate(time.Microsecond)) {
		t.Errorf("new booking's origin = %+v, want event a at its start", from)
	}
	if len(moved.Hosts) != 1 || moved.Hosts[0].Name != hostName || moved.EventType == "" || moved.Location == nil {
		t.Errorf("event detail = %+v, want host, event type and location", moved)
	}
	old, err := p.Event(ctx, eventURI("a"))
	if err != nil {
		t.Fatal(err)
	}
	if to := old.Moves[oldInv.URI].To; to == nil || to.EventURI != eventURI("b") {
		t.Errorf("old booking's destination = %+v, want event b", to)
	}
	if c, ok := old.Cancellations[oldInv.URI]; !ok || c.Reason == nil || *c.Reason != "conflict" {
		t.Errorf("old invitee's cancellation = %+v, want reason conflict", c)
	}
	if _, err := p.Event(ctx, eventURI("nope")); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown event: %v, want ErrNotFound", err)
	}

	day := testT0.Add(24 * time.Hour).Truncate(24 * time.Hour)
	rows, _ := p.Bookings(ctx, day, day.AddDate(0, 0, 2))
	var flags []string
	for _, r := range rows {
		flags = append(flags, fmt.Sprintf("%s from=%v away=%v", r.EventURI[len(r.EventURI)-1:], r.MovedFrom, r.MovedAway))
	}
	if want := []string{"a from=false away=true", "b from=true away=false"}; !slices.Equal(flags, want) {
		t.Errorf("booking rows = %v, want %v", flags, want)
	}
}

func TestPanesContactsPageBySearchAndCursor(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	names := []string{"Ana Costa", "anastasia Ivanova", "Bob Stone", "Zoë Ávila", "Joana Anastácio"}
	for i, name := range names {
		ev := newEvent(fmt.Sprint(i), testT0, 1)
		email := strings.ToLower(strings.Fields(name)[0]) + "@example.com"
		if i == 3 {
			email = "ana.z@example.com" // an email match whose name does not match
		}
		inv := newInvitee(ev, fmt.Sprint(i), email, name, testT0)
		record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0.Add(time.Duration(i)*time.Second)))
	}
	p := s.Panes()
	var all []string
	q := ContactPage{Sort: ContactsByName, Limit: 2}
	for range 10 {
		page, err := p.Contacts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			all = append(all, c.Name)
		}
		if len(page) < q.Limit {
			break
		}
		q.After = &page[len(page)-1]
	}
	want := []string{"Ana Costa", "anastasia Ivanova", "Bob Stone", "Joana Anastácio", "Zoë Ávila"}
	if !slices.Equal(all, want) {
		t.Errorf("paged contacts = %q, want %q (case-insensitive name order, no repeats)", all, want)
	}

	found, err := p.Contacts(ctx, ContactPage{Sort: ContactsByName, Search: "ANA"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range found {
		got = append(got, c.Name)
	}
	if want := []string{"Ana Costa", "anastasia Ivanova", "Zoë Ávila"}; !slices.Equal(got, want) {
		t.Errorf("search ANA = %q, want %q (name or email prefix, any case)", got, want)
	}
	if n, _ := p.CountContacts(ctx, "ana"); n != 3 {
		t.Errorf("CountContacts(ana) = %d, want 3", n)
	}
	if n, _ := p.CountContacts(ctx, ""); n != 5 {
		t.Errorf("CountContacts() = %d, want 5", n)
	}
	if found[0].Bookings != 1 || found[0].LastActivityAt == nil {
		t.Errorf("contact row = %+v, want its booking count and last activity", found[0])
	}
}

func TestPanesActivityPagesNewestFirst(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	for i := range 5 {
		at := testT0.Add(time.Duration(i) * time.Hour)
		ev := newEvent(fmt.Sprint(i), at, 1)
		inv := newInvitee(ev, fmt.Sprint(i), "Jane@Example.com", "Jane Doe", at)
		record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, at, inv, ev), at))
	}
	p := s.Panes()
	var seen []string
	q := ActivityPage{Email: "jane@example.com", Limit: 2}
	for range 5 {
		page, err := p.ContactActivity(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			seen = append(seen, a.EventName)
		}
		if len(page) < q.Limit {
			break
		}
		last := page[len(page)-1]
		q.AfterAt, q.AfterIdentity = *last.At, last.Identity
	}
	want := []string{"Intro call 4", "Intro call 3", "Intro call 2", "Intro call 1", "Intro call 0"}
	if !slices.Equal(seen, want) {
		t.Errorf("activity pages = %q, want %q", seen, want)
	}
}

func TestPanesFeedReadsWithoutBodiesAndOneWithIt(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("a", testT0, 1)
	jane := newInvitee(ev, "1", "jane@example.com", "Jane Doe", testT0)
	body := inviteeBody(t, calendly.EventInviteeCreated, testT0, jane, ev)
	first := record(t, s, signedDelivery(t, body, testT0))[0]
	junk := []byte(strings.Repeat("junk", RefusedBodyPrefix))
	refused, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: testT0.Add(time.Second), Body: junk, Reason: "signature header is missing"})
	if err != nil {
		t.Fatal(err)
	}
	p := s.Panes()
	rows, err := p.DeliveriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ID != first.ID || rows[0].InviteeName != "Jane Doe" || rows[0].EventName != "Intro call a" ||
		rows[0].BodyBytes != len(body) || rows[0].Body != nil || rows[1].Outcome != OutcomeRefused {
		t.Fatalf("DeliveriesAfter(0) = %+v", rows)
	}
	if after, _ := p.DeliveriesAfter(ctx, rows[1].ID, 10); len(after) != 0 {
		t.Errorf("DeliveriesAfter(last) = %d rows, want none", len(after))
	}
	newest, _ := p.DeliveriesBefore(ctx, 0, 1)
	if len(newest) != 1 || newest[0].ID != rows[1].ID {
		t.Errorf("DeliveriesBefore(0, 1) = %+v, want the refused one", newest)
	}
	one, err := p.Delivery(ctx, first.ID)
	if err != nil || string(one.Body) != string(body) || one.SignatureHeader == "" {
		t.Errorf("Delivery = %+v, %v; want body and signature", one, err)
	}
	if one.BodySize != int64(len(body)) || one.BodyTruncated {
		t.Errorf("Delivery keeps the whole body: size %d, truncated %v; want %d, false", one.BodySize, one.BodyTruncated, len(body))
	}
	prefix, err := p.Delivery(ctx, refused.ID)
	if err != nil || len(prefix.Body) != RefusedBodyPrefix || prefix.BodySize != int64(len(junk)) || !prefix.BodyTruncated {
		t.Errorf("Delivery of a refused body: %d bytes, size %d, truncated %v, %v; want the %d-byte prefix of %d",
			len(prefix.Body), prefix.BodySize, prefix.BodyTruncated, err, RefusedBodyPrefix, len(junk))
	}
	if _, err := p.Delivery(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delivery(999): %v, want ErrNotFound", err)
	}
}

func TestOpenPanesSeesAnotherWritersCommitsReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	if _, err := OpenPanes(ctx, path); err == nil || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("OpenPanes on no file: %v, want a 'no database' error", err)
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := OpenPanes(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	v0, err := p.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ev := newEvent("a", testT0, 1)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(ev, "1", "j@example.com", "J", testT0), ev), testT0))
	v1, err := p.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v0 {
		t.Errorf("data_version stayed %d after another connection committed", v0)
	}
	if rows, _ := p.DeliveriesAfter(ctx, 0, 10); len(rows) != 1 {
		t.Errorf("read-only panes see %d deliveries, want 1", len(rows))
	}
	if _, err := p.db.ExecContext(ctx, `DELETE FROM deliveries`); err == nil {
		t.Error("a write through OpenPanes succeeded; it must be read-only")
	}
}

// TestPanesQueriesUseIndexes shows every pane query's plan and fails when
// one scans a table instead of searching an index.
func TestPanesQueriesUseIndexes(t *testing.T) {
	s := openTestStore(t)
	p := s.Panes()
	t0 := storedTime(testT0)
	lo, hi := prefixRange("ana")
	queries := map[string]struct {
		sql  string
		args []any
	}{
		"day counts":   {`SELECT start_time, status FROM events WHERE start_time >= ? AND start_time < ? ORDER BY start_time`, []any{t0, t0}},
		"bookings":     {sqlBookings, []any{t0, t0, 500}},
		"contacts":     {sqlContacts + ` WHERE true ORDER BY c.name COLLATE NOCASE, c.email LIMIT 50`, nil},
		"search name":  {sqlContacts + ` WHERE ` + contactByName + ` ORDER BY c.name COLLATE NOCASE, c.email LIMIT 50`, []any{lo, hi}},
		"search email": {sqlContacts + ` WHERE ` + contactByEmail + ` ORDER BY c.name COLLATE NOCASE, c.email LIMIT 50`, []any{lo, hi}},
		"next page":    {sqlContacts + ` WHERE c.name >= ?3 COLLATE NOCASE AND (c.name > ?3 COLLATE NOCASE OR c.email > ?4) ORDER BY c.name COLLATE NOCASE, c.email LIMIT 50`, []any{nil, nil, "a", "b"}},
		"activity":     {sqlActivityPageAfter, []any{"x", t0, "y", 50}},
		"feed after":   {sqlFeed + ` WHERE d.id > ? ORDER BY d.id LIMIT 50`, []any{0}},
		"one delivery": {`SELECT body FROM deliveries WHERE id = ?`, []any{1}},
		"digest":       {sqlDigestCounts, []any{t0, t0}},
		"digest rows":  {sqlDigestRows, []any{t0, t0, KindNoShowRemoved, 500}},
	}
	for name, q := range queries {
		rows, err := p.db.Query(`EXPLAIN QUERY PLAN `+q.sql, q.args...)
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
			// Only the first page of all contacts may walk an index from its
			// start: it stops after one page.
			if strings.HasPrefix(step, "SCAN ") && !(name == "contacts" && step == "SCAN c USING INDEX contacts_name") {
				t.Errorf("%s scans instead of searching an index: %q", name, step)
			}
		}
	}
}
