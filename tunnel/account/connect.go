package account

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"

	"golang.org/x/oauth2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// Connection is the account's Calendly client for one run.
type Connection struct {
	Client  *calendly.Client
	Account Account
	// Tokens is the OAuth token source (nil for a personal access token):
	// its LoginRequired and Expiry feed the status line.
	Tokens *SharedTokenSource
	// OAuthApp is the app the login used (nil for a personal access
	// token): revoke, and the subscriptions' signing key, need it.
	OAuthApp *calendly.OAuthApp
}

// ConnectOptions choose how Connect finds the account.
type ConnectOptions struct {
	// EnvToken is CALENDLY_TOKEN: used for this run, never stored.
	EnvToken string
	// Hosts are --api-url/--auth-url (or their environment variables);
	// "" keeps what the login stored. A stored login is never sent to
	// other hosts than those it was issued by.
	Hosts Hosts
}

// Connect returns the client of the account: CALENDLY_TOKEN if given,
// else the stored login, or ErrNotLoggedIn.
func (h *Home) Connect(ctx context.Context, opts ConnectOptions) (*Connection, error) {
	if opts.EnvToken != "" {
		return h.connectEnv(ctx, opts)
	}
	in, err := h.Store.Integration(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, ErrNotLoggedIn
	}
	if err != nil {
		return nil, err
	}
	hosts := Hosts{APIURL: in.APIURL, AuthURL: in.AuthURL}.withDefaults()
	if err := sameHost("API", opts.Hosts.APIURL, hosts.APIURL); err != nil {
		return nil, err
	}
	if err := sameHost("auth", opts.Hosts.AuthURL, hosts.AuthURL); err != nil {
		return nil, err
	}
	sealer, err := h.Keys.Sealer(ctx)
	if errors.Is(err, ErrNoDataKey) {
		return nil, loginRequiredBecause("the data key that sealed it is gone")
	}
	if err != nil {
		return nil, err
	}
	stored, err := openPair(sealer, in)
	if err != nil {
		return nil, err
	}
	conn := &Connection{Account: accountFrom(in)}
	switch in.AuthKind {
	case KindPAT:
		conn.Client, err = calendly.NewClient(calendly.StaticToken(stored.AccessToken), h.clientOptions(hosts)...)
	case KindOAuth:
		err = h.connectOAuth(conn, in, sealer, stored, hosts)
	default:
		err = fmt.Errorf("the stored login is of an unknown kind %q; run calwatch login again", in.AuthKind)
	}
	if err != nil {
		return nil, err
	}
	return conn, nil
}

func (h *Home) connectOAuth(conn *Connection, in storage.Integration, sealer *storage.Sealer, stored *oauth2.Token, hosts Hosts) error {
	var secret []byte
	if len(in.ClientSecret) > 0 {
		var err error
		if secret, err = sealer.Open(in.ClientSecret, identityClientSecret); err != nil {
			return loginRequiredBecause(reasonSealed)
		}
	}
	app, err := calendly.NewOAuthApp(in.ClientID, string(secret), DefaultRedirectURI, nil, h.clientOptions(hosts)...)
	if err != nil {
		return fmt.Errorf("the stored OAuth app cannot be used (%w); run calwatch login again", err)
	}
	ts, err := newSharedTokenSource(app, h.Store, sealer, in.UserURI, filepath.Join(h.StateDir, RefreshLockFile), stored)
	if err != nil {
		return err
	}
	base := http.DefaultTransport
	httpClient := &http.Client{}
	if h.HTTPClient != nil {
		*httpClient = *h.HTTPClient
		if h.HTTPClient.Transport != nil {
			base = h.HTTPClient.Transport
		}
	}
	httpClient.Transport = &reauthTransport{base: base, tokens: ts}
	opts := append(h.clientOptions(hosts), calendly.WithHTTPClient(httpClient))
	if conn.Client, err = calendly.NewClient(ts, opts...); err != nil {
		return err
	}
	conn.Tokens, conn.OAuthApp = ts, app
	return nil
}

func (h *Home) connectEnv(ctx context.Context, opts ConnectOptions) (*Connection, error) {
	token := strings.TrimSpace(opts.EnvToken)
	if err := checkTokenShape(token); err != nil {
		return nil, fmt.Errorf("CALENDLY_TOKEN: %w", err)
	}
	hosts := opts.Hosts.withDefaults()
	client, err := calendly.NewClient(calendly.StaticToken(token), h.clientOptions(hosts)...)
	if err != nil {
		return nil, err
	}
	me, _, err := client.Users.Me(ctx)
	if err != nil {
		return nil, fmt.Errorf("CALENDLY_TOKEN does not work (%w); check it, or unset it to use the stored login", err)
	}
	return &Connection{Client: client, Account: Account{AuthKind: KindEnv, UserURI: me.URI, Name: me.Name, Email: me.Email,
		OrganizationURI: me.CurrentOrganization, Scopes: []string{}, APIURL: hosts.APIURL, AuthURL: hosts.AuthURL}}, nil
}

// sameHost refuses an override that would send a stored token elsewhere.
func sameHost(which, override, stored string) error {
	if override == "" || strings.TrimSuffix(override, "/") == strings.TrimSuffix(stored, "/") {
		return nil
	}
	return fmt.Errorf("the stored login was issued by %s, not the %s URL %s; run calwatch login with that URL to use it", stored, which, override)
}

// reauthTransport sits under the client's bearer transport: a 401 to a
// token the clock says is valid means Calendly stopped taking it, so the
// token is refreshed once (under the home's lock) and the request sent
// again with the new one. It never retries twice.
type reauthTransport struct {
	base   http.RoundTripper
	tokens *SharedTokenSource
}

// maxRetainedBody bounds the body of a 401 kept while refreshing.
const maxRetainedBody = 64 << 10

func (t *reauthTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (r.Body != nil && r.GetBody == nil) {
		return resp, err
	}
	sent, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return resp, nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxRetainedBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	t.tokens.invalidate(sent)
	tok, tokErr := t.tokens.TokenContext(r.Context())
	if tokErr != nil || tok.AccessToken == sent {
		return resp, nil // the 401 stands; LoginRequired says why
	}
	retry := r.Clone(r.Context())
	if r.GetBody != nil {
		if retry.Body, err = r.GetBody(); err != nil {
			return resp, nil
		}
	}
	tok.SetAuthHeader(retry)
	return t.base.RoundTrip(retry)
}
