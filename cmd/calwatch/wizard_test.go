package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/wizard"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/account"
	"github.com/calwatch/calwatch/tunnel/ngrok"
	"github.com/calwatch/calwatch/tunnel/subscription"
	"github.com/calwatch/calwatch/tunnel/tunneltest"
)

// wizardHome is the setup actions of a fresh home, against emu.
func wizardHome(t *testing.T, emu *calendlytest.Server) (*setupActions, *app) {
	t.Helper()
	t.Setenv(envKeyring, "file")
	t.Setenv(ngrokTokenEnv, "")
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: t.TempDir()}
	store, err := a.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	home, err := a.accountHome(store)
	if err != nil {
		t.Fatal(err)
	}
	s := a.wizardActions(home, store)
	s.hosts = account.Hosts{APIURL: emu.URL, AuthURL: emu.URL}
	s.browser = visit
	return s, a
}

// runFlow types keys into a wizard under teatest and returns its result.
func runFlow(t *testing.T, s *setupActions, steps func(tm *teatest.TestModel)) wizard.Result {
	t.Helper()
	m := wizard.New(s, wizard.Options{RedirectURI: s.redirectURI})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	steps(tm)
	final := tm.FinalModel(t, teatest.WithFinalTimeout(20*time.Second)).(*wizard.Model)
	res, ok := final.Result()
	if !ok {
		t.Fatal("the wizard ended without a result")
	}
	return res
}

func waitScreen(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func press(tm *teatest.TestModel, code rune) { tm.Send(tea.KeyPressMsg{Code: code}) }

// TestWizardTokenLoginAgainstTheEmulator: a refused token says so, the
// right one logs in and is stored; no tunnel; the default events.
func TestWizardTokenLoginAgainstTheEmulator(t *testing.T) {
	emu := newLoginEmulator(t, false)
	s, a := wizardHome(t, emu)
	res := runFlow(t, s, func(tm *teatest.TestModel) {
		waitScreen(t, tm, "Press ⏎ to start")
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "How do you want to log in")
		press(tm, tea.KeyDown)
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "Paste a personal access token")
		tm.Type("wrong-token-value")
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "refused the token")
		tm.Type(loginTestPAT)
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "Token expires")
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "How should Calendly reach")
		press(tm, tea.KeyUp) // no tunnel, from the top
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "Which events")
		press(tm, tea.KeyEnter)
	})
	user := emu.DefaultUser()
	if res.Account.Email != user.Email || res.Account.Kind != account.KindPAT || res.Tunnel != wizard.TunnelNone || len(res.Events) != 4 {
		t.Errorf("result %+v; want %s's token login, no tunnel, four events", res, user.Email)
	}
	acct := statusAccount(t, a.home)
	if acct == nil || acct.UserURI != user.URI {
		t.Errorf("stored account %+v", acct)
	}
	noSecretsIn(t, a.home, nil, loginTestPAT, "wrong-token-value")
}

// TestWizardOAuthLoginAgainstTheEmulator signs in through the emulator's
// auto-approved OAuth, the browser a stub that follows the redirect.
func TestWizardOAuthLoginAgainstTheEmulator(t *testing.T) {
	redirect, err := freeLoopbackURL("/callback")
	if err != nil {
		t.Fatal(err)
	}
	emu := calendlytest.NewServer(calendlytest.Options{ClientID: loginTestClientID, ClientSecret: loginTestClientSecret,
		AutoApprove: true, RedirectURIs: []string{redirect}})
	t.Cleanup(emu.Close)
	s, a := wizardHome(t, emu)
	s.redirectURI = redirect
	res := runFlow(t, s, func(tm *teatest.TestModel) {
		waitScreen(t, tm, "Press ⏎ to start")
		press(tm, tea.KeyEnter)
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "Which OAuth app")
		tm.Type(loginTestClientID)
		press(tm, tea.KeyEnter)
		tm.Type(loginTestClientSecret)
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "Token expires")
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "How should Calendly reach")
		press(tm, tea.KeyDown)
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "webhook signing key")
		tm.Type("app-signing-key-by-wizard")
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "Which public URL")
		tm.Type("https://hooks.example.com")
		press(tm, tea.KeyEnter)
		waitScreen(t, tm, "Which events")
		press(tm, tea.KeyEnter)
	})
	if res.Account.Kind != account.KindOAuth || res.Account.ExpiresAt == nil || res.Tunnel != wizard.TunnelURL || res.PublicURL != "https://hooks.example.com" {
		t.Errorf("result %+v; want an OAuth login with an expiry and the own URL", res)
	}
	t.Setenv(appSigningKeyEnv, "")
	if key, err := appSigningKey(context.Background(), s.home.Keys); err != nil || key != "app-signing-key-by-wizard" {
		t.Errorf("the kept app signing key reads back %q, %v", key, err)
	}
	noSecretsIn(t, a.home, nil, "app-signing-key-by-wizard", loginTestClientSecret)

	// listen (and the connected TUI) subscribe with the kept key.
	t.Setenv(envAPIURL, emu.URL)
	t.Setenv(envAuthURL, emu.URL)
	store := s.home.Store.(*storage.Store)
	conn, home, err := a.connectAccount(context.Background(), store, account.Hosts{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	cfg, err := a.sessionConfig(context.Background(), &listenAccountConn{conn: conn, home: home}, store,
		tunnel.Local(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8787}),
		&sessionOptions{scope: calendly.ScopeUser, pollInterval: time.Minute})
	if err != nil || string(cfg.Account.AppSigningKey) != "app-signing-key-by-wizard" {
		t.Errorf("the session's app signing key is %q (%v); want the one the wizard kept", cfg.Account.AppSigningKey, err)
	}
}

