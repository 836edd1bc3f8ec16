package calendly

import "context"

// UsersService is /users.
type UsersService struct{ c *Client }

// Me is GET /users/me: the user the token belongs to. A personal access
// token carries no owner, so this is how to learn who and which
// organization it is.
func (s *UsersService) Me(ctx context.Context) (*User, *Response, error) {
	var body resourceBody[User]
	resp, err := s.c.call(ctx, "GET", "/users/me", nil, nil, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}

// Get is GET /users/{uuid}; ref is the UUID or the user's URI.
func (s *UsersService) Get(ctx context.Context, ref string) (*User, *Response, error) {
	id, err := resourceID("users", ref)
	if err != nil {
		return nil, nil, err
	}
	var body resourceBody[User]
	resp, err := s.c.call(ctx, "GET", "/users/"+id, nil, nil, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}
