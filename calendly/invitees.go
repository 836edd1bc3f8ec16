package calendly

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strings"
)

// InviteesService is /scheduled_events/{uuid}/invitees.
type InviteesService struct{ c *Client }

// ListInviteesOptions filter GET /scheduled_events/{uuid}/invitees.
type ListInviteesOptions struct {
	Status string // StatusActive or StatusCanceled; "" for both
	Email  string
	Sort   string // "created_at:asc" or "created_at:desc"
	ListOptions
}

func (o ListInviteesOptions) query(token string) (url.Values, error) {
	if o.Status != "" && o.Status != StatusActive && o.Status != StatusCanceled {
		return nil, fmt.Errorf("calendly: invitee status must be %q or %q, got %q", StatusActive, StatusCanceled, o.Status)
	}
	q := url.Values{}
	setIf(q, "status", o.Status)
	setIf(q, "email", o.Email)
	setIf(q, "sort", o.Sort)
	lo := o.ListOptions
	if token != "" {
		lo.PageToken = token
	}
	return q, lo.encode(q)
}

// List returns one page of an event's invitees; event is its UUID or URI.
func (s *InviteesService) List(ctx context.Context, event string, opts ListInviteesOptions) ([]Invitee, *Response, error) {
	id, err := resourceID("scheduled_events", event)
	if err != nil {
		return nil, nil, err
	}
	q, err := opts.query("")
	if err != nil {
		return nil, nil, err
	}
	return listPage[Invitee](ctx, s.c, "/scheduled_events/"+id+"/invitees", q)
}

// All walks every page of an event's invitees.
func (s *InviteesService) All(ctx context.Context, event string, opts ListInviteesOptions) iter.Seq2[Invitee, error] {
	return paginate(ctx, opts.PageToken, func(ctx context.Context, token string) ([]Invitee, *Response, error) {
		id, err := resourceID("scheduled_events", event)
		if err != nil {
			return nil, nil, err
		}
		q, err := opts.query(token)
		if err != nil {
			return nil, nil, err
		}
		return listPage[Invitee](ctx, s.c, "/scheduled_events/"+id+"/invitees", q)
	})
}

// Get is GET /scheduled_events/{event}/invitees/{invitee}. Pass the
// invitee's full URI as invitee and "" as event, or the two UUIDs.
func (s *InviteesService) Get(ctx context.Context, event, invitee string) (*Invitee, *Response, error) {
	if event == "" {
		var ok bool
		if event, ok = eventOfInvitee(invitee); !ok {
			return nil, nil, fmt.Errorf("calendly: %q is not an invitee URI (…/scheduled_events/UUID/invitees/UUID); pass the event too", invitee)
		}
	}
	eventID, err := resourceID("scheduled_events", event)
	if err != nil {
		return nil, nil, err
	}
	inviteeID, err := resourceID("invitees", invitee)
	if err != nil {
		return nil, nil, err
	}
	var body resourceBody[Invitee]
	resp, err := s.c.call(ctx, "GET", "/scheduled_events/"+eventID+"/invitees/"+inviteeID, nil, nil, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}

// eventOfInvitee cuts an invitee URI down to its event's URI.
func eventOfInvitee(inviteeURI string) (string, bool) {
	i := strings.LastIndex(inviteeURI, "/invitees/")
	if i <= 0 || !strings.Contains(inviteeURI[:i], "/scheduled_events/") {
		return "", false
	}
	return inviteeURI[:i], true
}
