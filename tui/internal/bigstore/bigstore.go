// Package bigstore fills a calwatch store with a large account's year — by
// default 100,000 scheduled events booked by 20,000 people, some canceled,
// some marked no-show — recorded as signed deliveries through storage, for
// the TUI's benchmarks over a big store. It is not part of calwatch.
package bigstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/fixture"
)

// Shape is how big the store is and where its year lies.
type Shape struct {
	Events int       // scheduled events, one invitee each
	People int       // distinct invitees (by email); people come back
	Now    time.Time // the year runs from Now-9 months to Now+3 months
	Seed   uint64    // the same seed gives the same store
}

// Default is the store: 100,000 events by 20,000 people.
func Default(now time.Time) Shape {
	return Shape{Events: 100_000, People: 20_000, Now: now, Seed: 8}
}

// Stats is what Fill recorded.
type Stats struct {
	Deliveries, Canceled, NoShows int
	Took                          time.Duration
}

// Fill records sh's history into s: every booking as an invitee.created
// delivery received when it was booked, then one in ten canceled and one
// in twenty past ones marked no-show. Deliveries are submitted from a few
// goroutines at once so the store's group commit batches them, as a busy
// listener's would be.
func Fill(ctx context.Context, s *storage.Store, sh Shape) (Stats, error) {
	began := time.Now()
	rnd := rand.New(rand.NewPCG(sh.Seed, 0x6269677374))
	hosts := make([]calendlytest.Host, 4)
	for i := range hosts {
		hosts[i] = calendlytest.RandomHost(rnd)
	}
	people := make([]calendlytest.Person, max(sh.People, 1))
	for i := range people {
		p := calendlytest.RandomPerson(rnd)
		local, domain, _ := strings.Cut(p.Email, "@")
		p.Email = local + "." + calendlytest.RandomUUID(rnd)[:8] + "@" + domain
		people[i] = p
	}
	from := sh.Now.AddDate(0, -9, 0)
	span := sh.Now.AddDate(0, 3, 0).Sub(from)
	created := make(chan storage.IncomingDelivery, 256)
	recorded := make(chan error, 1)
	go func() { recorded <- record(ctx, s, created) }()
	var later []storage.IncomingDelivery
	var st Stats
	fail := func(err error) (Stats, error) {
		close(created)
		<-recorded
		return st, err
	}
	for range sh.Events {
		host := hosts[rnd.IntN(len(hosts))]
		start := from.Add(time.Duration(rnd.Int64N(int64(span))))
		booked := start.Add(-time.Duration(1+rnd.IntN(30*24)) * time.Hour)
		if booked.After(sh.Now) {
			booked = sh.Now.Add(-time.Duration(1+rnd.IntN(3600)) * time.Second)
		}
		inv := calendlytest.SampleInvitee(rnd, booked, host, people[rnd.IntN(len(people))], start)
		d, err := signed(calendly.EventInviteeCreated, booked, host, inv)
		if err != nil {
			return fail(err)
		}
		select {
		case created <- d:
		case err := <-recorded:
			close(created)
			return st, err
		}
		switch roll := rnd.IntN(20); {
		case roll < 2: // canceled a day after booking (or just before now)
			at := minTime(booked.Add(24*time.Hour), sh.Now.Add(-time.Second))
			cancel(inv, at)
			if d, err = signed(calendly.EventInviteeCanceled, at, host, inv); err != nil {
				return fail(err)
			}
			later = append(later, d)
			st.Canceled++
		case roll == 2 && start.Add(time.Hour).Before(sh.Now): // no-show
			at := start.Add(time.Hour)
			inv.NoShow = &calendly.NoShowRef{URI: "https://api.calendly.com/invitee_no_shows/" + calendlytest.RandomUUID(rnd), CreatedAt: calendly.NewTime(at)}
			if d, err = signed(calendly.EventInviteeNoShowCreated, at, host, inv); err != nil {
				return fail(err)
			}
			later = append(later, d)
			st.NoShows++
		}
	}
	close(created)
	if err := <-recorded; err != nil {
		return st, err
	}
	// The changes go after every booking they change is stored.
	rest := make(chan storage.IncomingDelivery, len(later))
	for _, d := range later {
		rest <- d
	}
	close(rest)
	if err := record(ctx, s, rest); err != nil {
		return st, err
	}
	st.Deliveries = sh.Events + len(later)
	st.Took = time.Since(began)
	return st, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// cancel turns an active booking into its canceled form at at.
func cancel(inv *calendly.Invitee, at time.Time) {
	t := calendly.NewTime(at)
	c := &calendly.Cancellation{CanceledBy: inv.Name, CancelerType: "invitee", CreatedAt: t}
	inv.Status, inv.Cancellation, inv.UpdatedAt = calendly.StatusCanceled, c, t
	ev := *inv.ScheduledEvent
	ev.Status, ev.Cancellation, ev.UpdatedAt = calendly.StatusCanceled, c, t
	ev.InviteesCounter.Active = 0
	inv.ScheduledEvent = &ev
}

// Signed is one delivery of event about inv, received at at, signed with
// the fixture's key and parsed as the listener would.
func Signed(event string, at time.Time, createdBy string, inv *calendly.Invitee) (storage.IncomingDelivery, error) {
	body, err := calendlytest.EncodeDelivery(event, at, createdBy, inv)
	if err != nil {
		return storage.IncomingDelivery{}, err
	}
	return fixture.Signed(body, at)
}

func signed(event string, at time.Time, host calendlytest.Host, inv *calendly.Invitee) (storage.IncomingDelivery, error) {
	return Signed(event, at, host.URI, inv)
}

// record submits what ds carries from eight goroutines until it closes,
// and returns the first error (the rest of ds is then drained unrecorded).
func record(ctx context.Context, s *storage.Store, ds <-chan storage.IncomingDelivery) error {
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for d := range ds {
				if _, err := s.RecordDelivery(ctx, d); err != nil {
					errs <- fmt.Errorf("bigstore: recording a %s delivery: %w", d.Parsed.Event, err)
					for range ds {
					}
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}
