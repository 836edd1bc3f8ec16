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
	scopeWebhooksRead  = "webhooks:read"
	scopeWebhooksWrite = "webhooks:write"
)

// msgUpgradeForWebhooks is Calendly's 403 message to an account whose plan
// has no webhooks.
const msgUpgradeForWebhooks = "Please upgrade your Calendly account to Professional"

// subscribableEvents are the event names POST /webhook_subscriptions takes.
var subscribableEvents = calendly.KnownEvents

func (s *Server) registerSubscriptionRoutes() {
	s.mux.HandleFunc("POST /webhook_subscriptions", s.api(scopeWebhooksWrite, s.createSubscription))
	s.mux.HandleFunc("GET /webhook_subscriptions", s.api(scopeWebhooksRead, s.listSubscriptions))
	s.mux.HandleFunc("GET /webhook_subscriptions/{uuid}", s.api(scopeWebhooksRead, s.getSubscription))
	s.mux.HandleFunc("DELETE /webhook_subscriptions/{uuid}", s.api(scopeWebhooksWrite, s.deleteSubscription))
}

// subscriptionRequest is the body of POST /webhook_subscriptions.
type subscriptionRequest struct {
	URL          string   `json:"url"`
	Events       []string `json:"events"`
	Organization string   `json:"organization"`
	User         string   `json:"user"`
	Group        string   `json:"group"`
	Scope        string   `json:"scope"`
	SigningKey   string   `json:"signing_key"`
}

// parseSubscriptionRequest reads and checks a creation body on its own;
// whether the organization and user are the caller's is checked later.
func parseSubscriptionRequest(body []byte) (subscriptionRequest, error) {
	var req subscriptionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		param, msg := describeJSONError(err)
		return req, errInvalid(calendly.ErrorDetail{Parameter: param, Message: msg})
	}
	var problems detailList
	if req.URL == "" {
		problems.add("url", "is required")
	} else if u, err := url.Parse(req.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(req.URL) > 2048 {
		problems.add("url", "must be an absolute http or https URL")
	}
	if len(req.Events) == 0 {
		problems.add("events", "is required")
	}
	for _, e := range req.Events {
		if !slices.Contains(subscribableEvents, e) {
			problems.add("events", "contains an unknown event: must be one of "+strings.Join(subscribableEvents, ", "))
			break
		}
	}
	if req.Organization == "" {
		problems.add("organization", "is required")
	}
	switch req.Scope {
	case "":
		problems.add("scope", "is required")
	case calendly.ScopeUser:
		if req.User == "" {
			problems.add("user", "is required when scope is user")
		}
	case calendly.ScopeOrganization:
	case "group":
		problems.add("scope", "group scope is not supported by the emulator; use user or organization")
	default:
		problems.add("scope", "must be user or organization")
	}
	if len(req.SigningKey) > 1024 {
		problems.add("signing_key", "must be at most 1024 characters")
	}
	return req, problems.err()
}

