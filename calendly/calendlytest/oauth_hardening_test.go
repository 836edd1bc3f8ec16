package calendlytest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"golang.org/x/oauth2"
)

// authorizeStatus GETs /oauth/authorize for redirect and says what came
// back: the status and the Location (empty for an error page).
func (at *authTest) authorizeStatus(redirect string) (int, string) {
	at.t.Helper()
	q := url.Values{"client_id": {authTestClientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "state": {"st"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
	resp, err := at.noFollow.Get(at.server.URL + "/oauth/authorize?" + q.Encode())
	if err != nil {
		at.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestAuthorizeAcceptsOnlyARegisteredRedirectURIExactly(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true, RedirectURIs: []string{authTestRedirect, "https://app.example.com/oauth/cb"}})
	for _, ok := range []string{authTestRedirect, "https://app.example.com/oauth/cb"} {
		if status, loc := at.authorizeStatus(ok); status != http.StatusFound || !strings.HasPrefix(loc, ok+"?code=") {
			t.Errorf("registered %s: %d %q, want a redirect with a code", ok, status, loc)
		}
	}
	for _, bad := range []string{
		"http://evil.example/callback",
		"http://127.0.0.1:8766/callback",         // another port
		"http://localhost:8765/callback",         // another host spelling
		"http://127.0.0.1:8765/callback/",        // trailing slash
		"http://127.0.0.1:8765/callback/../evil", // path games
		"http://127.0.0.1:8765/callback?next=x",  // an added query
		"http://127.0.0.1:8765/CALLBACK",
		"https://app.example.com/oauth/cb.evil.example",
		"https://app.example.com.evil.example/oauth/cb",
	} {
		if status, loc := at.authorizeStatus(bad); status != http.StatusBadRequest || loc != "" {
			t.Errorf("unregistered %s: %d Location %q; want an error page and no redirect", bad, status, loc)
		}
	}
}

func TestAuthorizeDefaultsToCalwatchsLoopbackRedirect(t *testing.T) {
	s := NewServer(Options{ClientID: "app", AutoApprove: true})
	t.Cleanup(s.Close)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for redirect, want := range map[string]int{DefaultRedirectURI: http.StatusFound, "http://127.0.0.1:8765/callback": http.StatusBadRequest} {
		q := url.Values{"client_id": {"app"}, "redirect_uri": {redirect}, "response_type": {"code"},
			"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
		resp, err := noFollow.Get(s.URL + "/oauth/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s with no RedirectURIs: %d, want %d", redirect, resp.StatusCode, want)
		}
	}
}

// login and rotate once: the family has two pairs.
func (at *authTest) loginAndRotate(app *calendly.OAuthApp, verifier string) (code string, first *oauth2.Token, rotated map[string]any) {
	at.t.Helper()
	code = at.approve(app, verifier)
	first, err := app.Exchange(context.Background(), code, verifier)
	if err != nil {
		at.t.Fatal(err)
	}
	status, rotated := at.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}, true)
	if status != http.StatusOK {
		at.t.Fatalf("refresh → %d %v", status, rotated)
	}
	return code, first, rotated
}

// wantFamilyRevoked checks that every token of a family is dead.
func (at *authTest) wantFamilyRevoked(why string, first *oauth2.Token, rotated map[string]any) {
	at.t.Helper()
	for _, access := range []string{first.AccessToken, rotated["access_token"].(string)} {
		if resp, body := at.probe(access, ""); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, msgTokenRevoked) {
			at.t.Errorf("%s: an access token of the family answers %d %s", why, resp.StatusCode, body)
		}
	}
	status, body := at.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rotated["refresh_token"].(string)}}, true)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		at.t.Errorf("%s: the family's live refresh token still rotates: %d %v", why, status, body)
	}
}

func TestCodeReplayRevokesEveryTokenDescendedFromIt(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	verifier := oauth2.GenerateVerifier()
	bystander := at.login(app) // another authorization: must keep working
	code, first, rotated := at.loginAndRotate(app, verifier)

	_, err := app.Exchange(context.Background(), code, verifier)
	wantOAuthError(t, err, "invalid_grant")
	at.wantFamilyRevoked("after the code was replayed", first, rotated)
	if resp, _ := at.probe(bystander.AccessToken, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("another authorization's token was revoked too: %d", resp.StatusCode)
	}
}

func TestSpentRefreshTokenReplayRevokesTheWholeFamily(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	bystander := at.login(app)
	_, first, rotated := at.loginAndRotate(app, oauth2.GenerateVerifier())

	status, body := at.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}, true)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("a spent refresh token → %d %v, want invalid_grant", status, body)
	}
	at.wantFamilyRevoked("after a spent refresh token came back", first, rotated)
	if info, err := app.Introspect(context.Background(), rotated["refresh_token"].(string)); err != nil || info.Active {
		t.Errorf("the family's refresh token introspects as %+v, %v; want inactive", info, err)
	}
	if resp, _ := at.probe(bystander.AccessToken, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("another authorization's token was revoked too: %d", resp.StatusCode)
	}
}

func TestRevokingARefreshTokenEndsItsFamilysAccessTokens(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	_, first, rotated := at.loginAndRotate(app, oauth2.GenerateVerifier())
	if err := app.Revoke(context.Background(), rotated["refresh_token"].(string)); err != nil {
		t.Fatal(err)
	}
	at.wantFamilyRevoked("after the refresh token was revoked", first, rotated)
}

