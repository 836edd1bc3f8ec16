package calendlytest

import (
	"math/rand/v2"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// The shape of the generated history and of live changes.
const (
	historySpan    = 30 * 24 * time.Hour // how far back pre-filled history reaches
	historyChanges = 80                  // changes in a pre-filled history, unless Options.History
	maxLeadTime    = 14 * 24 * time.Hour // how far ahead a booking's meeting may be
)

// changeKind is one sort of change the generator makes.
type changeKind int

const (
	changeBook changeKind = iota
	changeCancel
	changeReschedule
	changeNoShow
	changeRemoveNoShow
)

// changeWeights say how often each kind is drawn: mostly bookings, as on a
// real calendar.
var changeWeights = [...]int{
	changeBook:         52,
	changeCancel:       15,
	changeReschedule:   13,
	changeNoShow:       16,
	changeRemoveNoShow: 4,
}

var generatedCancelReasons = []string{
	"", "", "Something came up, sorry!", "Terminkonflikt — neuer Vorschlag folgt",
	"Double-booked", "Je suis malade 🤒", "急用ができました",
}

// generator books, cancels, reschedules and marks no-shows through the
// server's scenario operations, drawing every choice from one seeded
// source, so a seed always gives the same changes in the same order.
type generator struct {
	s   *Server
	rnd *rand.Rand
	// ids is the seeded id source of history changes; src is the source of
	// the change being made (history: its past moment and ids; live: now
	// and random ids, since live changes are new every run).
	ids   *rand.Rand
	src   changeSource
	hosts []string // organization members' URIs; bookings go mostly to the first
	// bookings are the active invitees the generator made, oldest first.
	bookings []*generatedBooking
	// groups are the group events it made, which later bookings may join.
	groups []generatedGroup
}

type generatedGroup struct {
	event string
	start time.Time
}

// generatedGroupEvents are names for events several invitees book into.
var generatedGroupEvents = []string{"Group workshop: Calendly API 101", "Yoga en grupo 🧘", "Office hours (group)"}

type generatedBooking struct {
	invitee string
	start   time.Time
	noShow  bool
}

// startGenerator pre-fills history from Options.Seed and, when Options.Live
// is set, keeps booking, canceling, rescheduling and marking no-shows at
// that many changes a minute until Close. Seed 0 without Live does nothing,
// so NewServer(Options{}) starts empty.
func (s *Server) startGenerator() {
	if s.opts.Seed == 0 && s.opts.Live <= 0 {
		return
	}
	g := newGenerator(s, s.opts.Seed)
	if s.opts.Seed != 0 {
		n := s.opts.History
		if n <= 0 {
			n = historyChanges
		}
		g.prefillHistory(s.now(), n)
	}
	if s.opts.Live > 0 {
		s.background.Add(1)
		go func() {
			defer s.background.Done()
			g.runLive(s.opts.Live, s.stop)
		}()
	}
}

func newGenerator(s *Server, seed int64) *generator {
	g := &generator{s: s,
		rnd: rand.New(rand.NewPCG(uint64(seed), generatorStream)),
		ids: rand.New(rand.NewPCG(uint64(seed), idStream)),
	}
	s.mu.Lock()
	for _, u := range s.st.users {
		g.hosts = append(g.hosts, u.URI)
	}
	s.mu.Unlock()
	return g
}

// prefillHistory makes n changes spread over the historySpan
// before now (the emulator's clock at start), each made at the moment it
// is said to have happened: the API and any delivery of it carry the same
// times, and its ids come from the seed.
func (g *generator) prefillHistory(now time.Time, n int) {
	step := historySpan / time.Duration(n)
	for i := range n {
		at := now.Add(-historySpan + time.Duration(i)*step + randomMicros(g.rnd, step/2))
		g.change(at, true)
	}
}

// runLive makes a change about every minute/rate (exponentially
// distributed, as independent bookings arrive) until stop is closed; with
// Options.LiveFirst, the first one that long after the first subscription.
func (g *generator) runLive(rate float64, stop <-chan struct{}) {
	mean := float64(time.Minute) / rate
	first := g.s.opts.LiveFirst
	if first > 0 {
		select {
		case <-stop:
			return
		case <-g.s.subscribed:
		}
	}
	timer := time.NewTimer(first)
	defer timer.Stop()
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		case <-timer.C:
		}
		if n == 0 && first > 0 {
			g.firstLiveChange()
		} else {
			g.change(g.s.now(), false)
		}
		timer.Reset(time.Duration(g.rnd.ExpFloat64() * mean))
	}
}

// firstLiveChange is Options.LiveFirst's change: a booking the first
// subscription is sent (hosted by its user when it is a user's), so the
// client that subscribed sees a delivery rather than a teammate's change.
func (g *generator) firstLiveChange() {
	host := ""
	g.s.mu.Lock()
	if len(g.s.st.subOrder) > 0 {
		host = calendly.Str(g.s.st.subscriptions[g.s.st.subOrder[0]].resource.User)
	}
	g.s.mu.Unlock()
	g.src = changeSource{}
	g.book(g.s.now(), false, host)
}

