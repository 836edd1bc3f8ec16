package loadgen

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
)

var uuidURI = regexp.MustCompile(`^https://api\.calendly\.com/scheduled_events/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/invitees/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestRealisticLooksLikeAnAccount: the benchmark's traffic has what makes a
// real account's traffic expensive to store, in the shares claimed.
func TestRealisticLooksLikeAnAccount(t *testing.T) {
	const n = 4000
	ds := Realistic("shape", n)
	if len(ds) != n {
		t.Fatalf("got %d deliveries, want %d", len(ds), n)
	}
	kinds := map[string]int{}
	bodies := map[string]bool{}
	bookingsBy := map[string]int{}
	var reschedules, guests, zoomDialIn, answers, tracked int
	for _, d := range ds {
		p, err := calendly.ParseDelivery(d.Body)
		if err != nil {
			t.Fatalf("a generated delivery does not parse: %v\n%s", err, d.Body)
		}
		if p.Event != d.Event || p.Invitee == nil || p.Invitee.URI != d.InviteeURI {
			t.Fatalf("delivery says %s for %s, parsed %s", d.Event, d.InviteeURI, p.Event)
		}
		if !uuidURI.MatchString(d.InviteeURI) {
			t.Fatalf("invitee URI %s is not Calendly's UUID shape", d.InviteeURI)
		}
		if bodies[string(d.Body)] {
			t.Fatalf("two deliveries have the same body (the second is a replay): %s", d.Body)
		}
		bodies[string(d.Body)] = true
		kinds[d.Event]++
		inv := p.Invitee
		if d.Event == calendly.EventInviteeCreated {
			bookingsBy[inv.Email]++
		}
		if inv.Rescheduled || inv.OldInvitee != nil {
			reschedules++
		}
		if len(inv.ScheduledEvent.EventGuests) >= 2 {
			guests++
		}
		if strings.Contains(string(inv.ScheduledEvent.Location.Data), "dial_in") {
			zoomDialIn++
		}
		if len(inv.QuestionsAndAnswers) >= 2 {
			answers++
		}
		if inv.Tracking != nil && inv.Tracking.UTMSource != nil {
			tracked++
		}
	}
	share := func(k string) float64 { return float64(kinds[k]) / n }
	within := func(name string, got, lo, hi float64) {
		if got < lo || got > hi {
			t.Errorf("%s: %.2f of deliveries, want between %.2f and %.2f", name, got, lo, hi)
		}
	}
	within("invitee.created", share(calendly.EventInviteeCreated), 0.55, 0.75)
	within("invitee.canceled", share(calendly.EventInviteeCanceled), 0.15, 0.35)
	within("invitee_no_show.created", share(calendly.EventInviteeNoShowCreated), 0.05, 0.15)
	within("invitee_no_show.deleted", share(calendly.EventInviteeNoShowDeleted), 0.02, 0.08)
	within("reschedule halves", float64(reschedules)/n, 0.15, 0.35)
	for name, count := range map[string]int{"two or more guests": guests, "zoom with dial-in numbers": zoomDialIn, "several answers": answers, "tracking": tracked} {
		if count < n/20 {
			t.Errorf("only %d of %d deliveries have %s", count, n, name)
		}
	}
	counts := make([]int, 0, len(bookingsBy))
	for _, c := range bookingsBy {
		counts = append(counts, c)
	}
	if slices.Max(counts) < 3 || len(bookingsBy) >= kinds[calendly.EventInviteeCreated]*3/4 {
		t.Errorf("%d people made %d bookings (most at once: %d): people should come back", len(bookingsBy), kinds[calendly.EventInviteeCreated], slices.Max(counts))
	}
}

// TestWorkloadIsAStream: a workload taken in parts gives what one take
// gives, and a run id gives the same traffic every time.
func TestWorkloadIsAStream(t *testing.T) {
	whole := NewWorkload("stream", 100).Take(300)
	w := NewWorkload("stream", 100)
	parts := append(w.Take(101), w.Take(199)...)
	for i := range whole {
		if string(whole[i].Body) != string(parts[i].Body) {
			t.Fatalf("delivery %d differs between one take and two", i)
		}
	}
	other := NewWorkload("other", 100).Take(1)[0]
	if other.InviteeURI == whole[0].InviteeURI {
		t.Fatal("two run ids gave the same first invitee")
	}
}
