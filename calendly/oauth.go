package calendly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// OAuth scopes (Calendly's since 2026-03).
const (
	ScopeUsersRead           = "users:read"
	ScopeScheduledEventsRead = "scheduled_events:read"
	ScopeWebhooksWrite       = "webhooks:write"
)

// DefaultScopes are what calwatch asks for: read the user and the bookings,
// manage its own webhook subscription.
var DefaultScopes = []string{ScopeUsersRead, ScopeScheduledEventsRead, ScopeWebhooksWrite}

// ErrReauthRequired means the saved grant cannot be refreshed any more (the
// refresh token was spent, revoked or is missing): the user must sign in.
var ErrReauthRequired = errors.New("calendly: the saved sign-in can no longer be refreshed; sign in again")

// TokenResponse is the JSON of POST /oauth/token.
type TokenResponse struct {
	TokenType    string `json:"token_type"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
	CreatedAt    int64  `json:"created_at"`
	Scope        string `json:"scope"`
	Owner        string `json:"owner"`
	Organization string `json:"organization,omitempty"`
}

// Introspection is the JSON of POST /oauth/introspect. An inactive token
// has only Active false.
type Introspection struct {
	Active       bool   `json:"active"`
	Scope        string `json:"scope,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	TokenType    string `json:"token_type,omitempty"`
	Exp          int64  `json:"exp,omitempty"`
	Iat          int64  `json:"iat,omitempty"`
	Owner        string `json:"owner,omitempty"`
	Organization string `json:"organization,omitempty"`
}

// OAuthError is the RFC 6749 error body of the auth endpoints.
type OAuthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

func (e *OAuthError) Error() string {
	if e.Description == "" {
		return "calendly: oauth: " + e.Code
	}
	return "calendly: oauth: " + e.Code + ": " + clip(e.Description)
}

// Is makes invalid_grant match ErrReauthRequired.
func (e *OAuthError) Is(target error) bool {
	return target == ErrReauthRequired && e.Code == "invalid_grant"
}

// TokenOwner reads owner and organization from a token fresh from the token
// endpoint (they do not survive oauth2.Token's own JSON encoding: save them
// beside it).
func TokenOwner(tok *oauth2.Token) (owner, organization string) {
	if tok == nil {
		return "", ""
	}
	owner, _ = tok.Extra("owner").(string)
	organization, _ = tok.Extra("organization").(string)
	return owner, organization
}

// OAuthApp is a Calendly OAuth application: the authorize URL with PKCE,
// the code exchange, refresh, revoke and introspect.
type OAuthApp struct {
	settings
	config     oauth2.Config
	httpClient *http.Client
}

// NewOAuthApp describes the app registered at Calendly with clientID (and
// clientSecret, "" for a public client that relies on PKCE alone).
// Scopes default to DefaultScopes.
func NewOAuthApp(clientID, clientSecret, redirectURL string, scopes []string, opts ...Option) (*OAuthApp, error) {
	if clientID == "" {
		return nil, errors.New("calendly: the OAuth app needs its client ID")
	}
	if err := checkRedirectURL(redirectURL); err != nil {
		return nil, err
	}
	s, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	style := oauth2.AuthStyleInHeader
	if clientSecret == "" {
		style = oauth2.AuthStyleInParams
	}
	a := &OAuthApp{settings: s}
	a.config = oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret,
		RedirectURL:  redirectURL,
		Scopes:       append([]string(nil), scopes...),
		Endpoint: oauth2.Endpoint{
			AuthURL:   s.authURL.JoinPath("/oauth/authorize").String(),
			TokenURL:  s.authURL.JoinPath("/oauth/token").String(),
			AuthStyle: style,
		},
	}
	base := s.httpClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	a.httpClient = &http.Client{
		Transport:     userAgentTransport{ua: s.userAgent, base: base},
		CheckRedirect: noRedirects,
		Timeout:       s.httpClient.Timeout,
	}
	return a, nil
}

func checkRedirectURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("calendly: OAuth redirect URL %q must be an absolute http or https URL without a fragment", raw)
	}
	return nil
}

