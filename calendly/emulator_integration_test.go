package calendly_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"golang.org/x/oauth2"
)

const emulatorPAT = "pat-client-integration"

// countingTransport counts the requests the client sends.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

func emulatorClient(t *testing.T, opts calendlytest.Options) (*calendlytest.Server, *calendly.Client, *countingTransport) {
	t.Helper()
	opts.Tokens = append(opts.Tokens, emulatorPAT)
	srv := calendlytest.NewServer(opts)
	t.Cleanup(srv.Close)
	counter := &countingTransport{}
	c, err := calendly.NewClient(calendly.StaticToken(emulatorPAT),
		calendly.WithBaseURL(srv.URL), calendly.WithHTTPClient(&http.Client{Transport: counter}))
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, counter
}

func book(t *testing.T, srv *calendlytest.Server, email string, start time.Time) calendlytest.BookResult {
	t.Helper()
	res, err := srv.Book(calendlytest.BookRequest{Email: email, Name: "Guest " + email, StartTime: start})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestEmulatorScheduledEventsPageThroughTheIterator(t *testing.T) {
	srv, c, counter := emulatorClient(t, calendlytest.Options{})
	ctx := context.Background()
	me, _, err := c.Users.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.URI != srv.DefaultUser().URI || me.CurrentOrganization != srv.Organization() {
		t.Fatalf("me = %+v", me)
	}
	base := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
	var booked []string
	for i := range 7 {
		booked = append(booked, book(t, srv, "guest"+string(rune('a'+i))+"@example.com", base.Add(time.Duration(6-i)*time.Hour)).Event)
	}

	before := counter.n.Load()
	var got []calendly.ScheduledEvent
	for ev, err := range c.ScheduledEvents.All(ctx, calendly.ListScheduledEventsOptions{
		User: me.URI, Sort: "start_time:asc", ListOptions: calendly.ListOptions{Count: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev)
	}
	if len(got) != 7 {
		t.Fatalf("listed %d events, want 7", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].StartTime.Before(got[i-1].StartTime.Time) {
			t.Errorf("not sorted by start time at %d", i)
		}
	}
	if pages := counter.n.Load() - before; pages != 4 {
		t.Errorf("fetched %d pages of 2 for 7 events, want 4", pages)
	}

	// Filters travel: a window that holds the earliest two.
	window := calendly.ListScheduledEventsOptions{User: me.URI, MinStartTime: base, MaxStartTime: base.Add(90 * time.Minute)}
	inWindow, _, err := c.ScheduledEvents.List(ctx, window)
	if err != nil || len(inWindow) != 2 {
		t.Errorf("events in window = %d, %v; want 2", len(inWindow), err)
	}
	byEmail, _, err := c.ScheduledEvents.List(ctx, calendly.ListScheduledEventsOptions{Organization: srv.Organization(), InviteeEmail: "guestc@example.com"})
	if err != nil || len(byEmail) != 1 || byEmail[0].URI != booked[2] {
		t.Errorf("by invitee email = %v, %v", byEmail, err)
	}
	if _, _, err := c.ScheduledEvents.Get(ctx, booked[0]); err != nil {
		t.Errorf("Get: %v", err)
	}
	if _, _, err := c.ScheduledEvents.Get(ctx, "00000000-0000-4000-8000-000000000000"); !errors.Is(err, calendly.ErrNotFound) {
		t.Errorf("unknown event: %v", err)
	}
}

func TestEmulatorWebhookSubscriptions(t *testing.T) {
	srv, c, _ := emulatorClient(t, calendlytest.Options{})
	ctx := context.Background()
	me, _, err := c.Users.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	req := calendly.CreateWebhookSubscriptionRequest{
		URL: "https://hooks.example.com/calwatch", Events: []string{calendly.EventInviteeCreated, calendly.EventInviteeCanceled},
		Organization: srv.Organization(), User: me.URI, Scope: calendly.ScopeUser, SigningKey: "integration-signing-key",
	}
	sub, resp, err := c.WebhookSubscriptions.Create(ctx, req)
	if err != nil || resp.StatusCode != http.StatusCreated || sub.State != calendly.StateActive || sub.CallbackURL != req.URL {
		t.Fatalf("Create = %+v, %v", sub, err)
	}
	_, _, err = c.WebhookSubscriptions.Create(ctx, req)
	var apiErr *calendly.APIError
	if !errors.Is(err, calendly.ErrAlreadyExists) || !errors.As(err, &apiErr) || apiErr.Message != "Hook with this url already exists" {
		t.Errorf("same URL again: %v", err)
	}
	var listed []string
	for s, err := range c.WebhookSubscriptions.All(ctx, calendly.ListWebhookSubscriptionsOptions{
		Organization: srv.Organization(), Scope: calendly.ScopeUser, User: me.URI, ListOptions: calendly.ListOptions{Count: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, s.URI)
	}
	if len(listed) != 1 || listed[0] != sub.URI {
		t.Errorf("listed %v", listed)
	}
	if got, _, err := c.WebhookSubscriptions.Get(ctx, sub.URI); err != nil || got.URI != sub.URI {
		t.Errorf("Get = %+v, %v", got, err)
	}
	if _, err := c.WebhookSubscriptions.Delete(ctx, sub.URI); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, _, err := c.WebhookSubscriptions.Get(ctx, sub.URI); !errors.Is(err, calendly.ErrNotFound) {
		t.Errorf("Get after delete: %v", err)
	}
	_, _, err = c.WebhookSubscriptions.Create(ctx, calendly.CreateWebhookSubscriptionRequest{
		URL: "https://hooks.example.com/x", Events: []string{"no.such_event"}, Organization: srv.Organization(), User: me.URI, Scope: calendly.ScopeUser})
	if !errors.Is(err, calendly.ErrInvalidArgument) || !errors.As(err, &apiErr) || len(apiErr.Details) == 0 {
		t.Errorf("bad event name: %v", err)
	}
}

func TestEmulatorInviteesNoShowsAndCancellation(t *testing.T) {
	srv, c, _ := emulatorClient(t, calendlytest.Options{})
	ctx := context.Background()
	res := book(t, srv, "ada@example.com", time.Now().Add(72*time.Hour))

	invitees, _, err := c.Invitees.List(ctx, res.Event, calendly.ListInviteesOptions{Email: "ada@example.com"})
	if err != nil || len(invitees) != 1 || invitees[0].URI != res.Invitee {
		t.Fatalf("invitees = %+v, %v", invitees, err)
	}
	inv, _, err := c.Invitees.Get(ctx, "", res.Invitee)
	if err != nil || inv.Email != "ada@example.com" || inv.Status != calendly.StatusActive {
		t.Fatalf("Get invitee = %+v, %v", inv, err)
	}

	ns, resp, err := c.NoShows.Create(ctx, res.Invitee)
	if err != nil || resp.StatusCode != http.StatusCreated || ns.Invitee != res.Invitee {
		t.Fatalf("no-show = %+v, %v", ns, err)
	}
	if got, _, err := c.NoShows.Get(ctx, ns.URI); err != nil || got.URI != ns.URI {
		t.Errorf("Get no-show = %+v, %v", got, err)
	}
	if inv, _, _ := c.Invitees.Get(ctx, "", res.Invitee); inv == nil || inv.NoShow == nil || inv.NoShow.URI != ns.URI {
		t.Errorf("the invitee does not show the no-show")
	}
	if _, err := c.NoShows.Delete(ctx, ns.URI); err != nil {
		t.Fatalf("Delete no-show: %v", err)
	}
	if _, _, err := c.NoShows.Get(ctx, ns.URI); !errors.Is(err, calendly.ErrNotFound) {
		t.Errorf("Get after delete: %v", err)
	}

	cancel, resp, err := c.ScheduledEvents.Cancel(ctx, res.Event, "host is ill")
	if err != nil || resp.StatusCode != http.StatusCreated || calendly.Str(cancel.Reason) != "host is ill" || cancel.CancelerType != "host" {
		t.Fatalf("Cancel = %+v, %v", cancel, err)
	}
	ev, _, err := c.ScheduledEvents.Get(ctx, res.Event)
	if err != nil || ev.Status != calendly.StatusCanceled {
		t.Errorf("event after cancel = %+v, %v", ev, err)
	}
	canceled, _, err := c.Invitees.List(ctx, res.Event, calendly.ListInviteesOptions{Status: calendly.StatusCanceled})
	if err != nil || len(canceled) != 1 {
		t.Errorf("canceled invitees = %d, %v", len(canceled), err)
	}
	if _, _, err := c.ScheduledEvents.Cancel(ctx, res.Event, "again"); !errors.Is(err, calendly.ErrPermissionDenied) {
		t.Errorf("canceling twice: %v", err)
	}
}

func TestEmulatorRateLimitReachesTheClientAsRateLimitError(t *testing.T) {
	_, c, _ := emulatorClient(t, calendlytest.Options{RateLimit: 2})
	ctx := context.Background()
	for range 2 {
		if _, resp, err := c.Users.Me(ctx); err != nil || resp.Rate.Limit != 2 {
			t.Fatalf("within the limit: %v (rate %+v)", err, resp.Rate)
		}
	}
	_, _, err := c.Users.Me(ctx)
	var rle *calendly.RateLimitError
	if !errors.As(err, &rle) {
		t.Fatalf("err = %v, want *RateLimitError", err)
	}
	if wait := time.Until(rle.Rate.Reset); wait <= 0 || wait > time.Minute+time.Second {
		t.Errorf("reset in %v, want within the minute", wait)
	}
}

func TestEmulatorOAuthLoginThenRefreshThroughTheClient(t *testing.T) {
	srv := calendlytest.NewServer(calendlytest.Options{ClientID: "calwatch-it", ClientSecret: "it-secret", AutoApprove: true,
		RedirectURIs: []string{"http://127.0.0.1:1/callback"}})
	t.Cleanup(srv.Close)
	ctx := context.Background()
	app, err := calendly.NewOAuthApp("calwatch-it", "it-secret", "http://127.0.0.1:1/callback", nil, calendly.WithAuthURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	verifier := oauth2.GenerateVerifier()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(app.AuthCodeURL("st", verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := app.Exchange(ctx, loc.Query().Get("code"), verifier)
	if err != nil {
		t.Fatal(err)
	}
	if owner, org := calendly.TokenOwner(tok); owner != srv.DefaultUser().URI || org != srv.Organization() {
		t.Errorf("owner %q organization %q, want the default user and its organization", owner, org)
	}

	tok.Expiry = time.Now().Add(-time.Minute) // make the client refresh first
	var saved []*oauth2.Token
	ts, err := app.TokenSource(tok, func(_ context.Context, t *oauth2.Token) error { saved = append(saved, t); return nil })
	if err != nil {
		t.Fatal(err)
	}
	c, err := calendly.NewClient(ts, calendly.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	me, _, err := c.Users.Me(ctx)
	if err != nil || me.URI != srv.DefaultUser().URI {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if len(saved) != 1 || saved[0].RefreshToken == tok.RefreshToken {
		t.Errorf("saved %d pairs; want the rotated one", len(saved))
	}
	info, err := app.Introspect(ctx, tok.RefreshToken)
	if err != nil || info.Active {
		t.Errorf("the spent refresh token introspects as %+v, %v", info, err)
	}
}
