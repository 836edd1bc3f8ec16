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

	// steps are the deliveries (bodies, in order) with the snapshots a
	// backfill took between them; final holds a snapshot of every event
	// read after the last change; noShow is each invitee's true no-show
	// state at the end.
	steps  []step
	final  []Snapshot
	noShow map[string]bool
}

// step is one delivery body or one snapshot.
type step struct {
	body []byte
	snap *Snapshot
}

// calendlyState is what Calendly holds while a history unfolds, so that a
// snapshot of it can be taken at any point.
type calendlyState struct {
	events   map[string]*calendly.ScheduledEvent
	order    []string            // event URIs, first seen first
	invitees map[string][]string // event URI → invitee URIs, booked first
	current  map[string]*calendly.Invitee
}

func (c *calendlyState) observe(inv *calendly.Invitee, ev *calendly.ScheduledEvent) {
	if _, ok := c.events[ev.URI]; !ok {
		c.order = append(c.order, ev.URI)
	}
	c.events[ev.URI] = ev
	if _, ok := c.current[inv.URI]; !ok {
		c.invitees[ev.URI] = append(c.invitees[ev.URI], inv.URI)
	}
	c.current[inv.URI] = inv
}

func (c *calendlyState) snapshot(eventURI string, readAt time.Time) Snapshot {
	snap := Snapshot{Event: *c.events[eventURI], ReadAt: readAt}
	for _, uri := range c.invitees[eventURI] {
		snap.Invitees = append(snap.Invitees, *c.current[uri])
	}
	return snap
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
	state := calendlyState{events: map[string]*calendly.ScheduledEvent{}, invitees: map[string][]string{}, current: map[string]*calendly.Invitee{}}
	emit := func(event string, at time.Time, inv *calendly.Invitee, ev *calendly.ScheduledEvent) {
		body := inviteeBody(t, event, at, inv, shape(ev))
		h.bodies = append(h.bodies, body)
		h.steps = append(h.steps, step{body: body})
		state.observe(inv, ev)
		if rapid.IntRange(0, 2).Draw(t, "snapshot now") == 0 {
			uri := state.order[rapid.IntRange(0, len(state.order)-1).Draw(t, "snapshot of")]
			snap := state.snapshot(uri, clock)
			h.steps = append(h.steps, step{snap: &snap})
		}
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
	h.noShow = map[string]bool{}
	for uri, inv := range state.current {
		h.noShow[uri] = inv.NoShow != nil
	}
	readAt := clock.Add(time.Minute)
	for _, uri := range state.order {
		h.final = append(h.final, state.snapshot(uri, readAt))
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
		checkEventIDs(t, got)
		checkHistoryInvariants(t, want, h)
		checkActivityAgrees(t, want, got)
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

// apply applies one step: a delivery signed at signedAt, or a snapshot.
func (st step) apply(t fataler, s *Store, signedAt time.Time) {
	t.Helper()
	if st.snap == nil {
		record(t, s, signedDelivery(t, st.body, signedAt))
		return
	}
	if err := s.ApplySnapshot(context.Background(), *st.snap); err != nil {
		t.Fatalf("ApplySnapshot: %v", err)
	}
}

// TestOrderIndependenceWithSnapshots: deliveries and the snapshots a
// backfill took between them, applied in any order (deliveries repeated),
// read back exactly like the history applied as it happened. And with
// snapshots read after the last change among them, every invitee's no-show
// state is the true one, even when deliveries were lost (calwatch was down
// and Calendly gave up) and whatever marks and removals tied.
func TestOrderIndependenceWithSnapshots(t *testing.T) {
	root := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		h := genHistory(t)
		dir, err := os.MkdirTemp(root, "case")
		if err != nil {
			t.Fatalf("%v", err)
		}
		defer os.RemoveAll(dir)
		open := func(name string) *Store {
			sub := filepath.Join(dir, name)
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatalf("%v", err)
			}
			return openIn(t, sub)
		}

		inOrder := append(append([]step(nil), h.steps...), finalSteps(h)...)
		shuffled := rapid.Permutation(inOrder).Draw(t, "order")
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, len(inOrder)-1), 0, 4).Draw(t, "repeats") {
			shuffled = append(shuffled, inOrder[i])
		}
		shuffled = rapid.Permutation(shuffled).Draw(t, "order with repeats")
		var lossy []step
		for _, st := range rapid.Permutation(inOrder).Draw(t, "lossy order") {
			if st.snap != nil || rapid.IntRange(0, 3).Draw(t, "lost") != 0 {
				lossy = append(lossy, st)
			}
		}

		want, got, lost := open("in-order"), open("shuffled"), open("lossy")
		defer want.Close()
		defer got.Close()
		defer lost.Close()
		for i, st := range inOrder {
			st.apply(t, want, testT0.Add(time.Duration(i)*time.Second))
		}
		for i, st := range shuffled {
			st.apply(t, got, testT0.Add(time.Hour+time.Duration(i)*time.Second))
		}
		for i, st := range lossy {
			st.apply(t, lost, testT0.Add(2*time.Hour+time.Duration(i)*time.Second))
		}

		if wantSnap, gotSnap := snapshot(t, want), snapshot(t, got); wantSnap != gotSnap {
			t.Fatalf("state after shuffled deliveries and snapshots differs\n--- in order:\n%s\n--- shuffled:\n%s", wantSnap, gotSnap)
		}
		checkActivityAgrees(t, want, got)
		checkEventIDs(t, got)
		checkEventIDs(t, lost)
		for name, s := range map[string]*Store{"in order": want, "lossy": lost} {
			for _, ev := range mustEvents(t, s, EventFilter{}) {
				for _, inv := range ev.Invitees {
					if truth, ok := h.noShow[inv.URI]; ok && inv.NoShow != truth {
						t.Fatalf("%s: invitee %s no_show = %v, want %v", name, inv.URI, inv.NoShow, truth)
					}
				}
			}
		}
		checkHistoryInvariants(t, want, h)
	})
}

func finalSteps(h history) []step {
	out := make([]step, len(h.final))
	for i := range h.final {
		out[i] = step{snap: &h.final[i]}
	}
	return out
}
