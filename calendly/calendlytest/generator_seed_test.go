package calendlytest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// seededIDs is every id a seeded emulator's world and history hold, with
// the emulator's origin taken off (two test servers listen on two ports;
// `calwatch emulator` keeps one fixed port).
func seededIDs(s *Server) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	ids := []string{st.organization}
	for _, u := range st.users {
		ids = append(ids, u.URI)
	}
	for _, m := range st.memberships {
		ids = append(ids, m.URI)
	}
	for _, ev := range st.eventOrder {
		ids = append(ids, ev, st.events[ev].EventType, st.events[ev].CalendarEvent.ExternalID)
		for _, inv := range st.eventInvitees[ev] {
			ids = append(ids, inv, st.invitees[inv].CancelURL)
		}
	}
	for uri := range st.noShows {
		ids = append(ids, uri)
	}
	for i, id := range ids {
		ids[i] = strings.TrimPrefix(id, s.URL)
	}
	slices.Sort(ids)
	return ids
}

// A persistent demo home must not fill with strangers: the same seed gives
// the same organization, people, events and invitees, URIs and all.
func TestSameSeedGivesTheSameURIsEveryRun(t *testing.T) {
	a, b, other := seededIDs(seededServer(t, 42)), seededIDs(seededServer(t, 42)), seededIDs(seededServer(t, 43))
	if len(a) < historyChanges {
		t.Fatalf("seed 42 holds %d ids, want a whole history", len(a))
	}
	if !slices.Equal(a, b) {
		t.Fatalf("seed 42 twice gave different ids (%d and %d); first difference at %d", len(a), len(b),
			slices.IndexFunc(a, func(id string) bool { return !slices.Contains(b, id) }))
	}
	if len(slices.DeleteFunc(slices.Clone(other), func(id string) bool { return slices.Contains(a, id) })) != len(other) {
		t.Fatal("seeds 42 and 43 share ids")
	}
}

// Live changes and changes from outside stay random even on a seeded
// emulator: they are new bookings, not the seed's history again.
func TestChangesAfterASeededHistoryGetFreshIDs(t *testing.T) {
	a, b := seededServer(t, 42), seededServer(t, 42)
	ra := mustBook(t, a, BookRequest{Email: "ada@example.com", Name: "Ada"})
	rb := mustBook(t, b, BookRequest{Email: "ada@example.com", Name: "Ada"})
	if strings.TrimPrefix(ra.Invitee, a.URL) == strings.TrimPrefix(rb.Invitee, b.URL) {
		t.Fatalf("two seeded emulators gave a new booking the same URI %s", ra.Invitee)
	}
}

// Seeded history is dated when each change happened, relative to the
// emulator's clock at start, alike in every delivery of it and in the API.
func TestSeededHistoryIsDatedAlikeInDeliveriesAndTheAPI(t *testing.T) {
	s := NewUnstartedServer(Options{Seed: 42, Tokens: []string{testPAT}, Now: func() time.Time { return generatorNow }})
	t.Cleanup(s.Close)
	log := &outboxLog{}
	s.outbox = log.record
	s.mu.Lock()
	sub := &subscription{resource: calendly.WebhookSubscription{
		URI: s.URL + "/webhook_subscriptions/" + newUUID(), CallbackURL: "https://hooks.example.com/history",
		State: calendly.StateActive, Events: calendly.InviteeEvents, Scope: calendly.ScopeOrganization,
		Organization: s.st.organization,
	}, signingKey: []byte("k")}
	s.st.subscriptions[sub.resource.URI] = sub
	s.st.subOrder = append(s.st.subOrder, sub.resource.URI)
	s.mu.Unlock()
	s.Start()

	sent := log.all()
	if len(sent) < historyChanges {
		t.Fatalf("%d deliveries of an %d-change history", len(sent), historyChanges)
	}
	latest := map[string]*calendly.Invitee{} // the last delivery about each invitee
	for _, o := range sent {
		d, err := calendly.ParseDelivery(o.body)
		if err != nil {
			t.Fatal(err)
		}
		at := d.CreatedAt.Time
		if at.Before(generatorNow.Add(-historySpan)) || at.After(generatorNow) {
			t.Fatalf("a history delivery is dated %s, outside the %s before the clock's %s", at, historySpan, generatorNow)
		}
		if !d.Invitee.UpdatedAt.Equal(at) || !d.Invitee.ScheduledEvent.UpdatedAt.Equal(at) {
			t.Fatalf("%s created_at %s, but its invitee says updated %s and its event %s",
				d.Event, at, d.Invitee.UpdatedAt, d.Invitee.ScheduledEvent.UpdatedAt)
		}
		latest[d.Invitee.URI] = d.Invitee
	}
	for uri, delivered := range latest {
		inv := getInviteeByURI(t, s, uri)
		if !inv.UpdatedAt.Equal(delivered.UpdatedAt.Time) || !inv.CreatedAt.Equal(delivered.CreatedAt.Time) {
			t.Errorf("invitee %s: the API says created %s updated %s, its last delivery %s and %s", uri,
				inv.CreatedAt, inv.UpdatedAt, delivered.CreatedAt, delivered.UpdatedAt)
		}
		if inv.Cancellation != nil && !inv.Cancellation.CreatedAt.Equal(delivered.Cancellation.CreatedAt.Time) {
			t.Errorf("invitee %s: canceled at %s in the API, %s in its delivery", uri, inv.Cancellation.CreatedAt, delivered.Cancellation.CreatedAt)
		}
	}
	var events struct{ Collection []calendly.ScheduledEvent }
	apiGet(t, s, "/scheduled_events?count=100&organization="+s.Organization()).want(t, http.StatusOK, &events)
	for _, ev := range events.Collection {
		if ev.CreatedAt.After(generatorNow) || ev.UpdatedAt.After(generatorNow) {
			t.Errorf("event %s is dated after the clock at start: created %s updated %s", ev.URI, ev.CreatedAt, ev.UpdatedAt)
		}
	}
}
