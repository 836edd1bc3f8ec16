package calendlytest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// FuzzTokenEndpoint throws arbitrary forms and Authorization headers at
// POST /oauth/token. Whatever comes in, the answer is an RFC 6749 error
// (no code or refresh token was ever issued, so nothing may succeed), it is
// JSON, and it never echoes the client secret.
func FuzzTokenEndpoint(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&code_verifier=v", "Basic Y2Fsd2F0Y2gtdGVzdC1hcHA6Y2xpZW50LXNlY3JldC1kby1ub3QtcHJpbnQ=")
	f.Add("application/x-www-form-urlencoded", "grant_type=refresh_token&refresh_token=r&client_id=calwatch-test-app&client_secret=client-secret-do-not-print", "")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "grant_type=refresh_token&grant_type=authorization_code", "Basic %%%")
	f.Add("application/json", `{"grant_type":"refresh_token"}`, "Bearer x")
	f.Add("application/x-www-form-urlencoded", "%zz=1&client_id=calwatch-test-app", "Basic Og==")
	f.Add("multipart/form-data; boundary=x", "--x--", "basic "+strings.Repeat("A", 300))
	f.Fuzz(func(t *testing.T, contentType, body, authorization string) {
		auth := newAuthority(Options{ClientID: authTestClientID, ClientSecret: authTestClientSecret},
			authTestUser, func() string { return "http://emulator.test" }, func() time.Time { return time.Unix(1_800_000_000, 0) })
		req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("Authorization", authorization)
		rec := httptest.NewRecorder()
		auth.token(rec, req)

		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusUnauthorized {
			t.Fatalf("status %d for a request that cannot be valid", rec.Code)
		}
		var answer calendly.OAuthError
		if err := json.Unmarshal(rec.Body.Bytes(), &answer); err != nil || answer.Code == "" {
			t.Fatalf("answer is not an OAuth error: %q", rec.Body.String())
		}
		if strings.Contains(rec.Body.String(), authTestClientSecret) {
			t.Fatal("the client secret is echoed")
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatal("a token endpoint answer may be cached")
		}
	})
}

// FuzzParseScopes: whatever the scope parameter, a grant never holds a scope
// the emulator does not know, nor one twice.
func FuzzParseScopes(f *testing.F) {
	f.Add("users:read scheduled_events:read webhooks:write")
	f.Add("default")
	f.Add("")
	f.Add("users:read  users:read\twebhooks:read")
	f.Add("admin")
	f.Fuzz(func(t *testing.T, raw string) {
		scopes, ok := parseScopes(raw)
		if !ok {
			return
		}
		seen := map[string]bool{}
		for _, s := range scopes {
			if seen[s] || !slices.Contains(knownScopes, s) {
				t.Fatalf("%q granted %v", raw, scopes)
			}
			seen[s] = true
		}
	})
}

// FuzzAuthorize throws arbitrary queries at GET /oauth/authorize and
// arbitrary forms at POST: the answer is a page (200, 400, 403) or a
// redirect, a redirect only ever goes to the registered URI, and a code
// only ever comes from a consent page the server itself issued (the POST
// here carries none, so it never yields a code).
func FuzzAuthorize(f *testing.F) {
	f.Add("client_id=app&redirect_uri=http%3A%2F%2Flocalhost%3A8765%2Fcallback&response_type=code&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256", "decision=approve")
	f.Add("client_id=app&redirect_uri=http%3A%2F%2Fevil.example%2F&response_type=code", "csrf_token=x&decision=approve")
	f.Add("client_id=app&redirect_uri=http%3A%2F%2Flocalhost%3A8765%2Fcallback&response_type=token&state=%22%3E", "client_id=app&redirect_uri=http%3A%2F%2Flocalhost%3A8765%2Fcallback&decision=approve")
	f.Add("%zz", "%zz")
	f.Fuzz(func(t *testing.T, query, form string) {
		for _, autoApprove := range []bool{false, true} {
			auth := newAuthority(Options{ClientID: "app", AutoApprove: autoApprove},
				authTestUser, func() string { return "http://emulator.test" }, func() time.Time { return time.Unix(1_800_000_000, 0) })
			page := httptest.NewRequest("GET", "/oauth/authorize", nil)
			page.URL.RawQuery = query
			get := httptest.NewRecorder()
			auth.authorizePage(get, page)
			checkAuthorizeAnswer(t, get, true)

			post := httptest.NewRequest("POST", "/oauth/authorize", strings.NewReader(form))
			post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			auth.authorizeDecision(rec, post)
			checkAuthorizeAnswer(t, rec, false)
		}
	})
}

func checkAuthorizeAnswer(t *testing.T, rec *httptest.ResponseRecorder, codeAllowed bool) {
	t.Helper()
	switch rec.Code {
	case http.StatusOK, http.StatusBadRequest, http.StatusForbidden:
		if rec.Header().Get("Location") != "" {
			t.Fatalf("a %d page also redirects", rec.Code)
		}
	case http.StatusFound:
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil {
			t.Fatalf("unreadable Location %q", rec.Header().Get("Location"))
		}
		if before, _, _ := strings.Cut(loc.String(), "?"); before != DefaultRedirectURI {
			t.Fatalf("redirected to %s, which is not registered", loc)
		}
		if loc.Query().Get("code") != "" && !codeAllowed {
			t.Fatalf("a code without a consent page: %s", loc)
		}
	default:
		t.Fatalf("status %d", rec.Code)
	}
}
