package calendly

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"time"
)

// ScheduledEventsService is /scheduled_events.
type ScheduledEventsService struct{ c *Client }

// ListScheduledEventsOptions filter GET /scheduled_events; Calendly needs
// User or Organization (or Group).
type ListScheduledEventsOptions struct {
	User         string
	Organization string
	Group        string
	Status       string // StatusActive or StatusCanceled; "" for both
	InviteeEmail string
	MinStartTime time.Time
	MaxStartTime time.Time
	Sort         string // "start_time:asc" or "start_time:desc"
	ListOptions
}

func (o ListScheduledEventsOptions) query(token string) (url.Values, error) {
	if o.User == "" && o.Organization == "" && o.Group == "" {
		return nil, errors.New("calendly: listing scheduled events needs a user, organization or group URI")
	}
	if o.Status != "" && o.Status != StatusActive && o.Status != StatusCanceled {
		return nil, fmt.Errorf("calendly: event status must be %q or %q, got %q", StatusActive, StatusCanceled, o.Status)
	}
	if !o.MinStartTime.IsZero() && !o.MaxStartTime.IsZero() && o.MaxStartTime.Before(o.MinStartTime) {
		return nil, errors.New("calendly: max_start_time is before min_start_time")
	}
	q := url.Values{}
	setIf(q, "user", o.User)
	setIf(q, "organization", o.Organization)
	setIf(q, "group", o.Group)
	setIf(q, "status", o.Status)
	setIf(q, "invitee_email", o.InviteeEmail)
	setTime(q, "min_start_time", o.MinStartTime)
	setTime(q, "max_start_time", o.MaxStartTime)
	setIf(q, "sort", o.Sort)
	lo := o.ListOptions
	if token != "" {
		lo.PageToken = token
	}
	return q, lo.encode(q)
}

// List returns one page of scheduled events.
func (s *ScheduledEventsService) List(ctx context.Context, opts ListScheduledEventsOptions) ([]ScheduledEvent, *Response, error) {
	q, err := opts.query("")
	if err != nil {
		return nil, nil, err
	}
	return listPage[ScheduledEvent](ctx, s.c, "/scheduled_events", q)
}

// All walks every page.
func (s *ScheduledEventsService) All(ctx context.Context, opts ListScheduledEventsOptions) iter.Seq2[ScheduledEvent, error] {
	return paginate(ctx, opts.PageToken, func(ctx context.Context, token string) ([]ScheduledEvent, *Response, error) {
		q, err := opts.query(token)
		if err != nil {
			return nil, nil, err
		}
		return listPage[ScheduledEvent](ctx, s.c, "/scheduled_events", q)
	})
}

// Get is GET /scheduled_events/{uuid}; ref is the UUID or the URI.
func (s *ScheduledEventsService) Get(ctx context.Context, ref string) (*ScheduledEvent, *Response, error) {
	id, err := resourceID("scheduled_events", ref)
	if err != nil {
		return nil, nil, err
	}
	var body resourceBody[ScheduledEvent]
	resp, err := s.c.call(ctx, "GET", "/scheduled_events/"+id, nil, nil, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}

// Cancel is POST /scheduled_events/{uuid}/cancellation: it cancels the
// event for every invitee, who are told reason.
func (s *ScheduledEventsService) Cancel(ctx context.Context, ref, reason string) (*Cancellation, *Response, error) {
	id, err := resourceID("scheduled_events", ref)
	if err != nil {
		return nil, nil, err
	}
	req := struct {
		Reason string `json:"reason,omitempty"`
	}{reason}
	var body resourceBody[Cancellation]
	resp, err := s.c.call(ctx, "POST", "/scheduled_events/"+id+"/cancellation", nil, req, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}
