package calendlytest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/mail"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// BookRequest books an invitee: into a new event with the host, or into an
// existing group event when Event is set.
type BookRequest struct {
	Email string `json:"email"`
	Name  string `json:"name"`
	// EventName defaults to "30 Minute Meeting".
	EventName string `json:"event_name,omitempty"`
	// StartTime defaults to the next half hour a day from now.
	StartTime time.Time `json:"start_time,omitzero"`
	// DurationMinutes defaults to 30.
	DurationMinutes int                `json:"duration_minutes,omitempty"`
	Guests          []string           `json:"guests,omitempty"`
	Location        *calendly.Location `json:"location,omitempty"`
	// Host is the URI or email of an organization member (default: DefaultUser).
	Host string `json:"host,omitempty"`
	// Event is an existing event's URI to join instead of making a new one.
	Event string `json:"event,omitempty"`
	// MaxInvitees is the new event's invitees_counter.limit (default 1; more
	// makes a group event).
	MaxInvitees int `json:"max_invitees,omitempty"`
	// Timezone is the invitee's time zone (default: the host's).
	Timezone string `json:"timezone,omitempty"`
	// QuestionsAndAnswers are the invitee's booking-form answers.
	QuestionsAndAnswers []calendly.QuestionAnswer `json:"questions_and_answers,omitempty"`
}

// BookResult names what a booking made.
type BookResult struct {
	Event   string `json:"event"`
	Invitee string `json:"invitee"`
}

// CancelRequest cancels one invitee.
type CancelRequest struct {
	Invitee string `json:"invitee"`
	Reason  string `json:"reason,omitempty"`
	// By is "invitee" (default) or "host".
	By string `json:"by,omitempty"`
}

// RescheduleRequest moves an invitee to a new event.
type RescheduleRequest struct {
	Invitee string `json:"invitee"`
	// StartTime defaults to a day after the old start.
	StartTime time.Time `json:"start_time,omitzero"`
}

// FieldError says which field of a scenario request is wrong.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Why a scenario operation can fail, besides a *FieldError.
var (
	// ErrUnknownResource: the invitee or event does not exist.
	ErrUnknownResource = errors.New("no such invitee or event")
	// ErrWrongState: the resource exists but the change does not apply to
	// it now (event full or canceled, invitee canceled, no-show twice).
	ErrWrongState = errors.New("not possible in the resource's current state")
)

func unknown(kind, uri string) error {
	return fmt.Errorf("%w: %s %q does not exist", ErrUnknownResource, kind, uri)
}

func wrongState(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrWrongState, fmt.Sprintf(format, args...))
}

const (
	defaultEventName = "30 Minute Meeting"
	defaultDuration  = 30
	maxGuests        = 10
	maxTextField     = 1000
)

// validate checks what it can without the state.
func (req *BookRequest) validate() error {
	if err := checkEmail("email", req.Email); err != nil {
		return err
	}
	if req.Name == "" {
		return &FieldError{"name", "is required"}
	}
	if len(req.Name) > maxTextField || len(req.EventName) > maxTextField {
		return &FieldError{"name", fmt.Sprintf("must be at most %d bytes", maxTextField)}
	}
	if req.Event != "" {
		for field, set := range map[string]bool{
			"event_name": req.EventName != "", "start_time": !req.StartTime.IsZero(),
			"duration_minutes": req.DurationMinutes != 0, "location": req.Location != nil,
			"host": req.Host != "", "max_invitees": req.MaxInvitees != 0,
		} {
			if set {
				return &FieldError{field, "cannot be set when joining an existing event"}
			}
		}
	}
	if req.DurationMinutes < 0 || req.DurationMinutes > 24*60 {
		return &FieldError{"duration_minutes", "must be between 1 and 1440"}
	}
	if req.MaxInvitees < 0 || req.MaxInvitees > 1000 {
		return &FieldError{"max_invitees", "must be between 1 and 1000"}
	}
	if len(req.Guests) > maxGuests {
		return &FieldError{"guests", fmt.Sprintf("must have at most %d emails", maxGuests)}
	}
	for _, g := range req.Guests {
		if err := checkEmail("guests", g); err != nil {
			return err
		}
	}
	if req.Location != nil && req.Location.Type == "" {
		return &FieldError{"location", `needs a "type", e.g. "zoom" or "physical"`}
	}
	if req.Timezone != "" {
		if _, err := time.LoadLocation(req.Timezone); err != nil {
			return &FieldError{"timezone", "is not an IANA time zone name"}
		}
	}
	return nil
}

