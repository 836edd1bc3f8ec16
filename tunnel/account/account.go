package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// Auth kinds, as stored and shown.
const (
	KindOAuth = "oauth"
	KindPAT   = "pat"
	KindEnv   = "env" // CALENDLY_TOKEN: used for one run, never stored
)

// The identities the account's secrets are sealed for.
const (
	identityAccessToken  = "integration/access_token"
	identityRefreshToken = "integration/refresh_token"
	identityClientSecret = "integration/client_secret"
)

// ErrNotLoggedIn means no account is stored and no CALENDLY_TOKEN is set.
var ErrNotLoggedIn = errors.New("not logged in to Calendly; run calwatch login (or set CALENDLY_TOKEN for one run)")

// ErrLoginRequired is the "log in again" state: the stored grant cannot be
// used any more (the refresh token was spent elsewhere or revoked, the
// account was logged out, or its secrets no longer open). It matches
// calendly.ErrReauthRequired too.
var ErrLoginRequired error = loginRequired{}

type loginRequired struct{}

func (loginRequired) Error() string {
	return "the Calendly login can no longer be used; run calwatch login again"
}
func (loginRequired) Is(target error) bool { return target == calendly.ErrReauthRequired }

// loginRequiredBecause is ErrLoginRequired with its reason.
func loginRequiredBecause(reason string) error {
	return fmt.Errorf("%w (%s)", ErrLoginRequired, reason)
}

const reasonSealed = "the stored secrets do not open with this home's data key"

// Hosts are the Calendly origins a login talks to; "" is the real host.
type Hosts struct {
	APIURL  string
	AuthURL string
}

func (h Hosts) withDefaults() Hosts {
	if h.APIURL == "" {
		h.APIURL = calendly.DefaultBaseURL
	}
	if h.AuthURL == "" {
		h.AuthURL = calendly.DefaultAuthURL
	}
	return h
}

// Account is what calwatch knows of the Calendly account, without secrets.
type Account struct {
	AuthKind        string     `json:"auth_kind"`
	UserURI         string     `json:"user_uri"`
	Name            string     `json:"name"`
	Email           string     `json:"email"`
	OrganizationURI string     `json:"organization_uri"`
	Scopes          []string   `json:"scopes"`
	TokenExpiresAt  *time.Time `json:"token_expires_at"`
	APIURL          string     `json:"api_url"`
	AuthURL         string     `json:"auth_url"`
}

// Home is the account of one calwatch home: its database, its data key and
// the folder of its refresh lock.
type Home struct {
	Store      *storage.Store
	Keys       *KeyStore
	StateDir   string       // the refresh lock lives here
	HTTPClient *http.Client // nil: http.DefaultClient
}

func (h *Home) clientOptions(hosts Hosts) []calendly.Option {
	opts := []calendly.Option{calendly.WithBaseURL(hosts.APIURL), calendly.WithAuthURL(hosts.AuthURL)}
	if h.HTTPClient != nil {
		opts = append(opts, calendly.WithHTTPClient(h.HTTPClient))
	}
	return opts
}

// Account returns the stored account, or ErrNotLoggedIn.
func (h *Home) Account(ctx context.Context) (Account, error) {
	in, err := h.Store.Integration(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return Account{}, ErrNotLoggedIn
	}
	if err != nil {
		return Account{}, err
	}
	return accountFrom(in), nil
}

func accountFrom(in storage.Integration) Account {
	a := Account{AuthKind: in.AuthKind, UserURI: in.UserURI, Name: in.UserName, Email: in.UserEmail,
		OrganizationURI: in.OrganizationURI, Scopes: strings.Fields(in.Scopes), APIURL: in.APIURL, AuthURL: in.AuthURL}
	if a.Scopes == nil {
		a.Scopes = []string{}
	}
	if !in.TokenExpiresAt.IsZero() {
		t := in.TokenExpiresAt
		a.TokenExpiresAt = &t
	}
	return a
}

// LoginWithToken checks a personal access token with /users/me and stores
// it sealed. The token never appears in an error.
func (h *Home) LoginWithToken(ctx context.Context, token string, hosts Hosts) (Account, error) {
	token = strings.TrimSpace(token)
	if err := checkTokenShape(token); err != nil {
		return Account{}, err
	}
	hosts = hosts.withDefaults()
	return h.saveLogin(ctx, login{kind: KindPAT, token: &oauth2.Token{AccessToken: token, TokenType: "Bearer"}, hosts: hosts})
}

