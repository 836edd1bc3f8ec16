package wizard

import (
	"errors"
	"slices"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

// TestTokenLoginThroughToTheEnd walks the personal-access-token path:
// welcome, method, token, account, tunnel (no tunnel), events, done.
func TestTokenLoginThroughToTheEnd(t *testing.T) {
	f := &fakeActions{account: avery()}
	m := newTestWizard(t, f, Options{}, 80, 24)
	keys(t, m, "enter", "down", "enter")
	if m.step != stepToken {
		t.Fatalf("step %d after choosing the token; want the token step", m.step)
	}
	typeText(t, m, "pat-secret-123")
	if strings.Contains(screen(m), "pat-secret-123") {
		t.Fatal("the token is echoed on screen")
	}
	keys(t, m, "enter")
	if !slices.Equal(f.tokens, []string{"pat-secret-123"}) {
		t.Fatalf("LoginToken got %q", f.tokens)
	}
	if m.step != stepAccount || m.secretInput.Value() != "" {
		t.Fatalf("step %d, input %q after the login; want the account shown and the input empty", m.step, m.secretInput.Value())
	}
	if s := screen(m); !strings.Contains(s, "Avery Emulator") || !strings.Contains(s, "personal access token") || !strings.Contains(s, "does not expire") {
		t.Errorf("the account step does not show who and the expiry:\n%s", s)
	}
	keys(t, m, "enter", "down", "down", "enter", "enter")
	res, ok := m.Result()
	if !ok {
		t.Fatalf("no result at step %d:\n%s", m.step, screen(m))
	}
	if res.Tunnel != TunnelNone || res.PublicURL != "" || res.Scope != calendly.ScopeUser || !slices.Equal(res.Events, DefaultEvents) || res.Account.Name != "Avery Emulator" {
		t.Errorf("result %+v; want no tunnel, the four invitee events, user scope", res)
	}
}

func TestBadTokenSaysWhyAndStaysToRetry(t *testing.T) {
	f := &fakeActions{loginErr: errors.New("Calendly refused the token (401 from /users/me); check that it was copied whole and is not revoked, then log in again")}
	m := newTestWizard(t, f, Options{}, 80, 24)
	keys(t, m, "enter", "down", "enter")
	typeText(t, m, "wrong")
	keys(t, m, "enter")
	s := screen(m)
	if m.step != stepToken || !strings.Contains(s, "✗ Calendly refused the token") {
		t.Fatalf("step %d; want the token step with the failure:\n%s", m.step, s)
	}
	if m.secretInput.Value() != "" {
		t.Error("the refused token is still in the input")
	}
	keys(t, m, "enter")
	if !strings.Contains(screen(m), "paste the personal access token") || len(f.tokens) != 1 {
		t.Errorf("an empty token was sent (%d calls) or not explained", len(f.tokens))
	}
}

func TestEscGoesBackStepByStep(t *testing.T) {
	m := newTestWizard(t, &fakeActions{account: avery()}, Options{}, 80, 24)
	keys(t, m, "enter", "down", "enter")
	typeText(t, m, "half-typed")
	keys(t, m, "esc")
	if m.step != stepMethod || m.cursor != 0 {
		t.Fatalf("esc from the token went to step %d", m.step)
	}
	if m.secretInput.Value() != "" {
		t.Error("a secret typed on a step survived leaving it")
	}
	keys(t, m, "esc")
	if m.step != stepWelcome {
		t.Fatalf("esc from the method went to step %d", m.step)
	}
	keys(t, m, "esc")
	if m.step != stepWelcome {
		t.Fatal("esc on the welcome moved somewhere")
	}
	// After the login, esc goes back through the tunnel and events but
	// not into the login again.
	keys(t, m, "enter", "down", "enter")
	typeText(t, m, "tok")
	keys(t, m, "enter", "enter", "down", "down", "enter")
	if m.step != stepEvents {
		t.Fatalf("step %d; want events", m.step)
	}
	keys(t, m, "esc")
	if m.step != stepTunnel || m.cursor != int(TunnelNone) {
		t.Fatalf("esc from events: step %d cursor %d; want the tunnel with no tunnel chosen", m.step, m.cursor)
	}
	keys(t, m, "esc", "esc", "esc")
	if m.step != stepAccount {
		t.Fatalf("esc went past the account into the login: step %d", m.step)
	}
}

func TestOAuthShowsTheURLAndEscCancelsTheWait(t *testing.T) {
	f := &fakeActions{signInURL: "https://auth.calendly.com/oauth/authorize?client_id=abc&state=xyz", block: true}
	m := newTestWizard(t, f, Options{ClientID: "abc"}, 80, 24)
	keys(t, m, "enter", "enter")
	if m.step != stepOAuthApp || m.oauthField != 1 {
		t.Fatalf("step %d field %d; want the secret field with the known client ID", m.step, m.oauthField)
	}
	typeText(t, m, "app-secret")
	if strings.Contains(screen(m), "app-secret") {
		t.Fatal("the client secret is echoed")
	}
	keys(t, m, "enter")
	s := screen(m)
	if m.step != stepOAuthWait || !strings.Contains(s, "client_id=abc") || !strings.Contains(s, "waiting for you to approve") {
		t.Fatalf("step %d; want the wait with the URL and the spinner:\n%s", m.step, s)
	}
	if m.clientSecret.Value() != "" || !slices.Equal(f.oauthApps, [][2]string{{"abc", "app-secret"}}) {
		t.Errorf("the secret stayed in the model or did not reach the action: %q", f.oauthApps)
	}
	attempt := m.attempt
	keys(t, m, "esc")
	if m.step != stepOAuthApp || m.busy != "" {
		t.Fatalf("esc while waiting: step %d busy %q", m.step, m.busy)
	}
	// The cancelled login's late answer changes nothing.
	send(t, m, loginDoneMsg{attempt: attempt, account: avery()})
	if m.loggedIn || m.step != stepOAuthApp {
		t.Error("a stale login reply was taken")
	}
}

func TestOAuthRefusedGoesBackToTheApp(t *testing.T) {
	f := &fakeActions{loginErr: errors.New("you did not allow calwatch at Calendly (access_denied); run calwatch again and approve it")}
	m := newTestWizard(t, f, Options{}, 80, 24)
	keys(t, m, "enter", "enter", "enter", "enter")
	if !strings.Contains(screen(m), "type the client ID") {
		t.Fatalf("an empty client ID was not refused:\n%s", screen(m))
	}
	typeText(t, m, "abc")
	keys(t, m, "enter", "enter")
	if s := screen(m); m.step != stepOAuthApp || !strings.Contains(s, "✗ you did not allow calwatch") {
		t.Fatalf("step %d; want the app step with the failure:\n%s", m.step, s)
	}
}

func TestNgrokAsksForATokenWhenNoneIsKnown(t *testing.T) {
	f := &fakeActions{account: avery(), ngrokURL: "https://acme-cw.ngrok.app"}
	m := loggedIn(t, f, Options{})
	keys(t, m, "enter")
	if m.step != stepNgrokToken || len(f.ngrokCalls) != 0 {
		t.Fatalf("ngrok without a token: step %d, %d checks; want the token prompt first", m.step, len(f.ngrokCalls))
	}
	keys(t, m, "enter")
	if !strings.Contains(screen(m), "paste the authtoken") || len(f.ngrokCalls) != 0 {
		t.Fatal("an empty ngrok token was checked or not explained")
	}
	typeText(t, m, "ngrok-tok")
	if strings.Contains(screen(m), "ngrok-tok") {
		t.Fatal("the ngrok token is echoed")
	}
	keys(t, m, "enter")
	if !slices.Equal(f.ngrokCalls, []string{"ngrok-tok"}) || m.step != stepEvents || m.secretInput.Value() != "" {
		t.Fatalf("checks %q, step %d; want one check and the events", f.ngrokCalls, m.step)
	}
	keys(t, m, "s", "enter")
	res, _ := m.Result()
	if res.Tunnel != TunnelNgrok || res.PublicURL != "https://acme-cw.ngrok.app" || res.Scope != calendly.ScopeOrganization {
		t.Errorf("result %+v", res)
	}
}

func TestNgrokRefusedTokenSaysWhatToDo(t *testing.T) {
	refused := errors.New("ngrok refused the authtoken in NGROK_AUTHTOKEN: copy the current one from https://dashboard.ngrok.com/get-started/your-authtoken (ERR_NGROK_105, see https://ngrok.com/docs/errors/err_ngrok_105)")
	f := &fakeActions{account: avery(), ngrokErr: refused}
	m := loggedIn(t, f, Options{NgrokTokenKnown: true})
	keys(t, m, "enter")
	s := screen(m)
	if m.step != stepTunnel || !slices.Equal(f.ngrokCalls, []string{""}) || !strings.Contains(s, "✗ ngrok refused the authtoken") || !strings.Contains(s, "ERR_NGROK_105") {
		t.Fatalf("step %d, checks %q; want the tunnel step with the refusal:\n%s", m.step, f.ngrokCalls, s)
	}
	// The user goes another way: their own URL, refused until it is https.
	keys(t, m, "down", "enter")
	typeText(t, m, "http://x")
	keys(t, m, "enter")
	if m.step != stepPublicURL || !strings.Contains(screen(m), "✗ the public URL must start with https://") {
		t.Fatalf("a bad URL was taken:\n%s", screen(m))
	}
	for range len("http://x") {
		keys(t, m, "backspace")
	}
	typeText(t, m, "https://hooks.example.com")
	keys(t, m, "enter", "enter")
	res, ok := m.Result()
	if !ok || res.Tunnel != TunnelURL || res.PublicURL != "https://hooks.example.com" {
		t.Errorf("result %+v %v", res, ok)
	}
}

func TestEventsNeedAtLeastOne(t *testing.T) {
	m := loggedIn(t, &fakeActions{account: avery()}, Options{})
	keys(t, m, "down", "down", "enter")
	for range DefaultEvents {
		keys(t, m, "space", "down")
	}
	keys(t, m, "enter")
	if _, ok := m.Result(); ok || !strings.Contains(screen(m), "choose at least one event") {
		t.Fatalf("no events were accepted:\n%s", screen(m))
	}
	keys(t, m, "space", "enter") // the routing form event, under the cursor
	res, ok := m.Result()
	if !ok || !slices.Equal(res.Events, []string{calendly.EventRoutingFormSubmission}) {
		t.Errorf("result %+v", res)
	}
}

func TestDemoAndQuit(t *testing.T) {
	m := newTestWizard(t, &fakeActions{}, Options{}, 80, 24)
	keys(t, m, "enter", "up", "enter")
	if res, ok := m.Result(); !ok || !res.Demo {
		t.Errorf("the demo choice gave %+v %v", res, ok)
	}
	m = newTestWizard(t, &fakeActions{}, Options{}, 80, 24)
	keys(t, m, "enter", "down", "enter")
	typeText(t, m, "q") // a letter of the token, not quit
	if _, ok := m.Result(); ok {
		t.Fatal("q in a text input quit")
	}
	keys(t, m, "ctrl+c")
	if res, ok := m.Result(); !ok || !res.Canceled {
		t.Errorf("ctrl+c gave %+v %v", res, ok)
	}
}

// loggedIn is a wizard past a token login, at the tunnel step.
func loggedIn(t *testing.T, f *fakeActions, opts Options) *Model {
	t.Helper()
	m := newTestWizard(t, f, opts, 80, 24)
	keys(t, m, "enter", "down", "enter")
	typeText(t, m, "tok")
	keys(t, m, "enter", "enter")
	if m.step != stepTunnel {
		t.Fatalf("step %d; want the tunnel", m.step)
	}
	return m
}

// TestOAuthLoginWithATunnelAsksForTheAppKey: an OAuth login that will be
// subscribed needs the app's webhook signing key, asked once, masked.
func TestOAuthLoginWithATunnelAsksForTheAppKey(t *testing.T) {
	f := &fakeActions{account: avery(), signInURL: "https://auth.example/authorize"}
	m := newTestWizard(t, f, Options{ClientID: "abc"}, 80, 24)
	keys(t, m, "enter", "enter", "enter")
	if m.step != stepAccount {
		t.Fatalf("step %d after the OAuth login; want the account", m.step)
	}
	keys(t, m, "enter", "down", "enter")
	if m.step != stepAppKey {
		t.Fatalf("step %d; want the app's signing key before the own URL", m.step)
	}
	keys(t, m, "enter")
	if len(f.appKeys) != 0 || !strings.Contains(screen(m), "paste the webhook signing key") {
		t.Fatal("an empty key was kept or not explained")
	}
	typeText(t, m, "app-signing-key")
	if strings.Contains(screen(m), "app-signing-key") {
		t.Fatal("the signing key is echoed")
	}
	keys(t, m, "enter")
	if !slices.Equal(f.appKeys, []string{"app-signing-key"}) || m.step != stepPublicURL || m.secretInput.Value() != "" {
		t.Fatalf("kept %q, step %d; want the key kept and the own URL asked", f.appKeys, m.step)
	}
	// Back at the tunnel, the key is not asked again.
	keys(t, m, "esc", "esc")
	if m.step != stepTunnel {
		t.Fatalf("esc went to step %d", m.step)
	}
	keys(t, m, "enter")
	if m.step != stepPublicURL {
		t.Errorf("the key was asked twice: step %d", m.step)
	}
	// No tunnel needs no key; a known key is not asked for.
	m = newTestWizard(t, &fakeActions{account: avery()}, Options{ClientID: "abc", AppSigningKeyKnown: true}, 80, 24)
	keys(t, m, "enter", "enter", "enter", "enter", "down", "enter")
	if m.step != stepPublicURL {
		t.Errorf("a known key was asked for: step %d", m.step)
	}
}

// TestAPlanWithoutWebhooksGoesOnPolling: Calendly's 403 on the check says
// why and offers polling; ⏎ ends with no tunnel.
func TestAPlanWithoutWebhooksGoesOnPolling(t *testing.T) {
	unavailable := &subscription.UnavailableError{CallbackURL: "https://hooks.example.com/webhooks/calendly",
		Cause: &calendly.APIError{StatusCode: 403, ErrorBody: calendly.ErrorBody{Message: "Please upgrade your Calendly account to Professional"}}}
	f := &fakeActions{account: avery(), webhooksErr: unavailable}
	m := loggedIn(t, f, Options{})
	keys(t, m, "down", "enter")
	typeText(t, m, "https://hooks.example.com")
	keys(t, m, "enter", "enter")
	s := screen(m)
	if !slices.Equal(f.webhookChecks, []string{"https://hooks.example.com user " + strings.Join(DefaultEvents, ",")}) {
		t.Fatalf("webhook checks %q", f.webhookChecks)
	}
	if _, ok := m.Result(); ok || !strings.Contains(s, "✗ Calendly refused a webhook subscription") || !strings.Contains(s, "go on without webhooks") {
		t.Fatalf("the 403 did not stop the wizard with what to do:\n%s", s)
	}
	keys(t, m, "enter")
	res, ok := m.Result()
	if !ok || res.Tunnel != TunnelNone || res.PublicURL != "" || len(f.webhookChecks) != 1 {
		t.Errorf("result %+v %v after the 403; want no tunnel, polling, no second check", res, ok)
	}
	// Another failure is shown and ⏎ tries again.
	f = &fakeActions{account: avery(), webhooksErr: errors.New("could not reach Calendly: connection refused; check the network")}
	m = loggedIn(t, f, Options{})
	keys(t, m, "down", "enter")
	typeText(t, m, "https://hooks.example.com")
	keys(t, m, "enter", "enter")
	if !strings.Contains(screen(m), "✗ could not reach Calendly") || strings.Contains(screen(m), "go on without webhooks") {
		t.Fatalf("a network failure:\n%s", screen(m))
	}
	f.webhooksErr = nil
	keys(t, m, "enter")
	if res, ok := m.Result(); !ok || res.Tunnel != TunnelURL || len(f.webhookChecks) != 2 {
		t.Errorf("the retry gave %+v %v", res, ok)
	}
}

// TestPastedSecretsReachTheActionAndLeave: a token pasted (bracketed
// paste, as terminals send it) is used and not kept; a client secret left
// with esc is dropped.
func TestPastedSecretsReachTheActionAndLeave(t *testing.T) {
	f := &fakeActions{account: avery()}
	m := newTestWizard(t, f, Options{}, 80, 24)
	keys(t, m, "enter", "down", "enter")
	send(t, m, tea.PasteMsg{Content: "pasted-token-42"})
	if strings.Contains(screen(m), "pasted-token-42") {
		t.Fatal("the pasted token is echoed")
	}
	keys(t, m, "enter")
	if !slices.Equal(f.tokens, []string{"pasted-token-42"}) {
		t.Fatalf("LoginToken got %q", f.tokens)
	}
	m = newTestWizard(t, f, Options{ClientID: "abc"}, 80, 24)
	keys(t, m, "enter", "enter")
	typeText(t, m, "half-secret")
	keys(t, m, "esc")
	if m.clientSecret.Value() != "" {
		t.Error("the client secret outlived its step")
	}
}
