package storage

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// reschedulePair is Jane moving her 1:1 booking from event a to event b:
// the old invitee's invitee.canceled (rescheduled, new_invitee) and the new
// invitee's invitee.created (old_invitee).
func reschedulePair(t *testing.T) (oldCreated, oldCanceled, newCreated []byte, oldInv, newInv *calendly.Invitee) {
	evA := newEvent("a", testT0, 1)
	oldInv = newInvitee(evA, "old", "jane@example.com", "Jane Doe", testT0)
	at := testT0.Add(time.Hour)
	evB := newEvent("b", at, 1)
	newInv = newInvitee(evB, "new", "jane@example.com", "Jane Doe", at)
	newInv.OldInvitee = calendly.Ptr(oldInv.URI)
	canceled := cancelInvitee(oldInv, at)
	canceled.Rescheduled = true
	canceled.NewInvitee = calendly.Ptr(newInv.URI)
	oldCreated = inviteeBody(t, calendly.EventInviteeCreated, testT0, oldInv, evA)
	oldCanceled = inviteeBody(t, calendly.EventInviteeCanceled, at, canceled, cancelEvent(evA, at, "Jane Doe"))
	newCreated = inviteeBody(t, calendly.EventInviteeCreated, at, newInv, evB)
	return oldCreated, oldCanceled, newCreated, oldInv, newInv
}