// LoginWithOAuth runs flow and stores the account it signs in to, with the
// OAuth app's credentials (sealed) so later runs can refresh.
func (h *Home) LoginWithOAuth(ctx context.Context, flow OAuthFlow, hosts Hosts) (Account, error) {
	tok, err := flow.Token(ctx)
	if err != nil {
		return Account{}, err
	}
	cfg := flow.App.Config()
	scope, _ := tok.Extra("scope").(string)
	return h.saveLogin(ctx, login{kind: KindOAuth, token: tok, scopes: scope, hosts: hosts.withDefaults(),
		clientID: cfg.ClientID, clientSecret: cfg.ClientSecret})
}

// checkTokenShape refuses what cannot be a token before it is sent.
func checkTokenShape(token string) error {
	if token == "" {
		return errors.New("no personal access token was given on stdin; paste it, or pipe it: calwatch login --token - < FILE")
	}
	if len(token) > 8192 {
		return errors.New("the personal access token is longer than 8 KiB; check what was piped in")
	}
	for i := 0; i < len(token); i++ {
		if token[i] <= 0x20 || token[i] >= 0x7f {
			return errors.New("the personal access token holds spaces or unprintable characters; paste exactly the token Calendly showed")
		}
	}
	return nil
}

type login struct {
	kind                   string
	token                  *oauth2.Token
	scopes                 string
	hosts                  Hosts
	clientID, clientSecret string
}

// saveLogin learns the user with /users/me and stores the account sealed.
func (h *Home) saveLogin(ctx context.Context, l login) (Account, error) {
	client, err := calendly.NewClient(oauth2.StaticTokenSource(l.token), h.clientOptions(l.hosts)...)
	if err != nil {
		return Account{}, err
	}
	me, _, err := client.Users.Me(ctx)
	if err != nil {
		var apiErr *calendly.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
			return Account{}, fmt.Errorf("Calendly refused the token (401 from /users/me); check that it was copied whole and is not revoked, then log in again")
		}
		return Account{}, fmt.Errorf("could not learn who the token belongs to: %w", err)
	}
	if owner, _ := calendly.TokenOwner(l.token); owner != "" && owner != me.URI {
		return Account{}, fmt.Errorf("the token's owner %s is not the user /users/me names (%s); log in again", owner, me.URI)
	}
	sealer, err := h.Keys.EnsureSealer(ctx)
	if err != nil {
		return Account{}, err
	}
	in := storage.Integration{AuthKind: l.kind, UserURI: me.URI, UserName: me.Name, UserEmail: me.Email,
		OrganizationURI: me.CurrentOrganization, TokenExpiresAt: l.token.Expiry, Scopes: l.scopes,
		ClientID: l.clientID, APIURL: l.hosts.APIURL, AuthURL: l.hosts.AuthURL}
	if in.AccessToken, in.RefreshToken, err = sealPair(sealer, l.token); err != nil {
		return Account{}, err
	}
	if l.clientSecret != "" {
		if in.ClientSecret, err = sealer.Seal([]byte(l.clientSecret), identityClientSecret); err != nil {
			return Account{}, err
		}
	}
	if err := h.Store.SaveIntegration(ctx, in); err != nil {
		return Account{}, err
	}
	return accountFrom(in), nil
}

// sealPair seals a token pair for the account row.
func sealPair(sealer *storage.Sealer, tok *oauth2.Token) (access, refresh []byte, err error) {
	if access, err = sealer.Seal([]byte(tok.AccessToken), identityAccessToken); err != nil {
		return nil, nil, err
	}
	if tok.RefreshToken != "" {
		if refresh, err = sealer.Seal([]byte(tok.RefreshToken), identityRefreshToken); err != nil {
			return nil, nil, err
		}
	}
	return access, refresh, nil
}

// openPair opens the stored pair; a pair that does not open is the "log
// in again" state.
func openPair(sealer *storage.Sealer, in storage.Integration) (*oauth2.Token, error) {
	access, err := sealer.Open(in.AccessToken, identityAccessToken)
	if err != nil {
		return nil, loginRequiredBecause(reasonSealed)
	}
	tok := &oauth2.Token{AccessToken: string(access), TokenType: "Bearer", Expiry: in.TokenExpiresAt}
	if len(in.RefreshToken) > 0 {
		refresh, err := sealer.Open(in.RefreshToken, identityRefreshToken)
		if err != nil {
			return nil, loginRequiredBecause(reasonSealed)
		}
		tok.RefreshToken = string(refresh)
	}
	return tok, nil
}