func (s *Server) createSubscription(r *http.Request, caller string) (int, any, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		param, msg := describeJSONError(err)
		return 0, nil, errInvalid(calendly.ErrorDetail{Parameter: param, Message: msg})
	}
	req, err := parseSubscriptionRequest(body)
	if err != nil {
		return 0, nil, err
	}
	if s.opts.Plan == PlanFree {
		// The wording of the 2023 OpenAPI spec's examples "Caller's account
		// is basic tier" and "… essentials tier" (the 2026 Postman
		// collection has no example of this answer).
		return 0, nil, errPermission(msgUpgradeForWebhooks)
	}
	// Subscriptions made with a personal access token sign with the key
	// they were given; OAuth apps' sign with the app's key.
	key := s.opts.SigningKey
	if s.isPersonalAccessToken(r) {
		key = req.SigningKey
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	if req.Organization != st.organization {
		return 0, nil, errPermission("You do not have permission")
	}
	var user *string
	if req.Scope == calendly.ScopeUser {
		if st.user(req.User) == nil {
			return 0, nil, errPermission("You do not have permission")
		}
		user = calendly.Ptr(req.User)
	}
	for _, uri := range st.subOrder {
		existing := st.subscriptions[uri].resource
		if existing.CallbackURL == req.URL && calendly.Str(existing.Creator) == caller {
			return 0, nil, errAlreadyExists("Hook with this url already exists")
		}
	}
	now := calendly.NewTime(s.now())
	var events []string
	for _, e := range req.Events {
		if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	sub := &subscription{
		resource: calendly.WebhookSubscription{
			URI:          s.URL + "/webhook_subscriptions/" + newUUID(),
			CallbackURL:  req.URL,
			CreatedAt:    now,
			UpdatedAt:    now,
			State:        calendly.StateActive,
			Events:       events,
			Scope:        req.Scope,
			Organization: st.organization,
			User:         user,
			Creator:      calendly.Ptr(caller),
		},
	}
	if key != "" {
		sub.signingKey = []byte(key)
	}
	st.subscriptions[sub.resource.URI] = sub
	st.subOrder = append(st.subOrder, sub.resource.URI)
	s.subscribedOnce.Do(func() { close(s.subscribed) })
	return http.StatusCreated, resource[calendly.WebhookSubscription]{sub.resource}, nil
}

// isPersonalAccessToken reads the request's bearer token as authenticate
// did (the scheme in any case) and says whether it is a personal access
// token.
func (s *Server) isPersonalAccessToken(r *http.Request) bool {
	token, ok := bearerToken(r)
	return ok && s.auth.isPersonalAccessToken(token)
}

// listSubscriptions is GET /webhook_subscriptions: organization and scope
// are required, user too for scope=user.
func (s *Server) listSubscriptions(r *http.Request, caller string) (int, any, error) {
	q := r.URL.Query()
	var problems detailList
	page := parsePage(q, &problems)
	desc := sortDirection(q, "created_at", &problems)
	org, scope, user := q.Get("organization"), q.Get("scope"), q.Get("user")
	if org == "" {
		problems.add("organization", "is required")
	}
	switch scope {
	case "":
		problems.add("scope", "is required")
	case calendly.ScopeUser:
		if user == "" {
			problems.add("user", "is required when scope is user")
		}
	case calendly.ScopeOrganization:
	default:
		problems.add("scope", "must be user or organization")
	}
	if err := problems.err(); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if org != s.st.organization {
		return 0, nil, errPermission("You do not have permission")
	}
	rows := []calendly.WebhookSubscription{}
	for _, uri := range s.st.subOrder {
		res := s.st.subscriptions[uri].resource
		if res.Scope == scope && (user == "" || calendly.Str(res.User) == user) {
			rows = append(rows, res)
		}
	}
	if desc {
		slices.Reverse(rows)
	}
	return http.StatusOK, paginate(rows, page, s.URL, r), nil
}

func (s *Server) getSubscription(r *http.Request, caller string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.st.subscriptions[s.URL+"/webhook_subscriptions/"+r.PathValue("uuid")]
	if sub == nil {
		return 0, nil, errNotFound()
	}
	return http.StatusOK, resource[calendly.WebhookSubscription]{sub.resource}, nil
}

func (s *Server) deleteSubscription(r *http.Request, caller string) (int, any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uri := s.URL + "/webhook_subscriptions/" + r.PathValue("uuid")
	if !s.st.removeSubscription(uri) {
		return 0, nil, errNotFound()
	}
	s.deliverer.drop(uri)
	return http.StatusNoContent, nil, nil
}

// The deliverer's hooks into subscription state.

func (s *Server) subscriptionRetrying(uri string, since time.Time) {
	s.updateSubscription(uri, func(res *calendly.WebhookSubscription) {
		if res.RetryStartedAt == nil {
			res.RetryStartedAt = calendly.Ptr(calendly.NewTime(since))
		}
	})
}

func (s *Server) subscriptionRecovered(uri string) {
	s.updateSubscription(uri, func(res *calendly.WebhookSubscription) { res.RetryStartedAt = nil })
}

func (s *Server) disableSubscription(uri string) {
	s.updateSubscription(uri, func(res *calendly.WebhookSubscription) { res.State = calendly.StateDisabled })
}

func (s *Server) removeSubscription(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.removeSubscription(uri)
}

func (s *Server) updateSubscription(uri string, update func(*calendly.WebhookSubscription)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.st.subscriptions[uri]; sub != nil {
		update(&sub.resource)
		sub.resource.UpdatedAt = calendly.NewTime(s.now())
	}
}
