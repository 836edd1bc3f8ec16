package calendlytest

import (
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// newEvent makes a scheduled event hosted by host from req's event fields,
// with no invitees yet.
func (st *state) newEvent(host *calendly.User, req BookRequest, now calendly.Time) *calendly.ScheduledEvent {
	id := st.newUUID()
	uri := st.origin + "/scheduled_events/" + id
	name := req.EventName
	if name == "" {
		name = defaultEventName
	}
	start := req.StartTime
	if start.IsZero() {
		start = now.Add(24 * time.Hour).Truncate(30 * time.Minute).Add(30 * time.Minute)
	}
	duration := req.DurationMinutes
	if duration == 0 {
		duration = defaultDuration
	}
	limit := req.MaxInvitees
	if limit == 0 {
		limit = 1
	}
	location := req.Location
	if location == nil {
		location = &calendly.Location{
			Type:    "google_conference",
			Status:  "pushed",
			JoinURL: st.origin + "/events/" + id + "/google_meet",
		}
	} else {
		copied := *location
		location = &copied
	}
	ev := &calendly.ScheduledEvent{
		URI:             uri,
		Name:            name,
		Status:          calendly.StatusActive,
		StartTime:       calendly.NewTime(start),
		EndTime:         calendly.NewTime(start.Add(time.Duration(duration) * time.Minute)),
		EventType:       st.eventType(host.URI, name),
		Location:        location,
		InviteesCounter: calendly.InviteesCounter{Limit: limit},
		CreatedAt:       now,
		UpdatedAt:       now,
		EventMemberships: []calendly.EventMembership{
			{User: host.URI, UserEmail: host.Email, UserName: host.Name},
		},
		EventGuests:   []calendly.Guest{},
		CalendarEvent: &calendly.CalendarEvent{Kind: "google", ExternalID: st.randomHex(13)},
	}
	st.events[uri] = ev
	st.eventOrder = append(st.eventOrder, uri)
	st.hosts[uri] = host.URI
	return ev
}

// newInvitee books an active invitee (and their guests) into ev.
func (st *state) newInvitee(ev *calendly.ScheduledEvent, req BookRequest, now calendly.Time) *calendly.Invitee {
	id := st.newUUID()
	tz := req.Timezone
	if tz == "" {
		tz = st.user(st.hosts[ev.URI]).Timezone
	}
	answers := req.QuestionsAndAnswers
	if answers == nil {
		answers = []calendly.QuestionAnswer{}
	}
	inv := &calendly.Invitee{
		URI:                 ev.URI + "/invitees/" + id,
		Email:               req.Email,
		Name:                req.Name,
		Status:              calendly.StatusActive,
		QuestionsAndAnswers: answers,
		Timezone:            &tz,
		Event:               ev.URI,
		CreatedAt:           now,
		UpdatedAt:           now,
		Tracking:            &calendly.Tracking{},
		CancelURL:           st.origin + "/cancellations/" + id,
		RescheduleURL:       st.origin + "/reschedulings/" + id,
	}
	st.invitees[inv.URI] = inv
	st.eventInvitees[ev.URI] = append(st.eventInvitees[ev.URI], inv.URI)
	for _, g := range req.Guests {
		ev.EventGuests = append(ev.EventGuests, calendly.Guest{Email: g, CreatedAt: now, UpdatedAt: now})
	}
	ev.InviteesCounter.Total++
	ev.InviteesCounter.Active++
	ev.UpdatedAt = now
	return inv
}

// activeInvitee finds an invitee a cancel or reschedule can apply to.
func (st *state) activeInvitee(uri string) (*calendly.Invitee, error) {
	inv := st.invitees[uri]
	switch {
	case inv == nil:
		return nil, unknown("invitee", uri)
	case inv.Status != calendly.StatusActive:
		return nil, wrongState("invitee %s is already canceled", uri)
	}
	return inv, nil
}

// cancelInvitee cancels inv; its event is canceled with the same
// cancellation once no active invitee is left.
func (st *state) cancelInvitee(inv *calendly.Invitee, c calendly.Cancellation, now calendly.Time) {
	inv.Status = calendly.StatusCanceled
	inv.Cancellation = &c
	inv.UpdatedAt = now
	ev := st.events[inv.Event]
	ev.InviteesCounter.Active--
	ev.UpdatedAt = now
	if ev.InviteesCounter.Active == 0 {
		ev.Status = calendly.StatusCanceled
		eventCancellation := c
		ev.Cancellation = &eventCancellation
	}
}

// touch stamps a change to inv: its updated_at and its event's move to
// now, as they do on every change at Calendly (a client that re-reads only
// what moved must see a no-show come and go).
func (st *state) touch(inv *calendly.Invitee, now calendly.Time) {
	inv.UpdatedAt = now
	st.events[inv.Event].UpdatedAt = now
}

// removeNoShow deletes inv's no-show and returns the deliveries of
// invitee_no_show.deleted.
func (st *state) removeNoShow(inv *calendly.Invitee, now calendly.Time) []outgoing {
	delete(st.noShows, inv.NoShow.URI)
	inv.NoShow = nil
	st.touch(inv, now)
	return st.deliveries(calendly.EventInviteeNoShowDeleted, inv, now)
}

// randomHex is n random bytes in hex, from the change's id source.
func (st *state) randomHex(n int) string {
	b := make([]byte, n)
	if st.ids != nil {
		for i := range b {
			b[i] = byte(st.ids.Uint32())
		}
	} else {
		rand.Read(b)
	}
	return hex.EncodeToString(b)
}
