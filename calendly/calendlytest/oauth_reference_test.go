package calendlytest

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/oauth2"
)

// oauthReference reads one of Calendly's documented OAuth answers.
func oauthReference(t *testing.T, name string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "reference", "calendly", "payloads", name))
	if err != nil {
		t.Skip("reference payloads not present:", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sameKeysAndKinds(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	gotKeys, wantKeys := keysOf(got), keysOf(want)
	if !slices.Equal(gotKeys, wantKeys) {
		t.Errorf("%s keys %v, Calendly's %v", what, gotKeys, wantKeys)
	}
	for k, v := range want {
		if g, ok := got[k]; ok && jsonKindOf(g) != jsonKindOf(v) {
			t.Errorf("%s %q is %T, Calendly's is %T", what, k, g, v)
		}
	}
}

func keysOf(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func jsonKindOf(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "object"
}

func TestTokenAndIntrospectAnswersHaveCalendlysShape(t *testing.T) {
	wantToken := oauthReference(t, "doc-example_oauth_token_response.json")
	wantIntrospect := oauthReference(t, "doc-example_oauth_introspect_response.json")
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	verifier := oauth2.GenerateVerifier()
	code := at.approve(app, verifier)

	status, token := at.postForm("/oauth/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {authTestRedirect}, "code_verifier": {verifier}}, true)
	if status != 200 {
		t.Fatalf("token: %d %v", status, token)
	}
	sameKeysAndKinds(t, "token answer", token, wantToken)

	status, refreshed := at.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token["refresh_token"].(string)}}, true)
	if status != 200 {
		t.Fatalf("refresh: %d %v", status, refreshed)
	}
	sameKeysAndKinds(t, "refresh answer", refreshed, wantToken)

	status, info := at.postForm("/oauth/introspect", url.Values{"token": {refreshed["access_token"].(string)}}, true)
	if status != 200 {
		t.Fatalf("introspect: %d %v", status, info)
	}
	sameKeysAndKinds(t, "introspect answer", info, wantIntrospect)

	wantError := oauthReference(t, "oauth_POST_token_error_400_invalid_grant.koshilife.json")
	status, spent := at.postForm("/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token["refresh_token"].(string)}}, true)
	if status != 400 {
		t.Fatalf("spent refresh: %d", status)
	}
	sameKeysAndKinds(t, "invalid_grant answer", spent, wantError)
	if spent["error_description"] != wantError["error_description"] {
		t.Errorf("invalid_grant description %q, Calendly's %q", spent["error_description"], wantError["error_description"])
	}
}
