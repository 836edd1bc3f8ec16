package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/calwatch/calwatch/calendly"
)

// history is a consistent story of bookings, as the deliveries Calendly
// would send for it, in the order things happened.
type history struct {
	bodies      [][]byte
	invitees    int // invitees booked, reschedules' new halves included
	reschedules int
	cancels     int // cancels that were not reschedules
}

var people = []struct{ email, name string }{
	{"ann@example.com", "Ann Archer"},
	{"Bob@Example.com", "Bob Baker"},
	{"cy@example.com", "Cy Cole"},
}

// genHistory draws a few events (1:1 and group), their invitees, and what
// happens to each: nothing, a cancel, a reschedule, or no-shows marked and
// removed. Clock steps may be zero, so timestamps tie on purpose.
func genHistory(t *rapid.T) history {
	var h history
	clock := testT0
	tick := func() time.Time {
		clock = clock.Add(time.Duration(rapid.IntRange(0, 90).Draw(t, "tick")) * time.Minute)
		return clock
	}
	// oldShape drops scheduled_event as 2020 payloads do.
	shape := func(ev *calendly.ScheduledEvent) *calendly.ScheduledEvent {
		if rapid.IntRange(0, 4).Draw(t, "old shape") == 0 {
			return nil
		}
		return ev
	}
	emit := func(event string, at time.Time, inv *calendly.Invitee, ev *calendly.ScheduledEvent) {
		h.bodies = append(h.bodies, inviteeBody(t, event, at, inv, shape(ev)))
	}
	person := func() (string, string) {
		p := people[rapid.IntRange(0, len(people)-1).Draw(t, "person")]
		return p.email, p.name
	}
	nextID := 0
	id := func() string { nextID++; return fmt.Sprint(nextID) }

	for range rapid.IntRange(1, 3).Draw(t, "events") {
		group := rapid.Bool().Draw(t, "group")
		var guests []string
		if rapid.IntRange(0, 3).Draw(t, "with guest") == 0 {
			guests = append(guests, people[rapid.IntRange(0, len(people)-1).Draw(t, "guest")].email)
		}
		limit := 1
		if group {
			limit = 4
		}
		ev := newEvent(id(), tick(), limit, guests...)
		count := 1
		if group {
			count = rapid.IntRange(1, 3).Draw(t, "invitees")
		}
		for range count {
			email, name := person()
			at := tick()
			inv := newInvitee(ev, id(), email, name, at)
			h.invitees++
			emit(calendly.EventInviteeCreated, at, inv, ev)
			switch rapid.IntRange(0, 3).Draw(t, "fate") {
			case 1: // canceled
				at := tick()
				if !group {
					ev = cancelEvent(ev, at, name)
				}
				h.cancels++
				emit(calendly.EventInviteeCanceled, at, cancelInvitee(inv, at), ev)
			case 2: // rescheduled into a new 1:1 event
				at := tick()
				moved := newEvent(id(), at, 1)
				next := newInvitee(moved, id(), email, name, at)
				next.OldInvitee = calendly.Ptr(inv.URI)
				old := cancelInvitee(inv, at)
				old.Rescheduled, old.NewInvitee = true, calendly.Ptr(next.URI)
				if !group {
					ev = cancelEvent(ev, at, name)
				}
				h.invitees++
				h.reschedules++
				emit(calendly.EventInviteeCanceled, at, old, ev)
				emit(calendly.EventInviteeCreated, at, next, moved)
			case 3: // no-shows marked and removed
				for i := range rapid.IntRange(1, 3).Draw(t, "no-show changes") {
					at := tick()
					if i%2 == 0 {
						marked := *inv
						marked.NoShow = &calendly.NoShowRef{URI: "https://api.calendly.com/invitee_no_shows/ns-" + id(), CreatedAt: calendly.NewTime(at)}
						emit(calendly.EventInviteeNoShowCreated, at.Add(time.Second), &marked, ev)
					} else {
						emit(calendly.EventInviteeNoShowDeleted, at, inv, ev)
					}
				}
			}
		}
	}
	return h
}

