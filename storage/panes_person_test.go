package storage

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// TestPersonSummary: first seen is the oldest activity, the recent
// bookings are the ones made since the date asked, newest first, and the
// next booking is the earliest one ahead that neither side canceled.
func TestPersonSummary(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	// Bookings made 40, 20 and 10 days and 20 and 12 hours before now;
	// each event starts a day after it was booked (newEvent), so the last
	// two are ahead, and the first of those is canceled.
	now := testT0.Add(60 * 24 * time.Hour)
	var invs []*calendly.Invitee
	var evs []*calendly.ScheduledEvent
	for i, hoursAgo := range []int{960, 480, 240, 20, 12} {
		at := now.Add(-time.Duration(hoursAgo) * time.Hour)
		ev := newEvent(fmt.Sprint(i), at, 1)
		inv := newInvitee(ev, fmt.Sprint(i), "Ana@Costa.example", "Ana Costa", at)
		record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, at, inv, ev), at))
		invs, evs = append(invs, inv), append(evs, ev)
	}
	canceledAt := now.Add(-time.Hour)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, canceledAt, cancelInvitee(invs[3], canceledAt),
		cancelEvent(evs[3], canceledAt, "Ana Costa")), canceledAt))
	other := newEvent("other", now, 1)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, now, newInvitee(other, "other", "bo@example.com", "Bo", now), other), now))

	got, err := s.Panes().PersonSummary(ctx, "ANA@costa.example", now.Add(-21*24*time.Hour), now)
	if err != nil {
		t.Fatal(err)
	}
	if want := now.Add(-40 * 24 * time.Hour); !got.FirstSeen.Equal(want) {
		t.Errorf("first seen %v, want %v (the oldest booking)", got.FirstSeen, want)
	}
	var ago []string
	for _, b := range got.Booked {
		ago = append(ago, fmt.Sprint(now.Sub(b).Hours()))
	}
	if strings.Join(ago, " ") != "12 20 240 480" {
		t.Errorf("booked since 21 days ago: %v hours ago, want 12 20 240 480 (newest first, none older)", ago)
	}
	if got.Next == nil || got.Next.EventURI != evs[4].URI || !got.Next.Start.Equal(evs[4].StartTime.Time) || got.Next.Name != evs[4].Name {
		t.Errorf("next = %+v, want %s at %v (the canceled one is not next)", got.Next, evs[4].URI, evs[4].StartTime.Time)
	}

	none, err := s.Panes().PersonSummary(ctx, "nobody@example.com", now, now)
	if err != nil || !none.FirstSeen.IsZero() || len(none.Booked) != 0 || none.Next != nil {
		t.Errorf("a stranger's summary = %+v, %v; want an empty one", none, err)
	}
	later, err := s.Panes().PersonSummary(ctx, "ana@costa.example", now, now.Add(3*24*time.Hour))
	if err != nil || later.Next != nil || len(later.Booked) != 0 {
		t.Errorf("three days on: %+v, %v; want nothing ahead and nothing booked since", later, err)
	}
}

// TestPersonSummaryReadsOnePerson: the summary's queries search an index
// for the one person; none scans a table.
func TestPersonSummaryReadsOnePerson(t *testing.T) {
	s := openTestStore(t)
	t0 := storedTime(testT0)
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"first seen":   {sqlFirstSeen, []any{"a@example.com"}},
		"booked since": {sqlBookedSince, []any{"a@example.com", t0, 10}},
		"next":         {sqlNextBooking, []any{"a@example.com", t0}},
	} {
		plan := queryPlan(t, s, q.sql, q.args)
		t.Logf("%s:\n  %s", name, strings.Join(plan, "\n  "))
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") {
				t.Errorf("%s scans instead of searching an index: %q", name, step)
			}
		}
	}
}
