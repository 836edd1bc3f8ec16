package calendly

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// The real Calendly hosts; WithBaseURL and WithAuthURL point elsewhere (the
// emulator, a test server).
const (
	DefaultBaseURL   = "https://api.calendly.com"
	DefaultAuthURL   = "https://auth.calendly.com"
	DefaultUserAgent = "calwatch"
)

// maxResponseBytes bounds what the client reads from one answer: Calendly's
// largest pages (100 events with their memberships) are far below it.
const maxResponseBytes = 8 << 20

// Client talks to Calendly API v2. Its services group the endpoints by
// resource, go-github style: client.ScheduledEvents.List(ctx, opts).
// A Client is safe for concurrent use.
type Client struct {
	settings
	httpClient *http.Client

	Users                *UsersService
	Organizations        *OrganizationsService
	WebhookSubscriptions *WebhookSubscriptionsService
	ScheduledEvents      *ScheduledEventsService
	Invitees             *InviteesService
	NoShows              *NoShowsService
}

// settings are what the options set; NewClient and NewOAuthApp share them.
type settings struct {
	baseURL       *url.URL
	authURL       *url.URL
	httpClient    *http.Client
	userAgent     string
	maxRateWait   time.Duration
	now           func() time.Time
	sleep         func(ctx context.Context, d time.Duration) error
	rateRetryMax  int
	refreshBudget time.Duration
}

// Option configures a Client or an OAuthApp.
type Option func(*settings) error

// WithBaseURL sets the API origin (default https://api.calendly.com).
func WithBaseURL(raw string) Option {
	return func(s *settings) error {
		u, err := parseOrigin(raw)
		if err != nil {
			return fmt.Errorf("calendly: API base URL: %w", err)
		}
		s.baseURL = u
		return nil
	}
}

// WithAuthURL sets the OAuth origin (default https://auth.calendly.com).
func WithAuthURL(raw string) Option {
	return func(s *settings) error {
		u, err := parseOrigin(raw)
		if err != nil {
			return fmt.Errorf("calendly: auth base URL: %w", err)
		}
		s.authURL = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client whose transport carries every request
// (default http.DefaultClient). The client's own Timeout still applies.
func WithHTTPClient(c *http.Client) Option {
	return func(s *settings) error {
		if c == nil {
			return errors.New("calendly: WithHTTPClient needs a client, got nil")
		}
		s.httpClient = c
		return nil
	}
}

// WithUserAgent sets the User-Agent header (default "calwatch").
func WithUserAgent(ua string) Option {
	return func(s *settings) error {
		if strings.ContainsAny(ua, "\r\n") {
			return errors.New("calendly: user agent must be one line")
		}
		s.userAgent = ua
		return nil
	}
}

// WithRateLimitWait lets the client wait out a 429 and retry, as long as the
// total time waited for one call stays within max and its context allows.
// Without it (or with 0) a 429 is returned at once as a *RateLimitError.
func WithRateLimitWait(max time.Duration) Option {
	return func(s *settings) error {
		if max < 0 {
			return errors.New("calendly: rate-limit wait must not be negative")
		}
		s.maxRateWait = max
		return nil
	}
}

// parseOrigin reads an absolute http(s) URL with no query or fragment.
func parseOrigin(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL", raw)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q must be an absolute http or https URL", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q must not carry a query, fragment or user info", raw)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func newSettings(opts []Option) (settings, error) {
	s := settings{
		httpClient:    http.DefaultClient,
		userAgent:     DefaultUserAgent,
		now:           time.Now,
		sleep:         sleepContext,
		rateRetryMax:  5,
		refreshBudget: 30 * time.Second,
	}
	s.baseURL, _ = url.Parse(DefaultBaseURL)
	s.authURL, _ = url.Parse(DefaultAuthURL)
	for _, opt := range opts {
		if err := opt(&s); err != nil {
			return settings{}, err
		}
	}
	return s, nil
}

// NewClient returns a client that authenticates every request with tokens
// from ts: a PersistingTokenSource for OAuth, StaticToken for a personal
// access token.
func NewClient(ts oauth2.TokenSource, opts ...Option) (*Client, error) {
	if ts == nil {
		return nil, errors.New("calendly: NewClient needs a token source (StaticToken for a personal access token)")
	}
	s, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	base := s.httpClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c := &Client{
		settings: s,
		httpClient: &http.Client{
			Transport: bearerTransport{source: ts, base: base},
			// Never follow a redirect: the next request would carry the
			// bearer token to wherever the Location points.
			CheckRedirect: noRedirects,
			Jar:           s.httpClient.Jar,
			Timeout:       s.httpClient.Timeout,
		},
	}
	c.Users = &UsersService{c}
	c.Organizations = &OrganizationsService{c}
	c.WebhookSubscriptions = &WebhookSubscriptionsService{c}
	c.ScheduledEvents = &ScheduledEventsService{c}
	c.Invitees = &InviteesService{c}
	c.NoShows = &NoShowsService{c}
	return c, nil
}

// StaticToken is the token source for a personal access token: it never
// refreshes.
func StaticToken(personalAccessToken string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: personalAccessToken, TokenType: "Bearer"})
}