// recordAll queues every delivery in order before waiting for any, so they
// commit in shared batches.
func recordAll(t fataler, s *Store, ds []IncomingDelivery) {
	t.Helper()
	reqs := make([]*writeRequest, len(ds))
	for i := range ds {
		d, err := prepareIncoming(ds[i])
		if err != nil {
			t.Fatalf("prepare: %v", err)
		}
		reqs[i] = &writeRequest{delivery: &d, result: make(chan writeResult, 1)}
		if err := s.w.enqueue(context.Background(), reqs[i]); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
	for i, r := range reqs {
		if res := <-r.result; res.err != nil {
			t.Fatalf("delivery #%d: %v", i, res.err)
		}
	}
}

func openIn(t fataler, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(dir, "calwatch.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// TestOrderIndependence: any permutation of a history's deliveries, with
// exact replays and re-signed retries mixed in, reads back exactly like the
// history applied in order.
func TestOrderIndependence(t *testing.T) {
	root := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		h := genHistory(t)
		dir, err := os.MkdirTemp(root, "case")
		if err != nil {
			t.Fatalf("%v", err)
		}
		defer os.RemoveAll(dir)

		inOrder := make([]IncomingDelivery, len(h.bodies))
		for i, b := range h.bodies {
			inOrder[i] = signedDelivery(t, b, testT0.Add(time.Duration(i)*time.Second))
		}
		shuffled := rapid.Permutation(inOrder).Draw(t, "order")
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(inOrder)-1), 0, 4).Draw(t, "replays") {
			shuffled = append(shuffled, inOrder[i]) // the same signature again
		}
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(inOrder)-1), 0, 4).Draw(t, "retries") {
			shuffled = append(shuffled, signedDelivery(t, h.bodies[i], testT0.Add(time.Hour+time.Duration(i)*time.Second)))
		}
		shuffled = rapid.Permutation(shuffled).Draw(t, "order with repeats")

		want := openIn(t, filepath.Join(dir))
		defer want.Close()
		for _, d := range inOrder {
			record(t, want, d)
		}
		gotDir := filepath.Join(dir, "shuffled")
		if err := os.Mkdir(gotDir, 0o700); err != nil {
			t.Fatalf("%v", err)
		}
		got := openIn(t, gotDir)
		defer got.Close()
		recordAll(t, got, shuffled)

		wantSnap, gotSnap := snapshot(t, want), snapshot(t, got)
		if wantSnap != gotSnap {
			t.Fatalf("state after shuffled deliveries differs\n--- in order:\n%s\n--- shuffled:\n%s", wantSnap, gotSnap)
		}
		checkHistoryInvariants(t, want, h)
	})
}

// checkHistoryInvariants checks the counts a history implies.
func checkHistoryInvariants(t *rapid.T, s *Store, h history) {
	contacts, err := s.ListContacts(context.Background())
	if err != nil {
		t.Fatalf("%v", err)
	}
	bookings, cancellations := 0, 0
	activities := map[string]int{}
	for _, c := range contacts {
		bookings += c.Bookings
		cancellations += c.Cancellations
		for _, a := range mustContact(t, s, c.Email).Activity {
			activities[a.Kind]++
		}
	}
	if want := h.invitees - h.reschedules; bookings != want || activities[KindBooked] != want {
		t.Fatalf("bookings = %d, booked activities = %d, want %d invitees minus %d reschedules", bookings, activities[KindBooked], h.invitees, h.reschedules)
	}
	if activities[KindRescheduled] != h.reschedules {
		t.Fatalf("rescheduled activities = %d, want %d", activities[KindRescheduled], h.reschedules)
	}
	if cancellations != h.cancels || activities[KindCanceled] != h.cancels {
		t.Fatalf("cancellations = %d, canceled activities = %d, want %d", cancellations, activities[KindCanceled], h.cancels)
	}
}
