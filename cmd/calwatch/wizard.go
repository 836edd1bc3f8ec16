package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/wizard"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/account"
	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/ngrok"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

// errWizardCanceled is the wizard left with q or ctrl+c.
var errWizardCanceled = errors.New("setup was not finished; run calwatch again to pick up where you left off, or log in with calwatch login")

// runWizard runs the setup wizard in the terminal and returns the user's
// choices: the login is already stored; a typed ngrok authtoken and an
// OAuth app's webhook signing key are kept sealed in the home
// (sealedNgrokToken, appSigningKey read them back, the environment
// first); Result.Demo asks for the demo instead.
func runWizard(ctx context.Context, a *app) (wizard.Result, error) {
	store, err := a.openStore(ctx)
	if err != nil {
		return wizard.Result{}, err
	}
	defer store.Close()
	home, err := a.accountHome(store)
	if err != nil {
		return wizard.Result{}, err
	}
	actions := a.wizardActions(home, store)
	known, _ := actions.knownNgrokToken(ctx)
	appKey, _ := appSigningKey(ctx, home.Keys)
	m := wizard.New(actions, wizard.Options{
		NgrokTokenKnown:    known != "",
		AppSigningKeyKnown: appKey != "",
		ClientID:           os.Getenv(envClientID),
		RedirectURI:        actions.redirectURI,
		Dark:               true,
	})
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(a.in), tea.WithOutput(a.out))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return wizard.Result{}, fmt.Errorf("the setup wizard stopped: %w", err)
	}
	res, done := m.Result()
	if !done || res.Canceled {
		return res, errWizardCanceled
	}
	return res, nil
}

// setupActions does the wizard's I/O with the account and ngrok packages.
type setupActions struct {
	a           *app
	home        *account.Home
	store       *storage.Store
	hosts       account.Hosts
	redirectURI string
	browser     func(url string) error // nil: none is opened
	startNgrok  func(ngrok.Config) (tunnel.Tunnel, error)
	ngrokAddr   string // tests: ngrok's server address
}

var _ wizard.Actions = (*setupActions)(nil)

func (a *app) wizardActions(home *account.Home, store *storage.Store) *setupActions {
	return &setupActions{a: a, home: home, store: store, hosts: envHosts(account.Hosts{}), redirectURI: account.DefaultRedirectURI,
		browser: openBrowser, startNgrok: startNgrok}
}

func (s *setupActions) LoginOAuth(ctx context.Context, clientID, clientSecret string, showURL func(string)) (wizard.Account, error) {
	app, err := calendly.NewOAuthApp(clientID, clientSecret, s.redirectURI, nil, hostOptions(s.hosts)...)
	if err != nil {
		return wizard.Account{}, err
	}
	flow := account.OAuthFlow{App: app, ShowURL: showURL, OpenBrowser: s.browser}
	acct, err := s.home.LoginWithOAuth(ctx, flow, s.hosts)
	return wizardAccount(acct), err
}

func (s *setupActions) LoginToken(ctx context.Context, token string) (wizard.Account, error) {
	acct, err := s.home.LoginWithToken(ctx, token, s.hosts)
	return wizardAccount(acct), err
}

// wizardAccount is what the wizard shows of an account. Calendly's API
// gives no organization name, so the organization is its ID (the URI's
// last segment).
func wizardAccount(a account.Account) wizard.Account {
	org := a.OrganizationURI
	if i := strings.LastIndexByte(org, '/'); i >= 0 {
		org = org[i+1:]
	}
	return wizard.Account{Name: a.Name, Email: a.Email, Organization: org, Kind: a.AuthKind, ExpiresAt: a.TokenExpiresAt}
}

// CheckNgrok opens a tunnel with the token (typed, else the known one),
// waits for ngrok's verdict, closes it, and keeps a typed token that
// worked, sealed.
func (s *setupActions) CheckNgrok(ctx context.Context, typed string) (string, error) {
	token := typed
	if token == "" {
		var err error
		if token, err = s.knownNgrokToken(ctx); err != nil {
			return "", err
		}
	}
	paths := s.a.paths()
	logs := paths.Dirs().Logs
	if err := paths.EnsureDir(logs); err != nil {
		return "", err
	}
	tun, err := s.startNgrok(ngrok.Config{Authtoken: token, LogPath: filepath.Join(logs, ngrokLogFile), ConnectAddr: s.ngrokAddr})
	if err != nil {
		return "", err
	}
	defer tun.Close()
	url, err := waitOnline(ctx, tun)
	if err != nil {
		return "", err
	}
	if typed != "" {
		if err := s.saveNgrokToken(ctx, typed); err != nil {
			return "", err
		}
	}
	return url, nil
}

// waitOnline waits for the tunnel's first verdict.
func waitOnline(ctx context.Context, tun tunnel.Tunnel) (string, error) {
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case ev, ok := <-tun.Events():
			if !ok {
				return "", errors.New("the ngrok tunnel closed before it came online; see " + ngrokLogFile + " in calwatch's logs")
			}
			switch ev := ev.(type) {
			case tunnel.Online:
				return ev.URL, nil
			case tunnel.Stuck:
				return "", ev.Err
			case tunnel.Stopped:
				if ev.Err == nil {
					return "", errors.New("the ngrok tunnel stopped before it came online; see " + ngrokLogFile + " in calwatch's logs")
				}
				return "", ev.Err
			}
		}
	}
}

