package calendlytest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"golang.org/x/oauth2"
)

func TestConsentPageApproveAndDeny(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret})
	app := at.app(authTestClientSecret, authTestRedirect)
	verifier := oauth2.GenerateVerifier()
	resp, err := at.noFollow.Get(app.AuthCodeURL(`"><script>x</script>`, verifier))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), ">Approve</button>") || !strings.Contains(string(page), ">Deny</button>") {
		t.Fatalf("consent page %d:\n%s", resp.StatusCode, page)
	}
	if strings.Contains(string(page), "<script>x") {
		t.Error("the state is echoed unescaped into the page")
	}

	denied := at.decide(at.consentPageFor(app, "s-42", verifier), "deny")
	loc, _ := url.Parse(denied.Header.Get("Location"))
	if denied.StatusCode != http.StatusFound || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "s-42" || loc.Query().Get("code") != "" {
		t.Errorf("deny → %d %s", denied.StatusCode, loc)
	}
	if !strings.HasPrefix(loc.String(), authTestRedirect+"?") {
		t.Errorf("deny went to %s, want the redirect URI", loc)
	}
	if code := at.approve(app, verifier); code == "" {
		t.Error("approve gave no code")
	}
}

func TestAutoApproveRedirectsAtOnce(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true, RedirectURIs: []string{authTestRedirect + "?keep=1"}})
	app := at.app("", authTestRedirect+"?keep=1")
	resp, err := at.noFollow.Get(app.AuthCodeURL("st", oauth2.GenerateVerifier()))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" || loc.Query().Get("keep") != "1" || loc.Query().Get("state") != "st" {
		t.Fatalf("auto-approve → %d %s", resp.StatusCode, loc)
	}
}