func TestPendingCodesAndConsentPagesAreBounded(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	at.auth.mu.Lock()
	at.auth.pendingLimit = 3
	at.auth.mu.Unlock()
	for i := range 3 {
		if status, loc := at.authorizeStatus(authTestRedirect); status != http.StatusFound || !strings.Contains(loc, "code=") {
			t.Fatalf("authorization %d: %d %q", i+1, status, loc)
		}
	}
	status, loc := at.authorizeStatus(authTestRedirect)
	if u, _ := url.Parse(loc); status != http.StatusFound || u.Query().Get("error") != "temporarily_unavailable" || u.Query().Get("code") != "" {
		t.Fatalf("a fourth waiting code: %d %q, want temporarily_unavailable", status, loc)
	}
	at.auth.mu.Lock()
	held := len(at.auth.codes)
	at.auth.mu.Unlock()
	if held > 3 {
		t.Fatalf("the code table holds %d codes, limit 3", held)
	}
	at.clock.Advance(codeLifetime + time.Second)
	if status, loc := at.authorizeStatus(authTestRedirect); status != http.StatusFound || !strings.Contains(loc, "code=") {
		t.Fatalf("once the old codes expired: %d %q, want a code", status, loc)
	}

	consent := newAuthTest(t, Options{})
	consent.auth.mu.Lock()
	consent.auth.pendingLimit = 2
	consent.auth.mu.Unlock()
	for range 2 {
		if status, _ := consent.authorizeStatus(authTestRedirect); status != http.StatusOK {
			t.Fatalf("consent page: %d", status)
		}
	}
	status, loc = consent.authorizeStatus(authTestRedirect)
	if u, _ := url.Parse(loc); status != http.StatusFound || u.Query().Get("error") != "temporarily_unavailable" {
		t.Fatalf("a third waiting consent page: %d %q, want temporarily_unavailable", status, loc)
	}
}

func TestConsentDecisionNeedsThePagesOneTimeCSRFToken(t *testing.T) {
	at := newAuthTest(t, Options{})
	app := at.app("", authTestRedirect)
	verifier := oauth2.GenerateVerifier()

	// What a cross-site form could post: the whole request and "approve",
	// but no token from a page it cannot read.
	authURL, _ := url.Parse(app.AuthCodeURL("forged", verifier))
	forged := authURL.Query()
	forged.Set("decision", "approve")
	for name, form := range map[string]url.Values{
		"no token":      forged,
		"made-up token": {"csrf_token": {"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}, "decision": {"approve"}},
	} {
		resp, err := at.noFollow.PostForm(at.server.URL+"/oauth/authorize", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d Location %q; want 403 and no code", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	csrf := at.consentPageFor(app, "page-state", verifier)
	first := at.decide(csrf, "approve")
	loc, _ := url.Parse(first.Header.Get("Location"))
	if first.StatusCode != http.StatusFound || loc.Query().Get("code") == "" || loc.Query().Get("state") != "page-state" {
		t.Fatalf("approve with the page's token: %d %s", first.StatusCode, loc)
	}
	if again := at.decide(csrf, "approve"); again.StatusCode != http.StatusForbidden || again.Header.Get("Location") != "" {
		t.Errorf("the same token twice: %d %q; want 403", again.StatusCode, again.Header.Get("Location"))
	}

	stale := at.consentPageFor(app, "late", verifier)
	at.clock.Advance(codeLifetime + time.Second)
	if late := at.decide(stale, "approve"); late.StatusCode != http.StatusForbidden {
		t.Errorf("a consent page left open past its lifetime: %d; want 403", late.StatusCode)
	}
}

func TestAuthorityKeepsNoTokenInTheClear(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	app := at.app("", authTestRedirect)
	verifier := oauth2.GenerateVerifier()
	code := at.approve(app, verifier)
	at.auth.mu.Lock()
	codes := fmt.Sprintf("%v", at.auth.codes)
	at.auth.mu.Unlock()
	tok, err := app.Exchange(context.Background(), code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	at.auth.mu.Lock()
	tables := fmt.Sprintf("%v %v %v", at.auth.access, at.auth.refresh, at.auth.consents)
	at.auth.mu.Unlock()
	for name, secret := range map[string]string{"code": code, "access token": tok.AccessToken, "refresh token": tok.RefreshToken} {
		if strings.Contains(codes+tables, secret) {
			t.Errorf("the %s is held in the clear", name)
		}
	}
}

// "bearer" is the same scheme as "Bearer": a personal access token sent
// either way makes a subscription signed with the key it gave.
func TestBearerSchemeCaseDoesNotChangeTheSigningKey(t *testing.T) {
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		t.Run(scheme, func(t *testing.T) {
			s, log := startEmulator(t, Options{SigningKey: "app-key"})
			body := jsonText(t, map[string]any{"url": "https://receiver.example/hook", "events": []string{calendly.EventInviteeCreated},
				"organization": s.Organization(), "scope": calendly.ScopeOrganization, "signing_key": "pat-key"})
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/webhook_subscriptions", strings.NewReader(body))
			req.Header.Set("Authorization", scheme+" "+testPAT)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("POST /webhook_subscriptions with %q = %d", scheme, resp.StatusCode)
			}
			mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
			sent := log.all()
			if len(sent) != 1 || string(sent[0].target.SigningKey) != "pat-key" {
				t.Fatalf("with %q the delivery is signed with %q, want the subscription's own pat-key", scheme, sentKeys(sent))
			}
		})
	}
}

func sentKeys(sent []outgoing) []string {
	var keys []string
	for _, o := range sent {
		keys = append(keys, string(o.target.SigningKey))
	}
	return keys
}
