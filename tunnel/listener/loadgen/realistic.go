package loadgen

import (
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// Realistic builds n deliveries shaped like a busy Calendly account's
// traffic, for benchmarks that must not flatter the listener: every URI a
// random v4 UUID (inserts land all over every index), bodies from the
// emulator's sample builders (which match the captured payloads key for key:
// zoom locations with dial-in numbers, several answers, guests on some
// bookings, tracking on some), people who book again, and the mix of kinds
// an account sees: bookings, cancellations, both halves of reschedules,
// no-shows and their removal. The same (runID, n) gives the same bodies; a
// different runID gives URIs and people no other run has.
//
// Kinds come in these shares (of steps; a reschedule is two deliveries):
// 55 % booked, 15 % canceled, 15 % rescheduled, 10 % no-show, 5 % no-show
// removed. A step whose kind has nothing to act on yet books instead.
func Realistic(runID string, n int) []Delivery {
	// About one person for every four deliveries: most people come back.
	return NewWorkload(runID, max(n/4, 8)).Take(n)
}

// NewWorkload starts a stream of Realistic deliveries among the given
// number of people, for a caller that takes it in parts (a store grown with
// the first part, a benchmark timing the next).
func NewWorkload(runID string, people int) *Workload {
	seed := fnv.New64a()
	seed.Write([]byte(runID))
	rnd := rand.New(rand.NewPCG(seed.Sum64(), 0x63616c7761746368))
	w := &Workload{rnd: rnd, now: time.Date(2026, 6, 9, 9, 0, 0, 0, time.UTC)}
	for range 4 {
		w.hosts = append(w.hosts, calendlytest.RandomHost(rnd))
	}
	for range max(people, 1) {
		p := calendlytest.RandomPerson(rnd)
		local, domain, _ := strings.Cut(p.Email, "@")
		p.Email = local + "." + calendlytest.RandomUUID(rnd)[:8] + "@" + domain
		w.people = append(w.people, p)
	}
	return w
}

// Take returns the stream's next n deliveries. A reschedule's two halves
// may be split between two calls.
func (w *Workload) Take(n int) []Delivery {
	out := make([]Delivery, 0, n)
	for len(out) < n {
		if len(w.pending) == 0 {
			w.pending = w.step()
		}
		out = append(out, w.pending[0])
		w.pending = w.pending[1:]
	}
	return out
}

// Workload is a stream of Realistic deliveries: the people, and the
// bookings that can still be canceled, moved or marked.
type Workload struct {
	pending []Delivery // the rest of the last step (a reschedule's second half)
	rnd     *rand.Rand
	now     time.Time
	hosts   []calendlytest.Host
	people  []calendlytest.Person
	active  []*calendly.Invitee // booked, not canceled: may be canceled, moved, marked
	marked  []*calendly.Invitee // marked no-show: the mark may be removed
}

func (w *Workload) step() []Delivery {
	w.now = w.now.Add(time.Duration(1+w.rnd.IntN(90)) * time.Second)
	switch roll := w.rnd.IntN(100); {
	case roll < 15 && len(w.active) > 0:
		return []Delivery{w.cancel(w.takeActive(), false, "")}
	case roll < 30 && len(w.active) > 0:
		return w.reschedule(w.takeActive())
	case roll < 40 && len(w.active) > 0:
		return []Delivery{w.markNoShow(w.takeActive())}
	case roll < 45 && len(w.marked) > 0:
		return []Delivery{w.removeNoShow()}
	}
	return []Delivery{w.book(w.people[w.rnd.IntN(len(w.people))], "")}
}

func (w *Workload) book(p calendlytest.Person, oldInvitee string) Delivery {
	host := w.hosts[w.rnd.IntN(len(w.hosts))]
	start := w.now.Add(time.Duration(1+w.rnd.IntN(30*48)) * 30 * time.Minute)
	inv := calendlytest.SampleInvitee(w.rnd, w.now, host, p, start)
	if w.rnd.IntN(3) == 0 {
		inv.Tracking = &calendly.Tracking{
			UTMSource:   calendly.Ptr([]string{"linkedin", "newsletter", "google"}[w.rnd.IntN(3)]),
			UTMMedium:   calendly.Ptr("cpc"),
			UTMCampaign: calendly.Ptr("spring-2026"),
		}
	}
	if oldInvitee != "" {
		inv.OldInvitee = calendly.Ptr(oldInvitee)
	}
	w.active = append(w.active, inv)
	return w.encode(calendly.EventInviteeCreated, inv)
}

// takeActive removes and returns a random active booking.
func (w *Workload) takeActive() *calendly.Invitee {
	i := w.rnd.IntN(len(w.active))
	inv := w.active[i]
	w.active[i] = w.active[len(w.active)-1]
	w.active = w.active[:len(w.active)-1]
	return inv
}

func (w *Workload) cancel(inv *calendly.Invitee, rescheduled bool, newInvitee string) Delivery {
	at := calendly.NewTime(w.now)
	c := &calendly.Cancellation{CanceledBy: inv.Name, CancelerType: "invitee", CreatedAt: at}
	if !rescheduled && w.rnd.IntN(2) == 0 {
		c.Reason = calendly.Ptr("Something came up, sorry!")
	}
	inv.Status, inv.Cancellation, inv.UpdatedAt = calendly.StatusCanceled, c, at
	inv.Rescheduled = rescheduled
	if newInvitee != "" {
		inv.NewInvitee = calendly.Ptr(newInvitee)
	}
	ev := *inv.ScheduledEvent
	ev.Status, ev.Cancellation, ev.UpdatedAt = calendly.StatusCanceled, c, at
	ev.InviteesCounter.Active = 0
	inv.ScheduledEvent = &ev
	return w.encode(calendly.EventInviteeCanceled, inv)
}

// reschedule is the two deliveries Calendly sends when a booking moves: the
// old invitee canceled with rescheduled=true and new_invitee, and the new
// one created with old_invitee. Half of them arrive new-half first.
func (w *Workload) reschedule(old *calendly.Invitee) []Delivery {
	person := calendlytest.Person{Name: old.Name, Email: old.Email, Timezone: *old.Timezone}
	created := w.book(person, old.URI)
	newURI := w.active[len(w.active)-1].URI
	canceled := w.cancel(old, true, newURI)
	if w.rnd.IntN(2) == 0 {
		return []Delivery{created, canceled}
	}
	return []Delivery{canceled, created}
}

func (w *Workload) markNoShow(inv *calendly.Invitee) Delivery {
	inv.NoShow = &calendly.NoShowRef{
		URI:       "https://api.calendly.com/invitee_no_shows/" + calendlytest.RandomUUID(w.rnd),
		CreatedAt: calendly.NewTime(w.now),
	}
	w.marked = append(w.marked, inv)
	return w.encode(calendly.EventInviteeNoShowCreated, inv)
}

func (w *Workload) removeNoShow() Delivery {
	i := w.rnd.IntN(len(w.marked))
	inv := w.marked[i]
	w.marked = append(w.marked[:i], w.marked[i+1:]...)
	inv.NoShow = nil
	return w.encode(calendly.EventInviteeNoShowDeleted, inv)
}

func (w *Workload) encode(event string, inv *calendly.Invitee) Delivery {
	body, err := calendlytest.EncodeDelivery(event, w.now, w.hosts[0].URI, inv)
	if err != nil {
		panic(err) // only fixed, encodable types are encoded here
	}
	return Delivery{InviteeURI: inv.URI, Event: event, Body: body}
}