// String names the app without its secret.
func (a *OAuthApp) String() string { return "Calendly OAuth app " + a.config.ClientID }

// GoString keeps the client secret out of %#v.
func (a *OAuthApp) GoString() string { return a.String() }

// Config is a copy of the oauth2 configuration.
func (a *OAuthApp) Config() *oauth2.Config {
	c := a.config
	c.Scopes = append([]string(nil), a.config.Scopes...)
	return &c
}

// AuthCodeURL is where to send the user: it carries state and the S256
// challenge of verifier (make one with oauth2.GenerateVerifier).
func (a *OAuthApp) AuthCodeURL(state, verifier string) string {
	return a.config.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// Exchange trades the code the redirect brought back for a token.
func (a *OAuthApp) Exchange(ctx context.Context, code, verifier string) (*oauth2.Token, error) {
	tok, err := a.config.Exchange(a.oauthContext(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, describeOAuthFailure("exchange the authorization code", err)
	}
	return tok, nil
}

// refresh trades a refresh token for a new pair (the old one is spent).
func (a *OAuthApp) refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	tok, err := a.config.TokenSource(a.oauthContext(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, describeOAuthFailure("refresh the access token", err)
	}
	return tok, nil
}

// Revoke is POST /oauth/revoke: token (access or refresh) stops working.
func (a *OAuthApp) Revoke(ctx context.Context, token string) error {
	return a.postForm(ctx, "/oauth/revoke", "revoke the token", url.Values{"token": {token}}, nil)
}

// Introspect is POST /oauth/introspect.
func (a *OAuthApp) Introspect(ctx context.Context, token string) (*Introspection, error) {
	var out Introspection
	if err := a.postForm(ctx, "/oauth/introspect", "introspect the token", url.Values{"token": {token}}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (a *OAuthApp) postForm(ctx context.Context, path, doing string, form url.Values, out any) error {
	if a.config.ClientSecret == "" {
		form.Set("client_id", a.config.ClientID)
	}
	req, err := http.NewRequestWithContext(ctx, "POST", a.authURL.JoinPath(path).String(), strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("calendly: %s: %w", doing, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if a.config.ClientSecret != "" {
		req.SetBasicAuth(url.QueryEscape(a.config.ClientID), url.QueryEscape(a.config.ClientSecret))
	}
	resp, err := a.httpClient.Do(req)
	if err != nil {
		return describeTransportError(ctx, "POST", req.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("calendly: %s: reading the answer: %w", doing, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("calendly: could not %s: %w", doing, oauthErrorFrom(resp.StatusCode, raw))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("calendly: could not %s: the answer is not JSON (%v); is the auth URL %s right?", doing, err, a.authURL)
	}
	return nil
}

func oauthErrorFrom(status int, raw []byte) error {
	var oe OAuthError
	if json.Unmarshal(raw, &oe) == nil && oe.Code != "" {
		oe.Code = clip(oe.Code)
		oe.Description = clip(oe.Description)
		return &oe
	}
	return &OAuthError{Code: fmt.Sprintf("http_%d", status), Description: parseErrorBody(raw).Message}
}

// describeOAuthFailure turns what x/oauth2 returns into one line that
// quotes the error code, never the request or a token.
func describeOAuthFailure(doing string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Errorf("calendly: could not %s: %w", doing, describeRetrieveError(re))
	}
	return fmt.Errorf("calendly: could not %s: %w", doing, err)
}

func describeRetrieveError(re *oauth2.RetrieveError) error {
	if re.ErrorCode != "" {
		return &OAuthError{Code: clip(re.ErrorCode), Description: clip(re.ErrorDescription)}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	return oauthErrorFrom(status, re.Body)
}

func (a *OAuthApp) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, a.httpClient)
}

// noRedirects: an auth endpoint that redirects is misconfigured, and
// following would resend credentials.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

type userAgentTransport struct {
	ua   string
	base http.RoundTripper
}

func (t userAgentTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("User-Agent", t.ua)
	return t.base.RoundTrip(r)
}