// CheckWebhooks creates the subscription the session will make, through
// the same lifecycle, and deletes it at once: Calendly's 403 (a plan
// without webhooks) shows in the wizard instead of later.
func (s *setupActions) CheckWebhooks(ctx context.Context, publicURL string, events []string, scope string) error {
	callback, err := listener.PublicWebhookURL(publicURL, listener.DefaultPath)
	if err != nil {
		return err
	}
	conn, err := s.home.Connect(ctx, account.ConnectOptions{Hosts: s.hosts})
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	sealer, err := s.home.Keys.EnsureSealer(ctx)
	if err != nil {
		return err
	}
	sub := subscription.Account{User: conn.Account.UserURI, Organization: conn.Account.OrganizationURI, AuthKind: subscriptionAuthKind(conn.Account.AuthKind)}
	if sub.AuthKind == subscription.AuthOAuth {
		key, err := appSigningKey(ctx, s.home.Keys)
		if err != nil {
			return err
		}
		sub.AppSigningKey = []byte(key)
	}
	life, err := subscription.New(conn.Client, s.store, sealer, sub)
	if err != nil {
		return err
	}
	active, err := life.Ensure(ctx, subscription.Request{CallbackURL: callback, Events: events, Scope: scope})
	if err != nil {
		return err
	}
	if err := life.Remove(context.WithoutCancel(ctx), active.URI); err != nil {
		return fmt.Errorf("Calendly took the webhook subscription, but calwatch could not remove its trial one (%v); calwatch subscriptions prune removes it", err)
	}
	return nil
}

func (s *setupActions) CheckPublicURL(u string) error {
	if strings.TrimSpace(u) == "" {
		return errors.New("type the https origin that forwards to this computer, like https://hooks.example.com")
	}
	_, err := listener.PublicWebhookURL(u, listener.DefaultPath)
	return err
}

// knownNgrokToken is NGROK_AUTHTOKEN, else the one kept by the wizard,
// else "".
func (s *setupActions) knownNgrokToken(ctx context.Context) (string, error) {
	if t := os.Getenv(ngrokTokenEnv); t != "" {
		return t, nil
	}
	return sealedNgrokToken.load(ctx, s.home.Keys)
}

func (s *setupActions) saveNgrokToken(ctx context.Context, token string) error {
	return sealedNgrokToken.save(ctx, s.home.Keys, token)
}

// KeepAppSigningKey keeps the OAuth app's webhook signing key, sealed;
// appSigningKey reads it back.
func (s *setupActions) KeepAppSigningKey(ctx context.Context, key string) error {
	return sealedAppSigningKey.save(ctx, s.home.Keys, key)
}

// appSigningKey is CALENDLY_WEBHOOK_SIGNING_KEY, else the one the wizard
// kept, else "".
func appSigningKey(ctx context.Context, keys *account.KeyStore) (string, error) {
	if k := os.Getenv(appSigningKeyEnv); k != "" {
		return k, nil
	}
	return sealedAppSigningKey.load(ctx, keys)
}

// sealedFile is a secret the wizard keeps in the config folder, sealed
// with the home's data key (as the Calendly tokens are in the database),
// 0600, bound to its identity.
type sealedFile struct {
	name, identity, what, env string
}

var (
	sealedNgrokToken    = sealedFile{"ngrok-authtoken.sealed", "ngrok/authtoken", "ngrok authtoken", ngrokTokenEnv}
	sealedAppSigningKey = sealedFile{"webhook-signing-key.sealed", "calendly/app_signing_key", "OAuth app's webhook signing key", appSigningKeyEnv}
)

func (f sealedFile) save(ctx context.Context, keys *account.KeyStore, secret string) error {
	sealer, err := keys.EnsureSealer(ctx)
	if err != nil {
		return err
	}
	sealed, err := sealer.Seal([]byte(secret), f.identity)
	if err != nil {
		return err
	}
	path := filepath.Join(keys.Dir, f.name)
	if err := os.WriteFile(path+".tmp", sealed, 0o600); err != nil {
		return fmt.Errorf("cannot keep the %s in %s: %w", f.what, keys.Dir, err)
	}
	return os.Rename(path+".tmp", path)
}

// load opens the kept secret; "" when there is none.
func (f sealedFile) load(ctx context.Context, keys *account.KeyStore) (string, error) {
	sealed, err := os.ReadFile(filepath.Join(keys.Dir, f.name))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	sealer, err := keys.Sealer(ctx)
	if err != nil {
		return "", err
	}
	secret, err := sealer.Open(sealed, f.identity)
	if err != nil {
		return "", fmt.Errorf("the kept %s does not open with this home's data key; set %s or run the setup again", f.what, f.env)
	}
	return string(secret), nil
}
