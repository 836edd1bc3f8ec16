package storage

import (
	"context"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func TestDigestCountsAndListsWhatChangedInTheWindow(t *testing.T) {
	s := openTestStore(t)
	p := s.Panes()
	ctx := context.Background()
	if seen, err := p.LastSeen(ctx); err != nil || !seen.IsZero() {
		t.Fatalf("LastSeen of a new store = %v, %v; want zero (never ran)", seen, err)
	}
	before := newEvent("old", testT0, 1)
	oldInv := newInvitee(before, "1", "old@example.com", "Olga Old", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, oldInv, before), testT0))
	lastRun := testT0.Add(time.Minute)
	if seen, err := p.LastSeen(ctx); err != nil || !seen.Equal(testT0) {
		t.Fatalf("LastSeen = %v, %v; want the last delivery's time %v", seen, err, testT0)
	}

	// While away: two bookings, one canceled again.
	away := testT0.Add(time.Hour)
	ev1, ev2 := newEvent("a", away, 1), newEvent("b", away.Add(time.Minute), 1)
	inv1 := newInvitee(ev1, "1", "ana@example.com", "Ana Costa", away)
	inv2 := newInvitee(ev2, "2", "tom@example.com", "Tom Becker", away.Add(time.Minute))
	canceledAt := away.Add(2 * time.Minute)
	record(t, s,
		signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, away, inv1, ev1), away),
		signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, away, inv2, ev2), away),
		signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, canceledAt, cancelInvitee(inv2, canceledAt), cancelEvent(ev2, canceledAt, "Tom Becker")), canceledAt),
	)
	until := away.Add(time.Hour)
	d, err := p.Digest(ctx, lastRun, until)
	if err != nil {
		t.Fatal(err)
	}
	if d != (Digest{Booked: 2, Canceled: 1}) || d.Total() != 3 {
		t.Errorf("digest = %+v, want 2 booked and 1 canceled (not the booking before the last run)", d)
	}
	rows, err := p.DigestRows(ctx, lastRun, until)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	if rows[0].Kind != KindCanceled || rows[0].Name != "Tom Becker" || rows[0].EventURI != ev2.URI || rows[0].EventName != ev2.Name {
		t.Errorf("newest row = %+v, want Tom's cancellation of %s", rows[0], ev2.Name)
	}
	if last := rows[2]; last.Kind != KindBooked || last.Email != "ana@example.com" {
		t.Errorf("oldest row = %+v, want Ana's booking", last)
	}
	// A window that ends before the changes sees none.
	if d, err := p.Digest(ctx, lastRun, away.Add(-time.Second)); err != nil || d.Total() != 0 {
		t.Errorf("digest before the changes = %+v, %v; want nothing", d, err)
	}
}
