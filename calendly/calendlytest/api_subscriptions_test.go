package calendlytest

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

const testSigningKey = "whsec-emulator-test-key-do-not-print"

func userSubscription(s *Server, callback string, events ...string) map[string]any {
	if len(events) == 0 {
		events = []string{calendly.EventInviteeCreated, calendly.EventInviteeCanceled}
	}
	return map[string]any{
		"url": callback, "events": events, "organization": s.Organization(),
		"user": s.DefaultUser().URI, "scope": "user", "signing_key": testSigningKey,
	}
}

func TestCreateSubscriptionAnswersTheResourceWithoutItsSigningKey(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	a := call(t, http.MethodPost, s.URL+"/webhook_subscriptions", testPAT,
		jsonText(t, userSubscription(s, "https://hooks.example.com/calendly")))
	var got resource[calendly.WebhookSubscription]
	a.want(t, http.StatusCreated, &got)
	if bytes.Contains(a.body, []byte(testSigningKey)) || bytes.Contains(a.body, []byte("signing_key")) {
		t.Fatalf("the answer gives the signing key away: %s", a.body)
	}
	sub := got.Resource
	id, ok := strings.CutPrefix(sub.URI, s.URL+"/webhook_subscriptions/")
	if !ok || !uuidV4.MatchString(id) {
		t.Errorf("uri %q", sub.URI)
	}
	me := s.DefaultUser().URI
	if sub.CallbackURL != "https://hooks.example.com/calendly" || sub.State != calendly.StateActive ||
		sub.Scope != calendly.ScopeUser || calendly.Str(sub.User) != me || calendly.Str(sub.Creator) != me ||
		sub.Organization != s.Organization() || sub.RetryStartedAt != nil || len(sub.Events) != 2 || sub.CreatedAt.IsZero() {
		t.Errorf("created subscription %+v", sub)
	}
	list := "/webhook_subscriptions?organization=" + url.QueryEscape(s.Organization()) + "&scope=user&user=" + url.QueryEscape(me)
	for _, a := range []answer{call(t, http.MethodGet, sub.URI, testPAT, ""), apiGet(t, s, list)} {
		if a.status != http.StatusOK || bytes.Contains(a.body, []byte(testSigningKey)) || bytes.Contains(a.body, []byte("signing_key")) {
			t.Errorf("GET answers %d or gives the signing key away: %s", a.status, a.body)
		}
	}
}

func TestSameURLTwiceIsAlreadyExists(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	body := jsonText(t, userSubscription(s, "https://hooks.example.com/x"))
	call(t, http.MethodPost, s.URL+"/webhook_subscriptions", testPAT, body).want(t, http.StatusCreated, nil)
	e := call(t, http.MethodPost, s.URL+"/webhook_subscriptions", testPAT, body).wantError(t, http.StatusConflict, "Already Exists")
	if e.Message != "Hook with this url already exists" {
		t.Errorf("409 message %q", e.Message)
	}
}

func TestCreateSubscriptionValidation(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	valid := func(change func(map[string]any)) string {
		body := userSubscription(s, "https://hooks.example.com/v")
		change(body)
		return jsonText(t, body)
	}
	cases := []struct{ name, body, parameter string }{
		{"missing url", valid(func(b map[string]any) { delete(b, "url") }), "url"},
		{"not a web url", valid(func(b map[string]any) { b["url"] = "ftp://example.com/x" }), "url"},
		{"relative url", valid(func(b map[string]any) { b["url"] = "/hook" }), "url"},
		{"no events", valid(func(b map[string]any) { b["events"] = []string{} }), "events"},
		{"unknown event", valid(func(b map[string]any) { b["events"] = []string{"invitee.exploded"} }), "events"},
		{"events not a list", valid(func(b map[string]any) { b["events"] = "invitee.created" }), "events"},
		{"missing organization", valid(func(b map[string]any) { delete(b, "organization") }), "organization"},
		{"missing scope", valid(func(b map[string]any) { delete(b, "scope") }), "scope"},
		{"bad scope", valid(func(b map[string]any) { b["scope"] = "planet" }), "scope"},
		{"user scope without user", valid(func(b map[string]any) { delete(b, "user") }), "user"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			call(t, http.MethodPost, s.URL+"/webhook_subscriptions", testPAT, c.body).wantDetail(t, c.parameter)
		})
	}
	call(t, http.MethodPost, s.URL+"/webhook_subscriptions", testPAT, "{not json").wantError(t, http.StatusBadRequest, "Invalid Argument")
	call(t, http.MethodPost, s.URL+"/webhook_subscriptions", testPAT,
		valid(func(b map[string]any) { b["organization"] = s.URL + "/organizations/" + newUUID() })).
		wantError(t, http.StatusForbidden, "Permission Denied")
}

