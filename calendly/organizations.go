package calendly

import (
	"context"
	"errors"
	"iter"
	"net/url"
)

// OrganizationsService is /organization_memberships.
type OrganizationsService struct{ c *Client }

// ListMembershipsOptions filter GET /organization_memberships; Calendly
// needs User or Organization.
type ListMembershipsOptions struct {
	User         string // user URI
	Organization string // organization URI
	Email        string
	ListOptions
}

func (o ListMembershipsOptions) query(token string) (url.Values, error) {
	if o.User == "" && o.Organization == "" {
		return nil, errors.New("calendly: listing organization memberships needs a user or an organization URI")
	}
	q := url.Values{}
	setIf(q, "user", o.User)
	setIf(q, "organization", o.Organization)
	setIf(q, "email", o.Email)
	lo := o.ListOptions
	if token != "" {
		lo.PageToken = token
	}
	return q, lo.encode(q)
}

// ListMemberships returns one page of memberships.
func (s *OrganizationsService) ListMemberships(ctx context.Context, opts ListMembershipsOptions) ([]OrganizationMembership, *Response, error) {
	q, err := opts.query("")
	if err != nil {
		return nil, nil, err
	}
	return listPage[OrganizationMembership](ctx, s.c, "/organization_memberships", q)
}

// AllMemberships walks every page.
func (s *OrganizationsService) AllMemberships(ctx context.Context, opts ListMembershipsOptions) iter.Seq2[OrganizationMembership, error] {
	return paginate(ctx, opts.PageToken, func(ctx context.Context, token string) ([]OrganizationMembership, *Response, error) {
		q, err := opts.query(token)
		if err != nil {
			return nil, nil, err
		}
		return listPage[OrganizationMembership](ctx, s.c, "/organization_memberships", q)
	})
}