// TestWizardNgrokTokenIsCheckedAndKeptSealed: without a token ngrok is not
// started; a token that works is kept sealed and read back; the file
// never holds it in the clear.
func TestWizardNgrokTokenIsCheckedAndKeptSealed(t *testing.T) {
	emu := newLoginEmulator(t, false)
	s, _ := wizardHome(t, emu)
	if _, err := s.CheckNgrok(context.Background(), ""); !errors.Is(err, ngrok.ErrNoToken) {
		t.Fatalf("no token: %v; want ngrok's no-token problem", err)
	}
	var gotToken string
	fakeNgrok := func(up bool) func(ngrok.Config) (tunnel.Tunnel, error) {
		return func(cfg ngrok.Config) (tunnel.Tunnel, error) {
			gotToken = cfg.Authtoken
			f := tunneltest.New()
			if up {
				f.GoOnline("https://acme-cw.ngrok.app")
			} else {
				f.Fail(ngrok.Diagnose(errors.New("failed to connect: ERR_NGROK_105")))
			}
			return f, nil
		}
	}
	s.startNgrok = fakeNgrok(false)
	if _, err := s.CheckNgrok(context.Background(), "refused-token"); err == nil || !strings.Contains(err.Error(), "ERR_NGROK_105") || strings.Contains(err.Error(), "refused-token") {
		t.Fatalf("a refused token: %v; want ngrok's ERR_NGROK_105 without the token", err)
	}
	if _, err := os.Stat(filepath.Join(s.home.Keys.Dir, sealedNgrokToken.name)); err == nil {
		t.Fatal("a refused ngrok token was kept")
	}
	s.startNgrok = fakeNgrok(true)
	url, err := s.CheckNgrok(context.Background(), "ngrok-secret-token")
	if err != nil || url != "https://acme-cw.ngrok.app" {
		t.Fatalf("check: %q, %v", url, err)
	}
	got, err := sealedNgrokToken.load(context.Background(), s.home.Keys)
	if err != nil || got != "ngrok-secret-token" {
		t.Fatalf("kept token %q, %v", got, err)
	}
	raw, _ := os.ReadFile(filepath.Join(s.home.Keys.Dir, sealedNgrokToken.name))
	if strings.Contains(string(raw), "ngrok-secret-token") {
		t.Error("the ngrok token is kept in the clear")
	}
	if known, _ := s.knownNgrokToken(context.Background()); known != "ngrok-secret-token" || gotToken != "ngrok-secret-token" {
		t.Errorf("known token %q, ngrok given %q", known, gotToken)
	}
	t.Setenv(ngrokTokenEnv, "from-env")
	if _, err := s.CheckNgrok(context.Background(), ""); err != nil || gotToken != "from-env" {
		t.Errorf("NGROK_AUTHTOKEN does not win over the kept token: ngrok given %q, %v", gotToken, err)
	}
}

// TestWizardWebhookCheckAgainstTheEmulator: on a free plan Calendly's 403
// comes back as subscription.ErrWebhooksUnavailable; on a paid one the
// trial subscription is made and removed, leaving nothing behind.
func TestWizardWebhookCheckAgainstTheEmulator(t *testing.T) {
	for _, plan := range []string{calendlytest.PlanFree, calendlytest.PlanStandard} {
		t.Run(plan, func(t *testing.T) {
			emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{loginTestPAT}, Plan: plan})
			t.Cleanup(emu.Close)
			s, _ := wizardHome(t, emu)
			if _, err := s.LoginToken(context.Background(), loginTestPAT); err != nil {
				t.Fatal(err)
			}
			err := s.CheckWebhooks(context.Background(), "https://hooks.example.com", wizard.DefaultEvents, calendly.ScopeUser)
			if plan == calendlytest.PlanFree {
				if !errors.Is(err, subscription.ErrWebhooksUnavailable) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("free plan: %v; want the one-line webhooks-unavailable error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("standard plan: %v", err)
			}
			conn, err := s.home.Connect(context.Background(), account.ConnectOptions{Hosts: s.hosts})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			left, _, err := conn.Client.WebhookSubscriptions.List(context.Background(), calendly.ListWebhookSubscriptionsOptions{
				Organization: conn.Account.OrganizationURI, User: conn.Account.UserURI, Scope: calendly.ScopeUser})
			if err != nil || len(left) != 0 {
				t.Errorf("after the check Calendly holds %d subscriptions (%v); want none", len(left), err)
			}
			if mine, _ := s.store.Subscriptions(context.Background()); len(mine) != 0 {
				t.Errorf("the store still remembers %d subscriptions", len(mine))
			}
		})
	}
}
