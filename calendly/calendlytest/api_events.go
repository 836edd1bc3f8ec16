package calendlytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

const (
	scopeEventsRead  = "scheduled_events:read"
	scopeEventsWrite = "scheduled_events:write"
)

func (s *Server) registerEventRoutes() {
	s.mux.HandleFunc("GET /scheduled_events", s.api(scopeEventsRead, s.listEvents))
	s.mux.HandleFunc("GET /scheduled_events/{uuid}", s.api(scopeEventsRead, s.getEvent))
	s.mux.HandleFunc("GET /scheduled_events/{uuid}/invitees", s.api(scopeEventsRead, s.listInvitees))
	s.mux.HandleFunc("GET /scheduled_events/{uuid}/invitees/{invitee}", s.api(scopeEventsRead, s.getInvitee))
	s.mux.HandleFunc("POST /scheduled_events/{uuid}/cancellation", s.api(scopeEventsWrite, s.cancelEvent))
}

// eventQuery is a parsed GET /scheduled_events query.
type eventQuery struct {
	user, organization, status, inviteeEmail string
	minStart, maxStart                       time.Time
	desc                                     bool
	page                                     pageRequest
}

// parseEventQuery reads GET /scheduled_events parameters; one of user and
// organization is required.
func parseEventQuery(q url.Values) (eventQuery, error) {
	var problems detailList
	eq := eventQuery{
		user:         q.Get("user"),
		organization: q.Get("organization"),
		status:       q.Get("status"),
		inviteeEmail: q.Get("invitee_email"),
		page:         parsePage(q, &problems),
		desc:         sortDirection(q, "start_time", &problems),
	}
	if eq.user == "" && eq.organization == "" && q.Get("group") == "" {
		problems.add("user", "user or organization is required")
	}
	checkStatus(eq.status, &problems)
	eq.minStart = parseTimeParam(q, "min_start_time", &problems)
	eq.maxStart = parseTimeParam(q, "max_start_time", &problems)
	return eq, problems.err()
}

func checkStatus(status string, problems *detailList) {
	if status != "" && status != calendly.StatusActive && status != calendly.StatusCanceled {
		problems.add("status", "must be active or canceled")
	}
}

func parseTimeParam(q url.Values, name string, problems *detailList) time.Time {
	raw := q.Get(name)
	if raw == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, raw)
	if err != nil {
		problems.add(name, "must be a UTC time like 2020-01-02T03:04:05.678123Z")
	}
	return t
}

