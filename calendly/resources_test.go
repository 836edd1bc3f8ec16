package calendly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func eventJSON(uuid string) string {
	return fmt.Sprintf(`{"uri":"https://api.calendly.com/scheduled_events/%s","name":"Intro","status":"active",
"start_time":"2026-03-01T10:00:00.000000Z","end_time":"2026-03-01T10:30:00.000000Z",
"event_type":"https://api.calendly.com/event_types/ET1","location":{"type":"zoom","join_url":"https://zoom.us/j/1"},
"invitees_counter":{"total":1,"active":1,"limit":1},"created_at":"2026-02-01T10:00:00.000000Z",
"updated_at":"2026-02-01T10:00:00.000000Z","event_memberships":[],"event_guests":[],
"meeting_notes_plain":null,"meeting_notes_html":null}`, uuid)
}

func page(next string, uuids ...string) string {
	items := make([]string, len(uuids))
	for i, u := range uuids {
		items[i] = eventJSON(u)
	}
	token := "null"
	if next != "" {
		token = `"` + next + `"`
	}
	return fmt.Sprintf(`{"collection":[%s],"pagination":{"count":%d,"next_page":null,"previous_page":null,"next_page_token":%s,"previous_page_token":null}}`,
		strings.Join(items, ","), len(uuids), token)
}

func TestScheduledEventsAllWalksEveryPage(t *testing.T) {
	api := newTestAPI(t)
	pages := map[string]string{"": page("P2", "E1", "E2"), "P2": page("P3", "E3", "E4"), "P3": page("", "E5")}
	api.mux.HandleFunc("GET /scheduled_events", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		want := map[string]string{
			"user": "https://api.calendly.com/users/U001", "status": "active", "count": "2",
			"min_start_time": "2026-03-01T00:00:00.000000Z", "max_start_time": "2026-04-01T00:00:00.000000Z",
			"sort": "start_time:asc", "invitee_email": "ada@example.com",
		}
		for k, v := range want {
			if q.Get(k) != v {
				t.Errorf("query %s = %q, want %q", k, q.Get(k), v)
			}
		}
		body, ok := pages[q.Get("page_token")]
		if !ok {
			t.Errorf("unknown page token %q", q.Get("page_token"))
		}
		writeJSON(w, 200, body)
	})
	c := api.client()
	opts := ListScheduledEventsOptions{
		User: "https://api.calendly.com/users/U001", Status: StatusActive, InviteeEmail: "ada@example.com",
		MinStartTime: time.Date(2026, 3, 1, 1, 0, 0, 0, time.FixedZone("CET", 3600)),
		MaxStartTime: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		Sort:         "start_time:asc", ListOptions: ListOptions{Count: 2},
	}
	var got []string
	for ev, err := range c.ScheduledEvents.All(context.Background(), opts) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.URI[strings.LastIndex(ev.URI, "/")+1:])
	}
	if strings.Join(got, ",") != "E1,E2,E3,E4,E5" {
		t.Errorf("events = %v", got)
	}

	// Stopping early fetches no further page.
	before := api.count("GET /scheduled_events")
	for range c.ScheduledEvents.All(context.Background(), opts) {
		break
	}
	if n := api.count("GET /scheduled_events") - before; n != 1 {
		t.Errorf("breaking after the first item fetched %d pages, want 1", n)
	}

	// One page, with its token.
	events, resp, err := c.ScheduledEvents.List(context.Background(), opts)
	if err != nil || len(events) != 2 || resp.NextPageToken != "P2" {
		t.Errorf("List = %d events, token %q, %v", len(events), resp.NextPageToken, err)
	}
}

