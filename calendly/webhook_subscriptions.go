package calendly

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"net/url"
)

// WebhookSubscriptionsService is /webhook_subscriptions.
type WebhookSubscriptionsService struct{ c *Client }

// CreateWebhookSubscriptionRequest is the body of POST /webhook_subscriptions.
// SigningKey is secret: String and LogValue never show it.
type CreateWebhookSubscriptionRequest struct {
	URL          string   `json:"url"`
	Events       []string `json:"events"`
	Organization string   `json:"organization"`
	User         string   `json:"user,omitempty"`
	Group        string   `json:"group,omitempty"`
	Scope        string   `json:"scope"`
	// SigningKey is the key Calendly signs deliveries with (personal access
	// token subscriptions; OAuth apps sign with the app's key). Calendly
	// never returns it: keep it when you create the subscription.
	SigningKey string `json:"signing_key,omitempty"`
}

// String describes the request without its signing key.
func (r CreateWebhookSubscriptionRequest) String() string {
	key := "none"
	if r.SigningKey != "" {
		key = "[redacted]"
	}
	return fmt.Sprintf("webhook subscription %s scope=%s events=%v organization=%s user=%s signing_key=%s",
		r.URL, r.Scope, r.Events, r.Organization, r.User, key)
}

// LogValue keeps the signing key out of structured logs.
func (r CreateWebhookSubscriptionRequest) LogValue() slog.Value { return slog.StringValue(r.String()) }

// GoString keeps the signing key out of %#v.
func (r CreateWebhookSubscriptionRequest) GoString() string { return r.String() }

func (r CreateWebhookSubscriptionRequest) validate() error {
	switch {
	case r.URL == "":
		return errors.New("calendly: a webhook subscription needs the callback URL")
	case len(r.Events) == 0:
		return errors.New("calendly: a webhook subscription needs at least one event")
	case r.Organization == "":
		return errors.New("calendly: a webhook subscription needs the organization URI")
	case r.Scope != ScopeUser && r.Scope != ScopeOrganization && r.Scope != "group":
		return fmt.Errorf("calendly: webhook scope must be %q or %q, got %q", ScopeUser, ScopeOrganization, r.Scope)
	case r.Scope == ScopeUser && r.User == "":
		return errors.New("calendly: a user-scope webhook subscription needs the user URI")
	}
	return nil
}

// Create is POST /webhook_subscriptions. The same URL twice gives an
// *APIError matching ErrAlreadyExists (409).
func (s *WebhookSubscriptionsService) Create(ctx context.Context, req CreateWebhookSubscriptionRequest) (*WebhookSubscription, *Response, error) {
	if err := req.validate(); err != nil {
		return nil, nil, err
	}
	var body resourceBody[WebhookSubscription]
	resp, err := s.c.call(ctx, "POST", "/webhook_subscriptions", nil, req, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}

// ListWebhookSubscriptionsOptions filter GET /webhook_subscriptions;
// Organization and Scope are required, User too for scope "user".
type ListWebhookSubscriptionsOptions struct {
	Organization string
	Scope        string
	User         string
	Group        string
	Sort         string // e.g. "created_at:asc"
	ListOptions
}

func (o ListWebhookSubscriptionsOptions) query(token string) (url.Values, error) {
	switch {
	case o.Organization == "":
		return nil, errors.New("calendly: listing webhook subscriptions needs the organization URI")
	case o.Scope == "":
		return nil, errors.New("calendly: listing webhook subscriptions needs a scope (user or organization)")
	case o.Scope == ScopeUser && o.User == "":
		return nil, errors.New("calendly: listing user-scope webhook subscriptions needs the user URI")
	}
	q := url.Values{}
	q.Set("organization", o.Organization)
	q.Set("scope", o.Scope)
	setIf(q, "user", o.User)
	setIf(q, "group", o.Group)
	setIf(q, "sort", o.Sort)
	lo := o.ListOptions
	if token != "" {
		lo.PageToken = token
	}
	return q, lo.encode(q)
}

// List returns one page of subscriptions.
func (s *WebhookSubscriptionsService) List(ctx context.Context, opts ListWebhookSubscriptionsOptions) ([]WebhookSubscription, *Response, error) {
	q, err := opts.query("")
	if err != nil {
		return nil, nil, err
	}
	return listPage[WebhookSubscription](ctx, s.c, "/webhook_subscriptions", q)
}

// All walks every page.
func (s *WebhookSubscriptionsService) All(ctx context.Context, opts ListWebhookSubscriptionsOptions) iter.Seq2[WebhookSubscription, error] {
	return paginate(ctx, opts.PageToken, func(ctx context.Context, token string) ([]WebhookSubscription, *Response, error) {
		q, err := opts.query(token)
		if err != nil {
			return nil, nil, err
		}
		return listPage[WebhookSubscription](ctx, s.c, "/webhook_subscriptions", q)
	})
}

// Get is GET /webhook_subscriptions/{uuid}; ref is the UUID or the URI.
func (s *WebhookSubscriptionsService) Get(ctx context.Context, ref string) (*WebhookSubscription, *Response, error) {
	id, err := resourceID("webhook_subscriptions", ref)
	if err != nil {
		return nil, nil, err
	}
	var body resourceBody[WebhookSubscription]
	resp, err := s.c.call(ctx, "GET", "/webhook_subscriptions/"+id, nil, nil, &body)
	if err != nil {
		return nil, resp, err
	}
	return &body.Resource, resp, nil
}

// Delete is DELETE /webhook_subscriptions/{uuid}.
func (s *WebhookSubscriptionsService) Delete(ctx context.Context, ref string) (*Response, error) {
	id, err := resourceID("webhook_subscriptions", ref)
	if err != nil {
		return nil, err
	}
	return s.c.call(ctx, "DELETE", "/webhook_subscriptions/"+id, nil, nil, nil)
}