// BaseURL is the API origin the client talks to.
func (c *Client) BaseURL() string { return c.baseURL.String() }

// Response is Calendly's answer to one call, with what the client read from
// it: the next page token of a list and the rate-limit headers.
type Response struct {
	*http.Response
	// NextPageToken is pagination.next_page_token, "" on the last page.
	NextPageToken string
	// Rate is the rate-limit state the answer reported (zero when absent).
	Rate Rate
}

// Rate is the state of the caller's rate limit after an answer.
type Rate struct {
	Limit     int       // requests allowed per window
	Remaining int       // requests left in this window
	Reset     time.Time // when the window resets
}

// resourceBody and collectionBody are Calendly's two answer shapes.
type resourceBody[T any] struct {
	Resource T `json:"resource"`
}

type collectionBody[T any] struct {
	Collection []T        `json:"collection"`
	Pagination Pagination `json:"pagination"`
}

// call sends one request and decodes a JSON answer into out (nil: no body
// expected). query may be nil; body is JSON-encoded when not nil.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any) (*Response, error) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("calendly: encode %s %s request: %w", method, path, err)
		}
	}
	u := c.baseURL.JoinPath(path)
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		resp, err := c.do(ctx, method, u.String(), payload, out)
		var rle *RateLimitError
		if !errors.As(err, &rle) || attempt >= c.rateRetryMax || rle.Rate.Reset.IsZero() {
			return resp, err // no reset time: waiting would be a guess
		}
		wait := max(rle.Rate.Reset.Sub(c.now()), 0)
		if waited+wait > c.maxRateWait || c.maxRateWait == 0 {
			return resp, err
		}
		if err := c.sleep(ctx, wait); err != nil {
			return resp, fmt.Errorf("calendly: gave up waiting for the rate limit to reset: %w", err)
		}
		waited += wait
	}
}

func (c *Client) do(ctx context.Context, method, rawURL string, payload []byte, out any) (*Response, error) {
	var reader io.Reader
	if payload != nil {
		reader = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, reader)
	if err != nil {
		return nil, fmt.Errorf("calendly: build %s request: %w", method, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	httpResp, err := c.httpClient.Do(req)
	if err != nil {
		return nil, describeTransportError(ctx, method, req.URL, err)
	}
	defer httpResp.Body.Close()
	resp := &Response{Response: httpResp, Rate: parseRate(httpResp.Header, c.now())}
	raw, err := io.ReadAll(io.LimitReader(httpResp.Body, maxResponseBytes+1))
	if err != nil {
		return resp, fmt.Errorf("calendly: read the answer to %s %s: %w", method, req.URL.Path, err)
	}
	if len(raw) > maxResponseBytes {
		return resp, fmt.Errorf("calendly: the answer to %s %s is larger than %d bytes; refusing it", method, req.URL.Path, maxResponseBytes)
	}
	if err := checkRedirect(httpResp); err != nil {
		return resp, err
	}
	if err := checkResponse(httpResp, raw, resp.Rate); err != nil {
		return resp, err
	}
	if out == nil || httpResp.StatusCode == http.StatusNoContent {
		return resp, nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return resp, fmt.Errorf("calendly: the answer to %s %s is not the JSON expected (%v); is the base URL %s right?", method, req.URL.Path, err, c.baseURL)
	}
	return resp, nil
}
