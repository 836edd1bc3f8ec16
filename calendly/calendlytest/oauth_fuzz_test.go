package calendlytest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
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