func TestListSubscriptionsNeedsOrganizationAndScopeAndPages(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	for i := range 3 {
		subscribe(t, s, userSubscription(s, "https://hooks.example.com/"+string(rune('a'+i))))
	}
	orgScoped := subscribe(t, s, map[string]any{
		"url": "https://hooks.example.com/org", "events": []string{calendly.EventInviteeCreated},
		"organization": s.Organization(), "scope": "organization",
	})
	if orgScoped.User != nil {
		t.Errorf("organization-scope subscription has user %q", *orgScoped.User)
	}
	org, me := url.QueryEscape(s.Organization()), url.QueryEscape(s.DefaultUser().URI)

	rows, pages := walk[calendly.WebhookSubscription](t, s, "/webhook_subscriptions?count=1&scope=user&organization="+org+"&user="+me)
	if len(rows) != 3 || len(pages) != 3 {
		t.Fatalf("user scope: %d rows on %d pages, want 3 on 3", len(rows), len(pages))
	}
	for i, sub := range rows {
		if want := "https://hooks.example.com/" + string(rune('a'+i)); sub.CallbackURL != want {
			t.Errorf("row %d is %s, want %s (oldest first)", i, sub.CallbackURL, want)
		}
	}
	var desc list[calendly.WebhookSubscription]
	apiGet(t, s, "/webhook_subscriptions?sort=created_at:desc&scope=user&organization="+org+"&user="+me).want(t, http.StatusOK, &desc)
	if len(desc.Collection) != 3 || desc.Collection[0].CallbackURL != "https://hooks.example.com/c" {
		t.Errorf("created_at:desc gave %+v", desc.Collection)
	}
	var orgList list[calendly.WebhookSubscription]
	apiGet(t, s, "/webhook_subscriptions?scope=organization&organization="+org).want(t, http.StatusOK, &orgList)
	if len(orgList.Collection) != 1 || orgList.Collection[0].URI != orgScoped.URI {
		t.Errorf("organization scope list %+v", orgList.Collection)
	}

	for query, parameter := range map[string]string{
		"?scope=user&user=" + me:                                    "organization",
		"?organization=" + org:                                      "scope",
		"?organization=" + org + "&scope=user":                      "user",
		"?organization=" + org + "&scope=organization&count=500":    "count",
		"?organization=" + org + "&scope=organization&sort=url:asc": "sort",
	} {
		apiGet(t, s, "/webhook_subscriptions"+query).wantDetail(t, parameter)
	}
}

func TestDeleteSubscription(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	sub := subscribe(t, s, userSubscription(s, "https://hooks.example.com/d"))
	a := call(t, http.MethodDelete, sub.URI, testPAT, "")
	if a.status != http.StatusNoContent || len(a.body) != 0 {
		t.Fatalf("DELETE answered %d %s, want 204 and no body", a.status, a.body)
	}
	call(t, http.MethodGet, sub.URI, testPAT, "").wantError(t, http.StatusNotFound, "Resource Not Found")
	call(t, http.MethodDelete, sub.URI, testPAT, "").wantError(t, http.StatusNotFound, "Resource Not Found")
	// Deleted, the URL may be subscribed again.
	subscribe(t, s, userSubscription(s, "https://hooks.example.com/d"))
}

func TestSubscriptionSigningKeyDependsOnTheTokenKind(t *testing.T) {
	s, outbox := startEmulator(t, Options{SigningKey: "oauth-app-key"})
	subscribe(t, s, userSubscription(s, "https://hooks.example.com/pat"))

	oauth := oauthToken(s, calendly.ScopeWebhooksWrite)
	call(t, http.MethodPost, s.URL+"/webhook_subscriptions", oauth,
		jsonText(t, userSubscription(s, "https://hooks.example.com/oauth"))).want(t, http.StatusCreated, nil)

	mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	keys := map[string]string{}
	for _, o := range outbox.all() {
		keys[o.target.CallbackURL] = string(o.target.SigningKey)
	}
	if keys["https://hooks.example.com/pat"] != testSigningKey || keys["https://hooks.example.com/oauth"] != "oauth-app-key" {
		t.Errorf("signing keys by callback %q: a PAT subscription signs with its signing_key, an OAuth one with the app's", keys)
	}
}

