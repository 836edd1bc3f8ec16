package calendly

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// clientFixtureDir is Calendly's reference data beside the repository.
var clientFixtureDir = filepath.Join("..", "..", "shared", "reference", "calendly", "payloads")

// clientFixtureTypes maps each API or OAuth fixture to the client type that
// must read it. A new fixture with no entry fails the test.
var clientFixtureTypes = map[string]func() any{
	"api_GET_invitee_canceled_rescheduled.koshilife.json":     func() any { return new(resourceBody[Invitee]) },
	"api_GET_scheduled_event_canceled.koshilife.json":         func() any { return new(resourceBody[ScheduledEvent]) },
	"api_GET_scheduled_events_list.koshilife.json":            func() any { return new(collectionBody[ScheduledEvent]) },
	"api_GET_users_me.koshilife.json":                         func() any { return new(resourceBody[User]) },
	"api_GET_webhook_subscriptions_list_page1.koshilife.json": func() any { return new(collectionBody[WebhookSubscription]) },
	"api_POST_invitee_no_shows_201.koshilife.json":            func() any { return new(resourceBody[InviteeNoShow]) },
	"oauth_POST_token_error_400_invalid_grant.koshilife.json": func() any { return new(OAuthError) },
	"oauth_POST_token_refresh_response.koshilife.json":        func() any { return new(TokenResponse) },
	"doc-example_oauth_introspect_response.json":              func() any { return new(Introspection) },
	"doc-example_oauth_token_response.json":                   func() any { return new(TokenResponse) },
}

func TestClientTypesReadEveryReferenceFixture(t *testing.T) {
	var files []string
	for _, pattern := range []string{"api_*.json", "oauth_*.json", "doc-example_oauth_*.json"} {
		m, _ := filepath.Glob(filepath.Join(clientFixtureDir, pattern))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skip("reference payloads not present at", clientFixtureDir)
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			newValue, ok := clientFixtureTypes[name]
			if !ok {
				t.Fatalf("no client type is mapped to %s; add it to clientFixtureTypes", name)
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			first := newValue()
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(first); err != nil {
				t.Fatalf("decoding with every field known: %v", err)
			}
			encoded, err := json.Marshal(first)
			if err != nil {
				t.Fatal(err)
			}
			second := newValue()
			if err := json.Unmarshal(encoded, second); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(first, second) {
				t.Errorf("decode → encode → decode changed the value:\n%+v\n%+v", first, second)
			}
			if missing := missingKeys(t, raw, encoded); len(missing) > 0 {
				t.Errorf("encoding drops fixture keys: %v", missing)
			}
		})
	}
}

// missingKeys lists the object keys (as paths) of fixture that encoded lacks.
func missingKeys(t *testing.T, fixture, encoded []byte) []string {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(fixture, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(encoded, &b); err != nil {
		t.Fatal(err)
	}
	var missing []string
	var walk func(path string, x, y any)
	walk = func(path string, x, y any) {
		switch xv := x.(type) {
		case map[string]any:
			yv, _ := y.(map[string]any)
			for k, v := range xv {
				w, ok := yv[k]
				if !ok {
					missing = append(missing, path+"."+k)
					continue
				}
				walk(path+"."+k, v, w)
			}
		case []any:
			yv, _ := y.([]any)
			for i := range xv {
				if i < len(yv) {
					walk(path+"[]", xv[i], yv[i])
				}
			}
		}
	}
	walk("", a, b)
	sort.Strings(missing)
	return missing
}

func TestFixtureKeyCheckCatchesDroppedKeys(t *testing.T) {
	got := missingKeys(t, []byte(`{"a":{"b":1,"c":[{"d":2}]}}`), []byte(`{"a":{"b":1,"c":[{}]}}`))
	if strings.Join(got, ",") != ".a.c[].d" {
		t.Errorf("missing = %v", got)
	}
}