func TestLifecycleRules(t *testing.T) {
	evA := newEvent("a", testT0, 1)
	jane := newInvitee(evA, "1", "Jane@Example.com", "Jane Doe", testT0)
	canceledAt := testT0.Add(2 * time.Hour)
	janeCanceled := cancelInvitee(jane, canceledAt)
	created := func(t *testing.T) []byte { return inviteeBody(t, calendly.EventInviteeCreated, testT0, jane, evA) }
	canceled := func(t *testing.T) []byte {
		return inviteeBody(t, calendly.EventInviteeCanceled, canceledAt, janeCanceled, cancelEvent(evA, canceledAt, "Jane Doe"))
	}

	tests := []struct {
		name   string
		bodies func(t *testing.T) [][]byte
		check  func(t *testing.T, s *Store)
	}{{
		name:   "a booking shows the event, its host, the invitee and a booked contact",
		bodies: func(t *testing.T) [][]byte { return [][]byte{created(t)} },
		check: func(t *testing.T, s *Store) {
			evs := mustEvents(t, s, EventFilter{})
			if len(evs) != 1 || evs[0].Status != "active" || len(evs[0].Invitees) != 1 || len(evs[0].Hosts) != 1 {
				t.Fatalf("events = %+v", evs)
			}
			if evs[0].Hosts[0].Email != hostEmail || evs[0].Invitees[0].Status != "active" || evs[0].StartTime == nil {
				t.Errorf("event = %+v", evs[0])
			}
			c := mustContact(t, s, "JANE@example.COM")
			if c.Email != "jane@example.com" || c.Bookings != 1 || c.Cancellations != 0 || c.Name != "Jane Doe" {
				t.Errorf("contact = %+v", c.ContactView)
			}
			if got := kinds(c.Activity); !slices.Equal(got, []string{"booked " + jane.URI}) {
				t.Errorf("activity = %v", got)
			}
			if _, err := s.Contact(context.Background(), hostEmail); !errors.Is(err, ErrNotFound) {
				t.Errorf("a host must not be a contact, Contact(host) err = %v", err)
			}
		},
	}, {
		name:   "a cancel that arrives before its booking still ends canceled",
		bodies: func(t *testing.T) [][]byte { return [][]byte{canceled(t), created(t)} },
		check: func(t *testing.T, s *Store) {
			evs := mustEvents(t, s, EventFilter{})
			if evs[0].Status != "canceled" || evs[0].Cancellation == nil || evs[0].Invitees[0].Status != "canceled" {
				t.Fatalf("event = %+v", evs[0])
			}
			c := mustContact(t, s, "jane@example.com")
			if c.Bookings != 1 || c.Cancellations != 1 {
				t.Errorf("contact = %+v", c.ContactView)
			}
			want := []string{"canceled " + jane.URI, "booked " + jane.URI}
			if got := kinds(c.Activity); !slices.Equal(got, want) {
				t.Errorf("activity = %v, want %v", got, want)
			}
			if at := c.Activity[0].At; at == nil || !at.Equal(canceledAt.Truncate(time.Microsecond)) {
				t.Errorf("canceled at %v, want the cancellation's own time %v", c.Activity[0].At, canceledAt)
			}
		},
	}, {
		name:   "canceling one invitee of a group event leaves the event active",
		bodies: groupEventBodies,
		check: func(t *testing.T, s *Store) {
			evs := mustEvents(t, s, EventFilter{})
			if len(evs) != 1 || evs[0].Status != "active" || len(evs[0].Invitees) != 2 {
				t.Fatalf("events = %+v", evs)
			}
			statuses := []string{evs[0].Invitees[0].Status, evs[0].Invitees[1].Status}
			if !slices.Equal(statuses, []string{"active", "canceled"}) {
				t.Errorf("invitee statuses = %v", statuses)
			}
			if got := mustContact(t, s, "bob@example.com"); got.Cancellations != 1 {
				t.Errorf("bob = %+v", got.ContactView)
			}
		},
	}, {
		name: "a 2020 payload without scheduled_event stores a stub that a later delivery fills",
		bodies: func(t *testing.T) [][]byte {
			return [][]byte{inviteeBody(t, calendly.EventInviteeCreated, testT0, jane, nil)}
		},
		check: func(t *testing.T, s *Store) {
			evs := mustEvents(t, s, EventFilter{})
			if len(evs) != 1 || evs[0].URI != evA.URI || evs[0].StartTime != nil || evs[0].Name != "" || len(evs[0].Invitees) != 1 {
				t.Fatalf("stub event = %+v", evs)
			}
			record(t, s, signedDelivery(t, created(t), testT0))
			evs = mustEvents(t, s, EventFilter{})
			if evs[0].Name != evA.Name || evs[0].StartTime == nil || len(evs[0].Hosts) != 1 {
				t.Errorf("filled event = %+v", evs[0])
			}
		},
	}, {
		name: "a later delivery with a null name keeps the known name",
		bodies: func(t *testing.T) [][]byte {
			nameless := *janeCanceled
			nameless.Name = ""
			return [][]byte{inviteeBody(t, calendly.EventInviteeCanceled, canceledAt, &nameless, nil), created(t)}
		},
		check: func(t *testing.T, s *Store) {
			evs := mustEvents(t, s, EventFilter{})
			if inv := evs[0].Invitees[0]; inv.Name != "Jane Doe" || inv.Status != "canceled" {
				t.Errorf("invitee = %+v", inv)
			}
			if c := mustContact(t, s, "jane@example.com"); c.Name != "Jane Doe" {
				t.Errorf("contact name = %q", c.Name)
			}
		},
	}, {
		name: "no-show marked then removed, delivered removal first",
		bodies: func(t *testing.T) [][]byte {
			marked := *jane
			marked.NoShow = &calendly.NoShowRef{URI: "https://api.calendly.com/invitee_no_shows/ns-1", CreatedAt: calendly.NewTime(testT0.Add(25 * time.Hour))}
			removedAt := testT0.Add(26 * time.Hour)
			return [][]byte{
				inviteeBody(t, calendly.EventInviteeNoShowDeleted, removedAt, jane, evA),
				inviteeBody(t, calendly.EventInviteeNoShowCreated, testT0.Add(25*time.Hour+time.Second), &marked, evA),
				created(t),
			}
		},
		check: func(t *testing.T, s *Store) {
			evs := mustEvents(t, s, EventFilter{})
			if evs[0].Invitees[0].NoShow {
				t.Errorf("no_show = true, want false: the removal is newer")
			}
			c := mustContact(t, s, "jane@example.com")
			want := []string{"no_show_removed " + jane.URI, "no_show " + jane.URI, "booked " + jane.URI}
			if got := kinds(c.Activity); !slices.Equal(got, want) || c.NoShows != 0 {
				t.Errorf("activity = %v (no_shows %d), want %v", got, c.NoShows, want)
			}
		},
	}, {
		name: "no-show marked stays marked and counts",
		bodies: func(t *testing.T) [][]byte {
			marked := *jane
			marked.NoShow = &calendly.NoShowRef{URI: "https://api.calendly.com/invitee_no_shows/ns-1", CreatedAt: calendly.NewTime(testT0.Add(25 * time.Hour))}
			return [][]byte{created(t), inviteeBody(t, calendly.EventInviteeNoShowCreated, testT0.Add(25*time.Hour+time.Second), &marked, evA)}
		},
		check: func(t *testing.T, s *Store) {
			if !mustEvents(t, s, EventFilter{})[0].Invitees[0].NoShow {
				t.Errorf("no_show = false")
			}
			if c := mustContact(t, s, "jane@example.com"); c.NoShows != 1 || c.Activity[0].Kind != KindNoShow {
				t.Errorf("contact = %+v %v", c.ContactView, kinds(c.Activity))
			}
		},
	}, {
		name: "guests are contacts, hosts are not",
		bodies: func(t *testing.T) [][]byte {
			withGuest := newEvent("g", testT0, 1, "Guest@Example.com")
			inv := newInvitee(withGuest, "g1", "jane@example.com", "Jane Doe", testT0)
			return [][]byte{inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, withGuest)}
		},
		check: func(t *testing.T, s *Store) {
			evs := mustEvents(t, s, EventFilter{})
			if len(evs[0].Guests) != 1 || evs[0].Guests[0].Email != "Guest@Example.com" {
				t.Errorf("guests = %+v", evs[0].Guests)
			}
			contacts, err := s.ListContacts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var emails []string
			for _, c := range contacts {
				emails = append(emails, c.Email)
			}
			if !slices.Equal(emails, []string{"jane@example.com", "guest@example.com"}) {
				t.Errorf("contacts = %v, want jane (active) then the guest (no activity)", emails)
			}
		},
	}, {
		name: "routing forms, event types and unknown events are logged and change no booking",
		bodies: func(t *testing.T) [][]byte {
			return [][]byte{
				webhookBody(t, calendly.EventRoutingFormSubmission, testT0, map[string]any{"uri": "https://api.calendly.com/routing_form_submissions/r1", "questions_and_answers": []any{}}),
				webhookBody(t, calendly.EventEventTypeCreated, testT0, map[string]any{"uri": "https://api.calendly.com/event_types/et-9", "name": "New"}),
				webhookBody(t, "meeting.teleported", testT0, map[string]any{"uri": "x"}),
			}
		},
		check: func(t *testing.T, s *Store) {
			if evs := mustEvents(t, s, EventFilter{}); len(evs) != 0 {
				t.Errorf("events = %+v, want none", evs)
			}
			log, err := s.ListDeliveries(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(log) != 3 {
				t.Fatalf("log has %d rows, want 3", len(log))
			}
			for _, r := range log {
				if r.Outcome != OutcomeApplied || !strings.Contains(r.Reason, "no booking") {
					t.Errorf("log row %+v", r)
				}
			}
			if log[0].Event != "meeting.teleported" {
				t.Errorf("newest first: got %s", log[0].Event)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestStore(t)
			for i, body := range tt.bodies(t) {
				record(t, s, signedDelivery(t, body, testT0.Add(time.Duration(i)*time.Second)))
			}
			tt.check(t, s)
		})
	}
}

// groupEventBodies: Ann and Bob book the same group event; Bob cancels.
func groupEventBodies(t *testing.T) [][]byte {
	ev := newEvent("grp", testT0, 5)
	ann := newInvitee(ev, "ann", "ann@example.com", "Ann", testT0)
	bob := newInvitee(ev, "bob", "bob@example.com", "Bob", testT0.Add(time.Minute))
	later := *ev
	later.UpdatedAt = calendly.NewTime(testT0.Add(time.Minute))
	at := testT0.Add(time.Hour)
	return [][]byte{
		inviteeBody(t, calendly.EventInviteeCreated, testT0, ann, ev),
		inviteeBody(t, calendly.EventInviteeCanceled, at, cancelInvitee(bob, at), &later),
		inviteeBody(t, calendly.EventInviteeCreated, testT0.Add(time.Minute), bob, &later),
	}
}

func TestRescheduleIsOneActivityInEitherOrder(t *testing.T) {
	oldCreated, oldCanceled, newCreated, oldInv, newInv := reschedulePair(t)
	orders := map[string][][]byte{
		"old canceled first": {oldCreated, oldCanceled, newCreated},
		"new created first":  {newCreated, oldCanceled, oldCreated},
		"new only, then old": {newCreated, oldCreated, oldCanceled},
		"twice":              {oldCanceled, newCreated, oldCreated, newCreated, oldCanceled},
	}
	var first string
	for name, bodies := range orders {
		t.Run(name, func(t *testing.T) {
			s := openTestStore(t)
			for i, b := range bodies {
				record(t, s, signedDelivery(t, b, testT0.Add(time.Duration(i)*time.Second)))
			}
			evs := mustEvents(t, s, EventFilter{})
			if len(evs) != 2 {
				t.Fatalf("events = %d, want 2", len(evs))
			}
			oldView, newView := evs[0].Invitees[0], evs[1].Invitees[0]
			if oldView.RescheduledTo == nil || *oldView.RescheduledTo != newInv.URI || oldView.RescheduledFrom != nil {
				t.Errorf("old invitee links = from %v to %v", oldView.RescheduledFrom, oldView.RescheduledTo)
			}
			if newView.RescheduledFrom == nil || *newView.RescheduledFrom != oldInv.URI || newView.RescheduledTo != nil {
				t.Errorf("new invitee links = from %v to %v", newView.RescheduledFrom, newView.RescheduledTo)
			}
			if evs[0].Status != "canceled" || evs[1].Status != "active" {
				t.Errorf("statuses = %s, %s", evs[0].Status, evs[1].Status)
			}
			c := mustContact(t, s, "jane@example.com")
			want := []string{"rescheduled " + newInv.URI, "booked " + oldInv.URI}
			if got := kinds(c.Activity); !slices.Equal(got, want) {
				t.Errorf("activity = %v, want %v", got, want)
			}
			if c.Bookings != 1 || c.Cancellations != 0 {
				t.Errorf("bookings %d cancellations %d, want 1 and 0", c.Bookings, c.Cancellations)
			}
			snap := snapshot(t, s)
			if first == "" {
				first = snap
			} else if snap != first {
				t.Errorf("state differs from another order:\n%s\nvs\n%s", snap, first)
			}
		})
	}
}

// TestSameTimestampTieBreakIsDeterministic: two observations with the same
// updated_at but different content settle on the same winner in either order.
func TestSameTimestampTieBreakIsDeterministic(t *testing.T) {
	ev := newEvent("tie", testT0, 1)
	renamed := *ev
	renamed.Name = "Renamed call"
	inv := newInvitee(ev, "1", "jane@example.com", "Jane", testT0)
	moved := *inv
	moved.Timezone = calendly.Ptr("Asia/Tokyo")
	first := inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev)
	second := inviteeBody(t, calendly.EventInviteeCreated, testT0, &moved, &renamed)

	var states []string
	for _, order := range [][][]byte{{first, second}, {second, first}} {
		s := openTestStore(t)
		for i, b := range order {
			record(t, s, signedDelivery(t, b, testT0.Add(time.Duration(i)*time.Second)))
		}
		states = append(states, snapshot(t, s))
	}
	if states[0] != states[1] {
		t.Errorf("tie settled differently by order:\n%s\nvs\n%s", states[0], states[1])
	}
}

// A delivery that carries no timestamps at all still records the booking;
// its activity time is unknown (null), not year 1.
func TestActivityWithoutAnyTimeHasNoTime(t *testing.T) {
	s := openTestStore(t)
	body := []byte(`{"event":"invitee.created","payload":{"uri":"https://api.calendly.com/scheduled_events/e1/invitees/i1",` +
		`"event":"https://api.calendly.com/scheduled_events/e1","email":"No.Time@example.com","name":"No Time","status":"active"}}`)
	record(t, s, signedDelivery(t, body, testT0))
	c := mustContact(t, s, "no.time@example.com")
	if len(c.Activity) != 1 || c.Activity[0].Kind != KindBooked {
		t.Fatalf("activity = %+v, want one booking", c.Activity)
	}
	if c.Activity[0].At != nil {
		t.Errorf("activity at = %v, want nil (unknown)", c.Activity[0].At)
	}
}