func TestAuthorizeShowsAnErrorPageForUnknownClientOrBadRedirect(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	good := url.Values{"client_id": {authTestClientID}, "redirect_uri": {authTestRedirect}, "response_type": {"code"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
	for name, change := range map[string][2]string{
		"unknown client":    {"client_id", "someone-else"},
		"no client":         {"client_id", ""},
		"relative redirect": {"redirect_uri", "/callback"},
		"javascript":        {"redirect_uri", "javascript:alert(1)"},
		"fragment":          {"redirect_uri", authTestRedirect + "#frag"},
	} {
		q := url.Values{}
		for k, v := range good {
			q[k] = v
		}
		q.Set(change[0], change[1])
		resp, err := at.noFollow.Get(at.server.URL + "/oauth/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d Location %q; want an error page and no redirect", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestAuthorizeRedirectsProtocolErrors(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	for want, q := range map[string]url.Values{
		"unsupported_response_type": {"response_type": {"token"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}},
		"invalid_request":           {"response_type": {"code"}, "code_challenge": {challenge}, "code_challenge_method": {"plain"}},
		"invalid_scope":             {"response_type": {"code"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}, "scope": {"users:read admin:everything"}},
	} {
		q.Set("client_id", authTestClientID)
		q.Set("redirect_uri", authTestRedirect)
		q.Set("state", "st")
		resp, err := at.noFollow.Get(at.server.URL + "/oauth/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != want || loc.Query().Get("state") != "st" {
			t.Errorf("want %s: %d %s", want, resp.StatusCode, loc)
		}
	}
	// A public client (no secret) must use PKCE.
	q := url.Values{"client_id": {authTestClientID}, "redirect_uri": {authTestRedirect}, "response_type": {"code"}}
	resp, _ := at.noFollow.Get(at.server.URL + "/oauth/authorize?" + q.Encode())
	resp.Body.Close()
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc.Query().Get("error") != "invalid_request" {
		t.Errorf("public client without PKCE: %s", loc)
	}
}

func TestCodeExchangeGivesCalendlysTokenAnswer(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true, AccessTokenTTL: 90 * time.Minute})
	tok := at.login(at.app(authTestClientSecret, authTestRedirect))
	if tok.AccessToken == "" || tok.RefreshToken == "" || tok.AccessToken == tok.RefreshToken || len(tok.AccessToken) < 20 {
		t.Fatalf("token = %+v", tok)
	}
	owner, org := calendly.TokenOwner(tok)
	if owner != authTestUser || org != authTestOrg {
		t.Errorf("owner %q org %q", owner, org)
	}
	if tok.Extra("expires_in") != float64(5400) || tok.Extra("created_at") != float64(at.clock.Now().Unix()) || tok.Extra("scope") != "users:read scheduled_events:read webhooks:write" {
		t.Errorf("expires_in %v created_at %v scope %v", tok.Extra("expires_in"), tok.Extra("created_at"), tok.Extra("scope"))
	}
	if resp, user := at.probe(tok.AccessToken, "users:read"); resp.StatusCode != 200 || user != authTestUser {
		t.Errorf("the new access token: %d %s", resp.StatusCode, user)
	}
}

func TestPKCEMismatchIsRefused(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	app := at.app("", authTestRedirect)
	code := at.approve(app, oauth2.GenerateVerifier())
	_, err := app.Exchange(context.Background(), code, oauth2.GenerateVerifier())
	wantOAuthError(t, err, "invalid_grant")
	_, err = app.Exchange(context.Background(), at.approve(app, oauth2.GenerateVerifier()), "")
	wantOAuthError(t, err, "invalid_grant")
}

func TestCodeWorksOnceAndReuseRevokesItsTokens(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	app := at.app("", authTestRedirect)
	verifier := oauth2.GenerateVerifier()
	code := at.approve(app, verifier)
	tok, err := app.Exchange(context.Background(), code, verifier)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.Exchange(context.Background(), code, verifier)
	wantOAuthError(t, err, "invalid_grant")
	if resp, body := at.probe(tok.AccessToken, ""); resp.StatusCode != 401 || !strings.Contains(body, msgTokenRevoked) {
		t.Errorf("after code reuse the first access token answers %d %s", resp.StatusCode, body)
	}
}

func TestCodeExpiresAfterTenMinutes(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	app := at.app("", authTestRedirect)
	verifier := oauth2.GenerateVerifier()
	code := at.approve(app, verifier)
	at.clock.Advance(10*time.Minute + time.Second)
	_, err := app.Exchange(context.Background(), code, verifier)
	wantOAuthError(t, err, "invalid_grant")

	code = at.approve(app, verifier)
	at.clock.Advance(9 * time.Minute)
	if _, err := app.Exchange(context.Background(), code, verifier); err != nil {
		t.Errorf("a 9-minute-old code was refused: %v", err)
	}
}

func TestRedirectURIMustMatch(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	verifier := oauth2.GenerateVerifier()
	code := at.approve(at.app("", authTestRedirect), verifier)
	_, err := at.app("", "http://127.0.0.1:9999/other").Exchange(context.Background(), code, verifier)
	wantOAuthError(t, err, "invalid_grant")
}

func TestRefreshRotatesAndASpentRefreshTokenIsRefused(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	first := at.login(app)
	at.clock.Advance(2 * time.Hour)
	if resp, body := at.probe(first.AccessToken, ""); resp.StatusCode != 401 || !strings.Contains(body, `"message":"The access token expired"`) {
		t.Errorf("an expired access token answers %d %s", resp.StatusCode, body)
	}

	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {first.RefreshToken}}
	status, rotated := at.postForm("/oauth/token", form, true)
	if status != 200 || rotated["refresh_token"] == first.RefreshToken || rotated["access_token"] == "" || rotated["token_type"] != "Bearer" || rotated["owner"] != authTestUser {
		t.Fatalf("refresh → %d %v", status, rotated)
	}
	status, body := at.postForm("/oauth/token", form, true)
	if status != 400 || body["error"] != "invalid_grant" || body["error_description"] != invalidGrantText {
		t.Errorf("reused refresh token → %d %v", status, body)
	}
	// The replay revoked the whole family, the rotated pair included.
	if resp, body := at.probe(rotated["access_token"].(string), "scheduled_events:read"); resp.StatusCode != 401 || !strings.Contains(body, msgTokenRevoked) {
		t.Errorf("after a spent refresh token came back, the rotated access token answers %d %s", resp.StatusCode, body)
	}
}

func TestRevokeThenIntrospectIsInactive(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	tok := at.login(app)
	ctx := context.Background()

	info, err := app.Introspect(ctx, tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	want := calendly.Introspection{Active: true, Scope: "users:read scheduled_events:read webhooks:write", ClientID: authTestClientID,
		TokenType: "Bearer", Iat: at.clock.Now().Unix(), Exp: at.clock.Now().Add(2 * time.Hour).Unix(), Owner: authTestUser, Organization: authTestOrg}
	if *info != want {
		t.Errorf("introspect = %+v\nwant %+v", *info, want)
	}
	if err := app.Revoke(ctx, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{tok.AccessToken, tok.RefreshToken} {
		if info, err := app.Introspect(ctx, token); err != nil || *info != (calendly.Introspection{}) {
			t.Errorf("after revoke: %+v, %v; want only active:false", info, err)
		}
	}
	if resp, body := at.probe(tok.AccessToken, ""); resp.StatusCode != 401 || !strings.Contains(body, msgTokenRevoked) {
		t.Errorf("revoked access token answers %d %s", resp.StatusCode, body)
	}
	if err := app.Revoke(ctx, "never-issued"); err != nil {
		t.Errorf("revoking an unknown token must succeed (RFC 7009): %v", err)
	}
}

func TestMissingScopeIsPermissionDenied(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	tok := at.login(at.app("", authTestRedirect, calendly.ScopeUsersRead, calendly.ScopeWebhooksWrite))
	resp, body := at.probe(tok.AccessToken, "scheduled_events:read")
	if resp.StatusCode != 403 || !strings.Contains(body, `"title":"Permission Denied"`) || !strings.Contains(body, "scheduled_events:read") {
		t.Errorf("missing scope → %d %s", resp.StatusCode, body)
	}
	if resp, _ := at.probe(tok.AccessToken, "webhooks:read"); resp.StatusCode != 200 {
		t.Errorf("webhooks:write must include webhooks:read, got %d", resp.StatusCode)
	}
	if resp, _ := at.probe(authTestPAT, "scheduled_events:write"); resp.StatusCode != 200 {
		t.Errorf("a personal access token must carry every scope, got %d", resp.StatusCode)
	}
	if resp, body := at.probe("made-up", ""); resp.StatusCode != 401 || body != `{"title":"Unauthenticated","message":"The access token is invalid"}` {
		t.Errorf("unknown token → %d %s", resp.StatusCode, body)
	}
}

func TestRateLimitPerTokenWithHeaders(t *testing.T) {
	at := newAuthTest(t, Options{RateLimit: 3, AutoApprove: true})
	at.clock.Advance(20 * time.Second) // the window starts at the first request
	for i, remaining := range []string{"2", "1", "0"} {
		resp, _ := at.probe(authTestPAT, "")
		if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Limit") != "3" || resp.Header.Get("X-RateLimit-Remaining") != remaining || resp.Header.Get("X-RateLimit-Reset") != "60" {
			t.Fatalf("request %d: %d limit %s remaining %s reset %s", i+1, resp.StatusCode,
				resp.Header.Get("X-RateLimit-Limit"), resp.Header.Get("X-RateLimit-Remaining"), resp.Header.Get("X-RateLimit-Reset"))
		}
	}
	at.clock.Advance(15 * time.Second)
	resp, body := at.probe(authTestPAT, "")
	if resp.StatusCode != 429 || resp.Header.Get("X-RateLimit-Remaining") != "0" || resp.Header.Get("X-RateLimit-Reset") != "45" || resp.Header.Get("Retry-After") != "45" {
		t.Errorf("over the limit: %d remaining %s reset %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"), resp.Header.Get("X-RateLimit-Reset"))
	}
	if !strings.Contains(body, `"title":"Too Many Requests"`) {
		t.Errorf("429 body %s", body)
	}
	other := at.login(at.app("", authTestRedirect))
	if resp, _ := at.probe(other.AccessToken, ""); resp.StatusCode != 200 {
		t.Errorf("another token shares the limit: %d", resp.StatusCode)
	}
	at.clock.Advance(45 * time.Second)
	if resp, _ := at.probe(authTestPAT, ""); resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Remaining") != "2" {
		t.Errorf("after the reset: %d remaining %s", resp.StatusCode, resp.Header.Get("X-RateLimit-Remaining"))
	}
}

func TestClientAuthentication(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret})
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}
	if status, body := at.postForm("/oauth/token", form, true); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("Basic auth: %d %v", status, body)
	}
	withBody := url.Values{"client_id": {authTestClientID}, "client_secret": {authTestClientSecret}}
	for k, v := range form {
		withBody[k] = v
	}
	if status, body := at.postForm("/oauth/token", withBody, false); status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("body auth: %d %v", status, body)
	}
	if status, body := at.postForm("/oauth/token", withBody, true); status != 400 || body["error"] != "invalid_request" {
		t.Errorf("both methods: %d %v", status, body)
	}
	wrong := url.Values{"client_id": {authTestClientID}, "client_secret": {"guess"}, "grant_type": {"refresh_token"}, "refresh_token": {"x"}}
	status, body := at.postForm("/oauth/token", wrong, false)
	if status != 401 || body["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", status, body)
	}
	if strings.Contains(fmt.Sprint(body), authTestClientSecret) {
		t.Error("the client secret is echoed")
	}
	for _, grant := range []string{"password", ""} {
		f := url.Values{"grant_type": {grant}}
		if status, body := at.postForm("/oauth/token", f, true); status != 400 || (body["error"] != "unsupported_grant_type" && body["error"] != "invalid_request") {
			t.Errorf("grant %q: %d %v", grant, status, body)
		}
	}
}

func TestDeadGrantsAreForgottenOnlyLongAfter(t *testing.T) {
	at := newAuthTest(t, Options{AutoApprove: true})
	tok := at.login(at.app("", authTestRedirect))
	prune := func(after time.Duration) int {
		at.auth.mu.Lock()
		defer at.auth.mu.Unlock()
		at.auth.forgetDeadGrants(at.clock.Now().Add(after))
		return len(at.auth.access)
	}
	if n := prune(3 * time.Hour); n != 1 {
		t.Fatalf("a token expired an hour ago was forgotten (%d left)", n)
	}
	at.clock.Advance(3 * time.Hour)
	if resp, body := at.probe(tok.AccessToken, ""); resp.StatusCode != 401 || !strings.Contains(body, msgTokenExpired) {
		t.Errorf("a recently expired token answers %d %s", resp.StatusCode, body)
	}
	if n := prune(24 * time.Hour); n != 0 {
		t.Errorf("a token expired a day ago was kept (%d left)", n)
	}
}
