package calendly

import (
	"context"
	"errors"
)

// NoShowsService is /invitee_no_shows.
type NoShowsService struct{ c *Client }

// Create is POST /invitee_no_shows: marks the invitee (its URI) a no-show.
func (s *NoShowsService) Create(ctx context.Context, inviteeURI string) (*InviteeNoShow, *Response, error) {
	if inviteeURI == "" {
		return nil, nil, errors.New("calendly: marking a no-show needs the invitee URI")
	}
	req := struct {
		Invitee string `json:"invitee"`
	}{inviteeURI}
	var body resourceBody[InviteeNoShow]
	resp, err := s.c.call(ctx, "POST", "/invitee_no_shows", nil, req, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}

// Get is GET /invitee_no_shows/{uuid}; ref is the UUID or the URI.
func (s *NoShowsService) Get(ctx context.Context, ref string) (*InviteeNoShow, *Response, error) {
	id, err := resourceID("invitee_no_shows", ref)
	if err != nil {
		return nil, nil, err
	}
	var body resourceBody[InviteeNoShow]
	resp, err := s.c.call(ctx, "GET", "/invitee_no_shows/"+id, nil, nil, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}

// Delete is DELETE /invitee_no_shows/{uuid}: the invitee showed after all.
func (s *NoShowsService) Delete(ctx context.Context, ref string) (*Response, error) {
	id, err := resourceID("invitee_no_shows", ref)
	if err != nil {
		return nil, err
	}
	return s.c.call(ctx, "DELETE", "/invitee_no_shows/"+id, nil, nil, nil)
}