func checkEmail(field, email string) error {
	if email == "" {
		return &FieldError{field, "is required"}
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 {
		return &FieldError{field, "must be a plain email address like ada@example.com"}
	}
	return nil
}

// Book books an invitee and delivers invitee.created.
func (s *Server) Book(req BookRequest) (BookResult, error) { return s.book(req, changeSource{}) }

func (s *Server) book(req BookRequest, src changeSource) (BookResult, error) {
	if err := req.validate(); err != nil {
		return BookResult{}, err
	}
	var result BookResult
	err := s.changeFrom(src, func(st *state, now calendly.Time) ([]outgoing, error) {
		var ev *calendly.ScheduledEvent
		if req.Event != "" {
			ev = st.events[req.Event]
			switch {
			case ev == nil:
				return nil, unknown("event", req.Event)
			case ev.Status != calendly.StatusActive:
				return nil, wrongState("event %s is canceled", ev.URI)
			case ev.InviteesCounter.Active >= ev.InviteesCounter.Limit:
				return nil, wrongState("event %s is full (limit %d)", ev.URI, ev.InviteesCounter.Limit)
			}
		} else {
			host := st.defaultUser()
			if req.Host != "" {
				if host = st.userByRef(req.Host); host == nil {
					return nil, &FieldError{"host", "is not a member of the organization (use a user URI or email)"}
				}
			}
			ev = st.newEvent(host, req, now)
		}
		inv := st.newInvitee(ev, req, now)
		result = BookResult{Event: ev.URI, Invitee: inv.URI}
		return st.deliveries(calendly.EventInviteeCreated, inv, now), nil
	})
	return result, err
}

// Cancel cancels one invitee (and its event once no invitee is left) and
// delivers invitee.canceled.
func (s *Server) Cancel(req CancelRequest) error { return s.cancel(req, changeSource{}) }

func (s *Server) cancel(req CancelRequest, src changeSource) error {
	if req.By != "" && req.By != "invitee" && req.By != "host" {
		return &FieldError{"by", `must be "host" or "invitee"`}
	}
	if req.Invitee == "" {
		return &FieldError{"invitee", "is required"}
	}
	if len(req.Reason) > maxTextField {
		return &FieldError{"reason", fmt.Sprintf("must be at most %d bytes", maxTextField)}
	}
	return s.changeFrom(src, func(st *state, now calendly.Time) ([]outgoing, error) {
		inv, err := st.activeInvitee(req.Invitee)
		if err != nil {
			return nil, err
		}
		c := calendly.Cancellation{CanceledBy: inv.Name, CancelerType: "invitee", CreatedAt: now}
		if req.By == "host" {
			c.CanceledBy, c.CancelerType = st.user(st.hosts[inv.Event]).Name, "host"
		}
		if req.Reason != "" {
			c.Reason = calendly.Ptr(req.Reason)
		}
		st.cancelInvitee(inv, c, now)
		return st.deliveries(calendly.EventInviteeCanceled, inv, now), nil
	})
}

// Reschedule moves an invitee to a new event: the old invitee is canceled
// with rescheduled=true and new_invitee set, the new one has old_invitee.
// It delivers invitee.canceled for the old and invitee.created for the new.
func (s *Server) Reschedule(req RescheduleRequest) (BookResult, error) {
	return s.reschedule(req, changeSource{})
}

func (s *Server) reschedule(req RescheduleRequest, src changeSource) (BookResult, error) {
	if req.Invitee == "" {
		return BookResult{}, &FieldError{"invitee", "is required"}
	}
	var result BookResult
	err := s.changeFrom(src, func(st *state, now calendly.Time) ([]outgoing, error) {
		old, err := st.activeInvitee(req.Invitee)
		if err != nil {
			return nil, err
		}
		oldEvent := st.events[old.Event]
		host := st.user(st.hosts[oldEvent.URI])
		start := req.StartTime
		if start.IsZero() {
			start = oldEvent.StartTime.Add(24 * time.Hour)
		}
		location := oldEvent.Location
		if location != nil && strings.HasPrefix(location.JoinURL, st.origin+"/events/") {
			location = nil // the emulator's own meeting link: the new event gets its own
		}
		ev := st.newEvent(host, BookRequest{
			EventName:       oldEvent.Name,
			StartTime:       start,
			DurationMinutes: int(oldEvent.EndTime.Sub(oldEvent.StartTime.Time) / time.Minute),
			Location:        location,
			MaxInvitees:     oldEvent.InviteesCounter.Limit,
		}, now)
		ev.EventGuests = append(ev.EventGuests, oldEvent.EventGuests...)
		inv := st.newInvitee(ev, BookRequest{Email: old.Email, Name: old.Name, Timezone: calendly.Str(old.Timezone)}, now)
		inv.QuestionsAndAnswers = append(inv.QuestionsAndAnswers, old.QuestionsAndAnswers...)
		inv.OldInvitee = calendly.Ptr(old.URI)

		old.Rescheduled = true
		old.NewInvitee = calendly.Ptr(inv.URI)
		st.cancelInvitee(old, calendly.Cancellation{CanceledBy: old.Name, CancelerType: "invitee", CreatedAt: now}, now)

		result = BookResult{Event: ev.URI, Invitee: inv.URI}
		out := st.deliveries(calendly.EventInviteeCanceled, old, now)
		return append(out, st.deliveries(calendly.EventInviteeCreated, inv, now)...), nil
	})
	return result, err
}

// MarkNoShow marks an invitee as a no-show and delivers
// invitee_no_show.created.
func (s *Server) MarkNoShow(inviteeURI string) error {
	_, err := s.markNoShow(inviteeURI, changeSource{})
	return err
}

func (s *Server) markNoShow(inviteeURI string, src changeSource) (calendly.InviteeNoShow, error) {
	if inviteeURI == "" {
		return calendly.InviteeNoShow{}, &FieldError{"invitee", "is required"}
	}
	var made calendly.InviteeNoShow
	err := s.changeFrom(src, func(st *state, now calendly.Time) ([]outgoing, error) {
		inv := st.invitees[inviteeURI]
		switch {
		case inv == nil:
			return nil, unknown("invitee", inviteeURI)
		case inv.NoShow != nil:
			return nil, wrongState("invitee %s is already marked as a no-show", inviteeURI)
		case inv.Status != calendly.StatusActive:
			return nil, wrongState("invitee %s is canceled", inviteeURI)
		}
		ns := &calendly.InviteeNoShow{URI: st.origin + "/invitee_no_shows/" + st.newUUID(), Invitee: inv.URI, CreatedAt: now}
		st.noShows[ns.URI] = ns
		inv.NoShow = &calendly.NoShowRef{URI: ns.URI, CreatedAt: now}
		st.touch(inv, now)
		made = *ns
		return st.deliveries(calendly.EventInviteeNoShowCreated, inv, now), nil
	})
	return made, err
}

// RemoveNoShow takes back an invitee's no-show and delivers
// invitee_no_show.deleted.
func (s *Server) RemoveNoShow(inviteeURI string) error {
	return s.removeNoShow(inviteeURI, changeSource{})
}

func (s *Server) removeNoShow(inviteeURI string, src changeSource) error {
	if inviteeURI == "" {
		return &FieldError{"invitee", "is required"}
	}
	return s.changeFrom(src, func(st *state, now calendly.Time) ([]outgoing, error) {
		inv := st.invitees[inviteeURI]
		switch {
		case inv == nil:
			return nil, unknown("invitee", inviteeURI)
		case inv.NoShow == nil:
			return nil, wrongState("invitee %s is not marked as a no-show", inviteeURI)
		}
		return st.removeNoShow(inv, now), nil
	})
}

// changeSource says when a change happens and where the ids it makes come
// from. The zero value is now, with crypto-random ids: every change from
// outside. The generator's seeded history gives its own past moment and
// seeded ids, so a seed gives the same URIs every run.
type changeSource struct {
	at  time.Time  // zero: the emulator's clock
	ids *rand.Rand // nil: crypto/rand
}

// change runs fn as a change from outside (now, random ids).
func (s *Server) change(fn func(st *state, now calendly.Time) ([]outgoing, error)) error {
	return s.changeFrom(changeSource{}, fn)
}

// changeFrom runs fn on the state under the lock, stamped with src's time
// and drawing ids from src, then hands the deliveries it made (stamped
// alike) to the deliverer in order, without holding the state lock.
func (s *Server) changeFrom(src changeSource, fn func(st *state, now calendly.Time) ([]outgoing, error)) error {
	at := src.at
	s.mu.Lock()
	if at.IsZero() {
		at = s.now()
	}
	s.st.ids = src.ids
	out, err := fn(s.st, calendly.NewTime(at))
	s.st.ids = nil
	s.enqueueMu.Lock()
	s.mu.Unlock()
	defer s.enqueueMu.Unlock()
	for _, o := range out {
		s.outbox(o.target, o.event, o.body)
	}
	return err
}