func TestDelivererHooksChangeSubscriptionState(t *testing.T) {
	s, outbox := startEmulator(t, Options{})
	sub := subscribe(t, s, userSubscription(s, "https://hooks.example.com/h"))
	since := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

	s.subscriptionRetrying(sub.URI, since)
	got := getSubscriptionByURI(t, sub.URI)
	if got.RetryStartedAt == nil || !got.RetryStartedAt.Equal(since) || got.State != calendly.StateActive {
		t.Errorf("after a failure: retry_started_at %v state %s", got.RetryStartedAt, got.State)
	}
	s.subscriptionRecovered(sub.URI)
	if got := getSubscriptionByURI(t, sub.URI); got.RetryStartedAt != nil {
		t.Errorf("after recovery retry_started_at is %v, want null", got.RetryStartedAt)
	}
	s.disableSubscription(sub.URI)
	if got := getSubscriptionByURI(t, sub.URI); got.State != calendly.StateDisabled {
		t.Errorf("state %q, want disabled", got.State)
	}
	mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	if n := len(outbox.all()); n != 0 {
		t.Errorf("a disabled subscription got %d deliveries", n)
	}
	s.removeSubscription(sub.URI)
	call(t, http.MethodGet, sub.URI, testPAT, "").wantError(t, http.StatusNotFound, "Resource Not Found")
}

func getSubscriptionByURI(t *testing.T, uri string) calendly.WebhookSubscription {
	t.Helper()
	var got resource[calendly.WebhookSubscription]
	call(t, http.MethodGet, uri, testPAT, "").want(t, http.StatusOK, &got)
	return got.Resource
}

func TestEndpointsAskTheAuthorityForTheirScope(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	usersOnly := oauthToken(s, calendly.ScopeUsersRead)
	reader := oauthToken(s, calendly.ScopeScheduledEventsRead)
	hooks := oauthToken(s, calendly.ScopeWebhooksWrite)
	org, me := url.QueryEscape(s.Organization()), url.QueryEscape(s.DefaultUser().URI)
	subs := s.URL + "/webhook_subscriptions?scope=user&organization=" + org + "&user=" + me
	newSub := jsonText(t, userSubscription(s, "https://hooks.example.com/scopes"))
	cases := []struct {
		token, method, url, body string
		want                     int
	}{
		{usersOnly, http.MethodGet, s.URL + "/users/me", "", http.StatusOK},
		{reader, http.MethodGet, s.URL + "/users/me", "", http.StatusForbidden},
		{usersOnly, http.MethodGet, booked.Event, "", http.StatusForbidden},
		{reader, http.MethodGet, booked.Event, "", http.StatusOK},
		{reader, http.MethodGet, booked.Invitee, "", http.StatusOK},
		{reader, http.MethodPost, booked.Event + "/cancellation", "", http.StatusForbidden},
		{reader, http.MethodPost, s.URL + "/invitee_no_shows", `{"invitee":"` + booked.Invitee + `"}`, http.StatusForbidden},
		{reader, http.MethodPost, s.URL + "/webhook_subscriptions", newSub, http.StatusForbidden},
		{reader, http.MethodGet, subs, "", http.StatusForbidden},
		{hooks, http.MethodPost, s.URL + "/webhook_subscriptions", newSub, http.StatusCreated},
		{hooks, http.MethodGet, subs, "", http.StatusOK}, // webhooks:write includes reading them
	}
	for _, c := range cases {
		a := call(t, c.method, c.url, c.token, c.body)
		if a.status != c.want {
			t.Errorf("%s %s: %d, want %d (%s)", c.method, c.url, a.status, c.want, a.body)
		}
		if a.status == http.StatusForbidden {
			a.wantError(t, http.StatusForbidden, "Permission Denied")
		}
	}
}