// change makes one change at time at. A kind with nothing to apply to
// (no booking to cancel yet) becomes a booking.
func (g *generator) change(at time.Time, history bool) changeKind {
	g.src = changeSource{}
	if history {
		g.src = changeSource{at: at, ids: g.ids}
	}
	kind := g.drawKind()
	var b *generatedBooking
	switch kind {
	case changeCancel, changeReschedule:
		// Only a meeting still to come is canceled or moved.
		b = g.pick(func(b *generatedBooking) bool { return b.start.After(at) })
	case changeNoShow:
		// A no-show needs a meeting that has happened; live, time runs
		// faster than meetings do, so any booking will do.
		b = g.pick(func(b *generatedBooking) bool { return !b.noShow && b.start.Before(at) })
		if b == nil && !history {
			b = g.pick(func(b *generatedBooking) bool { return !b.noShow })
		}
	case changeRemoveNoShow:
		b = g.pick(func(b *generatedBooking) bool { return b.noShow })
	}
	if b == nil {
		kind = changeBook
	}
	switch kind {
	case changeBook:
		g.book(at, history, "")
	case changeCancel:
		g.cancel(b)
	case changeReschedule:
		g.reschedule(b, at)
	case changeNoShow:
		if _, err := g.s.markNoShow(b.invitee, g.src); err == nil {
			b.noShow = true
		}
	case changeRemoveNoShow:
		if g.s.removeNoShow(b.invitee, g.src) == nil {
			b.noShow = false
		}
	}
	return kind
}

func (g *generator) drawKind() changeKind {
	total := 0
	for _, w := range changeWeights {
		total += w
	}
	n := g.rnd.IntN(total)
	for kind, w := range changeWeights {
		if n < w {
			return changeKind(kind)
		}
		n -= w
	}
	return changeBook
}

// pick draws one of the bookings that match, or nil.
func (g *generator) pick(match func(*generatedBooking) bool) *generatedBooking {
	var candidates []*generatedBooking
	for _, b := range g.bookings {
		if match(b) {
			candidates = append(candidates, b)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	return candidates[g.rnd.IntN(len(candidates))]
}

// book books a random person with host (""; one drawn, mostly the first
// user), or into a group event that has room when no host is given.
func (g *generator) book(at time.Time, history bool, host string) {
	person := RandomPerson(g.rnd)
	if host == "" && g.rnd.IntN(3) == 0 {
		if group := g.pickGroup(at); group != nil {
			g.joinGroup(*group, person, history)
			return
		}
	}
	name, length := RandomEventName(g.rnd)
	start := at.Add(time.Hour + randomStart(g.rnd, maxLeadTime)).Truncate(30 * time.Minute)
	req := BookRequest{
		Email:           person.Email,
		Name:            person.Name,
		EventName:       name,
		StartTime:       start,
		DurationMinutes: int(length / time.Minute),
		Location:        RandomLocation(g.rnd, RandomUUID(g.rnd)),
		Timezone:        person.Timezone,
		Host:            g.hosts[0],
	}
	if n := g.rnd.IntN(4); n < len(g.hosts) && n > 0 {
		req.Host = g.hosts[n] // a quarter of bookings go to a teammate
	}
	if host != "" {
		req.Host = host
	}
	if g.rnd.IntN(4) == 0 {
		req.Guests = []string{RandomPerson(g.rnd).Email}
	}
	group := g.rnd.IntN(8) == 0
	if group {
		req.EventName = generatedGroupEvents[g.rnd.IntN(len(generatedGroupEvents))]
		req.DurationMinutes = 60
		req.MaxInvitees = 4 + g.rnd.IntN(6)
	}
	g.booked(req, start, history)
}

// booked makes the booking and remembers it.
func (g *generator) booked(req BookRequest, start time.Time, history bool) {
	req.QuestionsAndAnswers = RandomAnswers(g.rnd)
	res, err := g.s.book(req, g.src)
	if err != nil {
		return
	}
	g.bookings = append(g.bookings, &generatedBooking{invitee: res.Invitee, start: start})
	if req.MaxInvitees > 1 {
		g.groups = append(g.groups, generatedGroup{event: res.Event, start: start})
	}
}

// pickGroup draws a group event that has not started yet, or nil.
func (g *generator) pickGroup(at time.Time) *generatedGroup {
	var open []int
	for i, gr := range g.groups {
		if gr.start.After(at) {
			open = append(open, i)
		}
	}
	if len(open) == 0 {
		return nil
	}
	return &g.groups[open[g.rnd.IntN(len(open))]]
}

// joinGroup books person into an existing group event; a full or canceled
// one simply takes no one.
func (g *generator) joinGroup(group generatedGroup, person Person, history bool) {
	req := BookRequest{Email: person.Email, Name: person.Name, Timezone: person.Timezone, Event: group.event}
	g.booked(req, group.start, history)
}

func (g *generator) cancel(b *generatedBooking) {
	req := CancelRequest{Invitee: b.invitee, Reason: generatedCancelReasons[g.rnd.IntN(len(generatedCancelReasons))], By: "invitee"}
	if g.rnd.IntN(3) == 0 {
		req.By = "host"
	}
	if g.s.cancel(req, g.src) == nil {
		g.forget(b)
	}
}

func (g *generator) reschedule(b *generatedBooking, at time.Time) {
	// One to seven days later, give or take two hours, never in the past.
	start := b.start.Add(time.Duration(1+g.rnd.IntN(7))*24*time.Hour + time.Duration(g.rnd.IntN(9)-4)*30*time.Minute)
	if earliest := at.Add(time.Hour).Truncate(30 * time.Minute); start.Before(earliest) {
		start = earliest
	}
	res, err := g.s.reschedule(RescheduleRequest{Invitee: b.invitee, StartTime: start}, g.src)
	if err != nil {
		return
	}
	g.forget(b)
	g.bookings = append(g.bookings, &generatedBooking{invitee: res.Invitee, start: start})
}

func (g *generator) forget(b *generatedBooking) {
	for i, c := range g.bookings {
		if c == b {
			g.bookings = append(g.bookings[:i:i], g.bookings[i+1:]...)
			return
		}
	}
}