func TestPaginationReadsOldNextPageURL(t *testing.T) {
	api := newTestAPI(t)
	api.mux.HandleFunc("GET /webhook_subscriptions", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"collection":[],"pagination":{"count":0,"next_page":"https://api.calendly.com/webhook_subscriptions?count=2&page_token=NEXT_PAGE_TOKEN&scope=user"}}`)
	})
	_, resp, err := api.client().WebhookSubscriptions.List(context.Background(), ListWebhookSubscriptionsOptions{
		Organization: "https://api.calendly.com/organizations/ORG001", Scope: ScopeOrganization})
	if err != nil || resp.NextPageToken != "NEXT_PAGE_TOKEN" {
		t.Fatalf("token = %q, err %v", resp.NextPageToken, err)
	}
}

func TestPaginationStopsOnARepeatedToken(t *testing.T) {
	api := newTestAPI(t)
	api.mux.HandleFunc("GET /scheduled_events", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, page("SAME", "E1")) })
	var errs, items int
	for _, err := range api.client().ScheduledEvents.All(context.Background(), ListScheduledEventsOptions{Organization: "o"}) {
		if err != nil {
			errs++
			continue
		}
		items++
	}
	if errs != 1 || items != 2 {
		t.Errorf("items %d errors %d; want the two pages then one error", items, errs)
	}
}

func TestPaginationYieldsAnErrorOnceAndStops(t *testing.T) {
	api := newTestAPI(t)
	api.mux.HandleFunc("GET /scheduled_events", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("page_token") == "" {
			writeJSON(w, 200, page("P2", "E1"))
			return
		}
		writeJSON(w, 500, `{"title":"Internal Server Error","message":"boom"}`)
	})
	var got []error
	for _, err := range api.client().ScheduledEvents.All(context.Background(), ListScheduledEventsOptions{Organization: "o"}) {
		got = append(got, err)
	}
	if len(got) != 2 || got[0] != nil || !errors.Is(got[1], ErrServer) {
		t.Errorf("yields = %v", got)
	}
}

func TestListOptionsAreCheckedBeforeSending(t *testing.T) {
	api := newTestAPI(t) // any request fails the test
	c := api.client()
	ctx := context.Background()
	checks := map[string]error{}
	_, _, checks["count 101"] = c.ScheduledEvents.List(ctx, ListScheduledEventsOptions{User: "u", ListOptions: ListOptions{Count: 101}})
	_, _, checks["no owner"] = c.ScheduledEvents.List(ctx, ListScheduledEventsOptions{})
	_, _, checks["bad status"] = c.ScheduledEvents.List(ctx, ListScheduledEventsOptions{User: "u", Status: "gone"})
	_, _, checks["max before min"] = c.ScheduledEvents.List(ctx, ListScheduledEventsOptions{User: "u",
		MinStartTime: time.Now(), MaxStartTime: time.Now().Add(-time.Hour)})
	_, _, checks["hooks without scope"] = c.WebhookSubscriptions.List(ctx, ListWebhookSubscriptionsOptions{Organization: "o"})
	_, _, checks["user hooks without user"] = c.WebhookSubscriptions.List(ctx, ListWebhookSubscriptionsOptions{Organization: "o", Scope: ScopeUser})
	_, _, checks["memberships without filter"] = c.Organizations.ListMemberships(ctx, ListMembershipsOptions{})
	_, _, checks["invitee status"] = c.Invitees.List(ctx, "EV1", ListInviteesOptions{Status: "x"})
	for name, err := range checks {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestWebhookSubscriptionLifecycle(t *testing.T) {
	api := newTestAPI(t)
	const hook = `{"resource":{"uri":"https://api.calendly.com/webhook_subscriptions/H1","callback_url":"https://example.com/hook",
"created_at":"2026-01-01T00:00:00.000000Z","updated_at":"2026-01-01T00:00:00.000000Z","retry_started_at":null,"state":"active",
"events":["invitee.created"],"scope":"user","organization":"https://api.calendly.com/organizations/ORG001",
"user":"https://api.calendly.com/users/U001","creator":"https://api.calendly.com/users/U001"}}`
	created := false
	api.mux.HandleFunc("POST /webhook_subscriptions", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"url": "https://example.com/hook", "events": []any{"invitee.created"}, "scope": "user",
			"organization": "https://api.calendly.com/organizations/ORG001", "user": "https://api.calendly.com/users/U001", "signing_key": "s3cret-key"}
		if fmt.Sprint(body) != fmt.Sprint(want) {
			t.Errorf("body = %v\nwant %v", body, want)
		}
		if created {
			writeJSON(w, 409, `{"title":"Already Exists","message":"Hook with this url already exists"}`)
			return
		}
		created = true
		writeJSON(w, 201, hook)
	})
	api.mux.HandleFunc("GET /webhook_subscriptions/H1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, hook) })
	api.mux.HandleFunc("DELETE /webhook_subscriptions/H1", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })

	c := api.client()
	ctx := context.Background()
	req := CreateWebhookSubscriptionRequest{URL: "https://example.com/hook", Events: []string{EventInviteeCreated}, Scope: ScopeUser,
		Organization: "https://api.calendly.com/organizations/ORG001", User: "https://api.calendly.com/users/U001", SigningKey: "s3cret-key"}
	sub, resp, err := c.WebhookSubscriptions.Create(ctx, req)
	if err != nil || resp.StatusCode != 201 || sub.State != StateActive || Str(sub.User) != req.User {
		t.Fatalf("Create = %+v, %v", sub, err)
	}
	if _, _, err := c.WebhookSubscriptions.Create(ctx, req); !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("second Create: %v, want ErrAlreadyExists", err)
	}
	if got, _, err := c.WebhookSubscriptions.Get(ctx, sub.URI); err != nil || got.CallbackURL != req.URL {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if resp, err := c.WebhookSubscriptions.Delete(ctx, sub.URI); err != nil || resp.StatusCode != 204 {
		t.Errorf("Delete: %v", err)
	}
	if _, _, err := c.WebhookSubscriptions.Create(ctx, CreateWebhookSubscriptionRequest{URL: "https://x", Events: []string{"a"}, Organization: "o", Scope: ScopeUser}); err == nil {
		t.Error("a user-scope subscription without a user was sent")
	}
}

func TestSigningKeyNeverPrinted(t *testing.T) {
	req := CreateWebhookSubscriptionRequest{URL: "https://example.com/hook", SigningKey: "s3cret-key"}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("subscribing", "request", req)
	for _, out := range []string{fmt.Sprint(req), fmt.Sprintf("%+v", req), fmt.Sprintf("%#v", req), fmt.Sprintf("%v", &req), logged.String()} {
		if strings.Contains(out, "s3cret-key") {
			t.Errorf("signing key printed: %s", out)
		}
		if !strings.Contains(out, "https://example.com/hook") {
			t.Errorf("the description lost the URL: %s", out)
		}
	}
}

func TestInviteesNoShowsAndCancellation(t *testing.T) {
	api := newTestAPI(t)
	const invitee = `{"resource":{"uri":"https://api.calendly.com/scheduled_events/EV1/invitees/INV1","email":"ada@example.com","name":"Ada","status":"active","event":"https://api.calendly.com/scheduled_events/EV1"}}`
	api.mux.HandleFunc("GET /scheduled_events/EV1/invitees", func(w http.ResponseWriter, r *http.Request) {
		if q := r.URL.Query(); q.Get("email") != "ada@example.com" || q.Get("status") != "active" || q.Get("sort") != "created_at:desc" {
			t.Errorf("query = %v", q)
		}
		writeJSON(w, 200, `{"collection":[`+strings.TrimSuffix(strings.TrimPrefix(invitee, `{"resource":`), "}")+`],"pagination":{"count":1,"next_page_token":null}}`)
	})
	api.mux.HandleFunc("GET /scheduled_events/EV1/invitees/INV1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, invitee) })
	api.mux.HandleFunc("POST /scheduled_events/EV1/cancellation", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"reason":"double booked"}` {
			t.Errorf("cancellation body = %s", b)
		}
		writeJSON(w, 201, `{"resource":{"canceled_by":"Ada","reason":"double booked","canceler_type":"host","created_at":"2026-03-01T09:00:00.000000Z"}}`)
	})
	const noShow = `{"resource":{"uri":"https://api.calendly.com/invitee_no_shows/NS1","invitee":"https://api.calendly.com/scheduled_events/EV1/invitees/INV1","created_at":"2026-03-01T11:00:00.000000Z"}}`
	api.mux.HandleFunc("POST /invitee_no_shows", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if string(b) != `{"invitee":"https://api.calendly.com/scheduled_events/EV1/invitees/INV1"}` {
			t.Errorf("no-show body = %s", b)
		}
		writeJSON(w, 201, noShow)
	})
	api.mux.HandleFunc("GET /invitee_no_shows/NS1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, noShow) })
	api.mux.HandleFunc("DELETE /invitee_no_shows/NS1", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })

	c := api.client()
	ctx := context.Background()
	const inviteeURI = "https://api.calendly.com/scheduled_events/EV1/invitees/INV1"
	list, _, err := c.Invitees.List(ctx, "https://api.calendly.com/scheduled_events/EV1", ListInviteesOptions{Status: StatusActive, Email: "ada@example.com", Sort: "created_at:desc"})
	if err != nil || len(list) != 1 || list[0].URI != inviteeURI {
		t.Errorf("List = %+v, %v", list, err)
	}
	if inv, _, err := c.Invitees.Get(ctx, "", inviteeURI); err != nil || inv.Email != "ada@example.com" {
		t.Errorf("Get by URI = %+v, %v", inv, err)
	}
	if _, _, err := c.Invitees.Get(ctx, "EV1", "INV1"); err != nil {
		t.Errorf("Get by UUIDs: %v", err)
	}
	if _, _, err := c.Invitees.Get(ctx, "", "INV1"); err == nil {
		t.Error("Get with a bare invitee UUID and no event was accepted")
	}
	cancel, _, err := c.ScheduledEvents.Cancel(ctx, "EV1", "double booked")
	if err != nil || cancel.CancelerType != "host" || Str(cancel.Reason) != "double booked" {
		t.Errorf("Cancel = %+v, %v", cancel, err)
	}
	ns, _, err := c.NoShows.Create(ctx, inviteeURI)
	if err != nil || ns.Invitee != inviteeURI {
		t.Fatalf("Create no-show = %+v, %v", ns, err)
	}
	if got, _, err := c.NoShows.Get(ctx, ns.URI); err != nil || got.URI != ns.URI {
		t.Errorf("Get no-show = %+v, %v", got, err)
	}
	if _, err := c.NoShows.Delete(ctx, ns.URI); err != nil {
		t.Errorf("Delete no-show: %v", err)
	}
}