func (s *Server) listEvents(r *http.Request, caller string) (int, any, error) {
	eq, err := parseEventQuery(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if eq.organization != "" && eq.organization != st.organization {
		return 0, nil, errPermission("You do not have permission to access this resource.")
	}
	if eq.user != "" && st.user(eq.user) == nil {
		return 0, nil, errNotFound()
	}
	rows := []calendly.ScheduledEvent{}
	for _, uri := range st.eventOrder {
		ev := st.events[uri]
		if (eq.user != "" && st.hosts[uri] != eq.user) ||
			(eq.status != "" && ev.Status != eq.status) ||
			(!eq.minStart.IsZero() && ev.StartTime.Before(eq.minStart)) ||
			(!eq.maxStart.IsZero() && !ev.StartTime.Before(eq.maxStart)) ||
			(eq.inviteeEmail != "" && !st.hasInviteeEmail(uri, eq.inviteeEmail)) {
			continue
		}
		rows = append(rows, *ev)
	}
	slices.SortStableFunc(rows, func(a, b calendly.ScheduledEvent) int {
		if eq.desc {
			a, b = b, a
		}
		return a.StartTime.Compare(b.StartTime.Time)
	})
	return http.StatusOK, paginate(rows, eq.page, s.URL, r), nil
}

func (st *state) hasInviteeEmail(eventURI, email string) bool {
	for _, uri := range st.eventInvitees[eventURI] {
		if strings.EqualFold(st.invitees[uri].Email, email) {
			return true
		}
	}
	return false
}

func (s *Server) getEvent(r *http.Request, caller string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.st.events[s.URL+"/scheduled_events/"+r.PathValue("uuid")]
	if ev == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, resource[calendly.ScheduledEvent]{*ev}, nil
}

func (s *Server) listInvitees(r *http.Request, caller string) (int, any, error) {
	q := r.URL.Query()
	var problems detailList
	page := parsePage(q, &problems)
	desc := sortDirection(q, "created_at", &problems)
	status, email := q.Get("status"), q.Get("email")
	checkStatus(status, &problems)
	if err := problems.err(); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	eventURI := s.URL + "/scheduled_events/" + r.PathValue("uuid")
	if s.st.events[eventURI] == nil {
		return 0, nil, errNotFound()
	}
	rows := []json.RawMessage{}
	for _, uri := range s.st.eventInvitees[eventURI] {
		inv := s.st.invitees[uri]
		if (status == "" || inv.Status == status) && (email == "" || strings.EqualFold(inv.Email, email)) {
			rows = append(rows, inviteeJSON(inv))
		}
	}
	if desc {
		slices.Reverse(rows)
	}
	return http.StatusOK, paginate(rows, page, s.URL, r), nil
}

func (s *Server) getInvitee(r *http.Request, caller string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inv := s.st.invitees[s.URL+"/scheduled_events/"+r.PathValue("uuid")+"/invitees/"+r.PathValue("invitee")]
	if inv == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, resource[json.RawMessage]{inviteeJSON(inv)}, nil
}

// cancelEvent is POST /scheduled_events/{uuid}/cancellation: the host
// cancels the event and every active invitee, each delivered as
// invitee.canceled.
func (s *Server) cancelEvent(r *http.Request, caller string) (int, any, error) {
	var body struct {
		Reason *string `json:"reason"`
	}
	raw, err := io.ReadAll(r.Body)
	if err == nil && len(strings.TrimSpace(string(raw))) > 0 {
		err = json.Unmarshal(raw, &body)
	}
	if err != nil {
		param, msg := describeJSONError(err)
		return 0, nil, errInvalid(calendly.ErrorDetail{Parameter: param, Message: msg})
	}
	if body.Reason != nil && len(*body.Reason) > 10000 {
		return 0, nil, errInvalid(calendly.ErrorDetail{Parameter: "reason", Message: "must be at most 10000 characters"})
	}
	var made calendly.Cancellation
	err = s.change(func(st *state, now calendly.Time) ([]outgoing, error) {
		ev := st.events[s.URL+"/scheduled_events/"+r.PathValue("uuid")]
		switch {
		case ev == nil:
			return nil, errNotFound()
		case ev.Status != calendly.StatusActive:
			return nil, errPermission("Event is already canceled")
		case ev.StartTime.Before(now.Time):
			return nil, errPermission("Event in the past")
		}
		canceler := st.user(caller)
		if canceler == nil {
			canceler = st.user(st.hosts[ev.URI])
		}
		made = calendly.Cancellation{CanceledBy: canceler.Name, Reason: body.Reason, CancelerType: "host", CreatedAt: now}
		var canceled []*calendly.Invitee
		for _, uri := range st.eventInvitees[ev.URI] {
			if inv := st.invitees[uri]; inv.Status == calendly.StatusActive {
				st.cancelInvitee(inv, made, now)
				canceled = append(canceled, inv)
			}
		}
		if ev.Status == calendly.StatusActive { // an event with no active invitees left
			eventCancellation := made
			ev.Status, ev.Cancellation, ev.UpdatedAt = calendly.StatusCanceled, &eventCancellation, now
		}
		// Built after every change, so each payload shows the canceled event.
		var out []outgoing
		for _, inv := range canceled {
			out = append(out, st.deliveries(calendly.EventInviteeCanceled, inv, now)...)
		}
		return out, nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, resource[calendly.Cancellation]{made}, nil
}
