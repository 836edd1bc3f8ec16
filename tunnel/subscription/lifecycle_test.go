package subscription

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

// TestEnsureCreatesWithItsOwnSealedKey: a PAT login gets a subscription
// with a fresh key, remembered with its events, owner and auth kind and the
// key sealed; Calendly's deliveries verify with the key Ensure returned.
func TestEnsureCreatesWithItsOwnSealedKey(t *testing.T) {
	f := newFixture(t, calendlytest.Options{})
	ctx := context.Background()
	url, got := receiver(t)
	var expected []byte
	expect := func(key []byte) {
		// Told before the subscription exists, so a listener can take a
		// delivery that comes before Ensure returns.
		if subs, err := f.store.Subscriptions(ctx); err != nil || len(subs) != 0 {
			t.Errorf("Expect was called after the subscription was made (%d remembered, %v)", len(subs), err)
		}
		expected = bytes.Clone(key)
	}
	active, err := f.life.Ensure(ctx, Request{CallbackURL: url, Expect: expect})
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if !bytes.Equal(expected, active.SigningKey) {
		t.Error("Expect was not told the key the subscription was made with")
	}
	if active.Reused || len(active.SigningKey) != 64 || !slices.Equal(active.Events, DefaultEvents) || active.Scope != calendly.ScopeUser {
		t.Errorf("active = %v reused=%v key %d bytes; want a new user-scope subscription with the default events and a 64-character key", active, active.Reused, len(active.SigningKey))
	}
	subs, err := f.store.Subscriptions(ctx)
	if err != nil || len(subs) != 1 {
		t.Fatalf("remembered = %+v, %v", subs, err)
	}
	sub := subs[0]
	if sub.URI != active.URI || sub.CallbackURL != url || sub.Owner != f.emu.DefaultUser().URI || sub.AuthKind != AuthPAT || !slices.Equal(sub.Events, DefaultEvents) {
		t.Errorf("remembered %+v", sub)
	}
	if bytes.Contains(sub.SigningKey, active.SigningKey) {
		t.Error("the signing key is stored in the clear")
	}

	if _, err := f.emu.Book(calendlytest.BookRequest{Email: "ann@example.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-got:
		if _, err := calendly.Verify(d.header, d.body, active.SigningKey, time.Now(), 0); err != nil {
			t.Errorf("Calendly's delivery does not verify with the key Ensure returned: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery arrived")
	}

	// A second subscription gets a key of its own.
	other, err := f.lifecycle(t, openStore(t)).Ensure(ctx, Request{CallbackURL: url + "2"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other.SigningKey, active.SigningKey) {
		t.Error("two subscriptions got the same signing key")
	}
}

// TestEnsureReusesOursOn409: a restart asks for the same URL; Calendly
// answers 409 and the remembered subscription is kept, with its key.
func TestEnsureReusesOursOn409(t *testing.T) {
	f := newFixture(t, calendlytest.Options{})
	ctx := context.Background()
	url, _ := receiver(t)
	first, err := f.life.Ensure(ctx, Request{CallbackURL: url})
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.lifecycle(t, f.store).Ensure(ctx, Request{CallbackURL: url})
	if err != nil {
		t.Fatalf("Ensure after restart: %v", err)
	}
	if !again.Reused || again.URI != first.URI || !bytes.Equal(again.SigningKey, first.SigningKey) {
		t.Errorf("after restart: %v reused=%v, want %s reused with the same key", again, again.Reused, first.URI)
	}
	if subs, _ := f.store.Subscriptions(ctx); len(subs) != 1 {
		t.Errorf("remembered %d subscriptions, want 1", len(subs))
	}
}

// TestEnsureReplacesOursItCannotUse: on 409 for a subscription of ours
// whose key will not open, or whose events differ, ours is deleted and
// made again.
func TestEnsureReplacesOursItCannotUse(t *testing.T) {
	for name, tamper := range map[string]func(*storage.Subscription, *Request){
		"key lost":       func(s *storage.Subscription, _ *Request) { s.SigningKey = []byte("garbage") },
		"other events":   func(_ *storage.Subscription, r *Request) { r.Events = []string{calendly.EventInviteeCreated} },
		"made via OAuth": func(s *storage.Subscription, _ *Request) { s.AuthKind = AuthOAuth },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, calendlytest.Options{})
			ctx := context.Background()
			url, _ := receiver(t)
			first, err := f.life.Ensure(ctx, Request{CallbackURL: url})
			if err != nil {
				t.Fatal(err)
			}
			subs, _ := f.store.Subscriptions(ctx)
			req := Request{CallbackURL: url}
			tamper(&subs[0], &req)
			if err := f.store.RememberSubscription(ctx, subs[0]); err != nil {
				t.Fatal(err)
			}
			next, err := f.life.Ensure(ctx, req)
			if err != nil {
				t.Fatalf("Ensure: %v", err)
			}
			if next.Reused || next.URI == first.URI {
				t.Errorf("got %v reused=%v; want a new subscription", next, next.Reused)
			}
			if st := f.state(t, first.URI); st != "gone" {
				t.Errorf("the old subscription of ours is %s, want deleted", st)
			}
			if subs, _ := f.store.Subscriptions(ctx); len(subs) != 1 || subs[0].URI != next.URI {
				t.Errorf("remembered %+v, want only %s", subs, next.URI)
			}
		})
	}
}

// TestEnsureLeavesForeignSubscriptionsAlone: the URL is subscribed by
// something calwatch did not create; Ensure says who holds it and changes
// nothing.
func TestEnsureLeavesForeignSubscriptionsAlone(t *testing.T) {
	f := newFixture(t, calendlytest.Options{})
	ctx := context.Background()
	url, _ := receiver(t)
	foreign := f.createForeign(t, url)
	_, err := f.life.Ensure(ctx, Request{CallbackURL: url})
	var fe *ForeignError
	if !errors.As(err, &fe) || fe.Existing.URI != foreign.URI {
		t.Fatalf("err = %v, want a *ForeignError naming %s", err, foreign.URI)
	}
	for _, want := range []string{foreign.URI, calendly.Str(foreign.Creator), "did not create"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	if st := f.state(t, foreign.URI); st != calendly.StateActive {
		t.Errorf("the foreign subscription is %s, want untouched (active)", st)
	}
	if err := f.life.Remove(ctx, foreign.URI); !errors.As(err, new(*NotOursError)) {
		t.Errorf("Remove(foreign) = %v, want a *NotOursError", err)
	}
	if st := f.state(t, foreign.URI); st != calendly.StateActive {
		t.Errorf("after Remove the foreign subscription is %s, want untouched", st)
	}
}

// TestEnsureRecreatesADisabledOne: Calendly disabled ours after failed
// deliveries; the next Ensure deletes it and creates a new one.
func TestEnsureRecreatesADisabledOne(t *testing.T) {
	f := newFixture(t, calendlytest.Options{RetryBase: time.Millisecond, RetryWindow: 20 * time.Millisecond})
	ctx := context.Background()
	url := closedURL(t)
	first, err := f.life.Ensure(ctx, Request{CallbackURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.emu.Book(calendlytest.BookRequest{Email: "ann@example.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Calendly to disable the subscription", func() bool { return f.state(t, first.URI) == calendly.StateDisabled })
	next, err := f.life.Ensure(ctx, Request{CallbackURL: url})
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if next.Reused || next.URI == first.URI || f.state(t, next.URI) != calendly.StateActive {
		t.Errorf("got %v reused=%v; want a new active subscription", next, next.Reused)
	}
	if st := f.state(t, first.URI); st != "gone" {
		t.Errorf("the disabled subscription is %s, want deleted", st)
	}
}

// TestRemoveDeletesOursAndForgetsIt: the exit path; one already deleted at
// Calendly is just forgotten.
func TestRemoveDeletesOursAndForgetsIt(t *testing.T) {
	f := newFixture(t, calendlytest.Options{})
	ctx := context.Background()
	url, _ := receiver(t)
	active, err := f.life.Ensure(ctx, Request{CallbackURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.life.Remove(ctx, active.URI); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if st := f.state(t, active.URI); st != "gone" {
		t.Errorf("after Remove it is %s at Calendly", st)
	}
	if subs, _ := f.store.Subscriptions(ctx); len(subs) != 0 {
		t.Errorf("still remembered: %+v", subs)
	}

	again, err := f.life.Ensure(ctx, Request{CallbackURL: url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.WebhookSubscriptions.Delete(ctx, again.URI); err != nil {
		t.Fatal(err)
	}
	if err := f.life.Remove(ctx, again.URI); err != nil {
		t.Errorf("Remove of one already gone: %v", err)
	}
}

// TestWebhooksUnavailableOn403: Calendly's 403 (free plan, missing scope)
// is a typed error that says polling takes over.
func TestWebhooksUnavailableOn403(t *testing.T) {
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"title":"Permission Denied","message":"Please upgrade your Calendly account to Standard"}`)
	}))
	defer stub.Close()
	store := openStore(t)
	life, err := New(newClient(t, stub.URL, "t"), store, fakeSealer{}, Account{User: "https://api.calendly.com/users/u", Organization: "https://api.calendly.com/organizations/o", AuthKind: AuthPAT})
	if err != nil {
		t.Fatal(err)
	}
	_, err = life.Ensure(context.Background(), Request{CallbackURL: "https://example.ngrok.app/hook"})
	if !errors.Is(err, ErrWebhooksUnavailable) || !errors.Is(err, calendly.ErrPermissionDenied) {
		t.Fatalf("err = %v, want ErrWebhooksUnavailable wrapping the 403", err)
	}
	for _, want := range []string{"free Calendly plan", "webhooks:write", "polls", "upgrade your Calendly account"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the message %q does not say %q", err, want)
		}
	}
	if subs, _ := store.Subscriptions(context.Background()); len(subs) != 0 {
		t.Errorf("remembered %+v after a refusal", subs)
	}
}

// TestOAuthSubscriptionsUseTheAppKey: an OAuth login sends no signing key
// (Calendly signs with the app's) and returns the app's key.
func TestOAuthSubscriptionsUseTheAppKey(t *testing.T) {
	var sent map[string]any
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &sent)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"resource":{"uri":"https://api.calendly.com/webhook_subscriptions/w1","callback_url":%q,"state":"active","events":["invitee.created"],"scope":"user","organization":"o"}}`, sent["url"])
	}))
	defer stub.Close()
	account := Account{User: "https://api.calendly.com/users/u", Organization: "https://api.calendly.com/organizations/o", AuthKind: AuthOAuth}
	if _, err := New(newClient(t, stub.URL, "t"), openStore(t), fakeSealer{}, account); err == nil || !strings.Contains(err.Error(), "CALENDLY_WEBHOOK_SIGNING_KEY") {
		t.Errorf("an OAuth account without the app key: err = %v, want one naming CALENDLY_WEBHOOK_SIGNING_KEY", err)
	}
	account.AppSigningKey = []byte("the-app-key")
	life, err := New(newClient(t, stub.URL, "t"), openStore(t), fakeSealer{}, account)
	if err != nil {
		t.Fatal(err)
	}
	active, err := life.Ensure(context.Background(), Request{CallbackURL: "https://example.ngrok.app/hook", Events: []string{calendly.EventInviteeCreated}})
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	if _, ok := sent["signing_key"]; ok {
		t.Error("an OAuth subscription request carried a signing_key")
	}
	if string(active.SigningKey) != "the-app-key" {
		t.Error("the OAuth subscription's key is not the app's")
	}
	if s := fmt.Sprintf("%v %+v %#v", active, active, active); strings.Contains(s, "the-app-key") {
		t.Errorf("formatting an Active shows its key: %s", s)
	}
}

func TestEnsureRefusesBadRequests(t *testing.T) {
	f := newFixture(t, calendlytest.Options{})
	for name, req := range map[string]Request{
		"relative URL":  {CallbackURL: "/hook"},
		"unknown event": {CallbackURL: "https://x.example/hook", Events: []string{"invitee.exploded"}},
		"bad scope":     {CallbackURL: "https://x.example/hook", Scope: "planet"},
	} {
		if _, err := f.life.Ensure(context.Background(), req); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseEvents(t *testing.T) {
	got, err := ParseEvents(" invitee.canceled , invitee.created,invitee.canceled")
	if err != nil || !slices.Equal(got, []string{calendly.EventInviteeCanceled, calendly.EventInviteeCreated}) {
		t.Errorf("ParseEvents = %v, %v", got, err)
	}
	if got, err := ParseEvents(""); err != nil || !slices.Equal(got, DefaultEvents) {
		t.Errorf("ParseEvents(\"\") = %v, %v; want the defaults", got, err)
	}
	for _, bad := range []string{"invitee.created,,invitee.canceled", "invitee.exploded", ","} {
		if _, err := ParseEvents(bad); err == nil {
			t.Errorf("ParseEvents(%q) accepted", bad)
		}
	}
}

func TestForeignErrorCannotSteerATerminal(t *testing.T) {
	err := &ForeignError{CallbackURL: "https://x.example/hook", Existing: calendly.WebhookSubscription{
		URI: "https://api.calendly.com/webhook_subscriptions/w\x1b[2J", Creator: calendly.Ptr("https://api.calendly.com/users/\u202eevil"),
		Organization: "o",
	}}
	if msg := err.Error(); strings.ContainsAny(msg, "\x1b\u202e") {
		t.Errorf("the error carries control characters: %q", msg)
	}
}

// forgetfulStore cannot remember anything (a full disk, say).
type forgetfulStore struct{ Store }

func (forgetfulStore) RememberSubscription(context.Context, storage.Subscription) error {
	return errors.New("disk full")
}

// TestUnrememberedSubscriptionIsDeletedAgain: what calwatch cannot
// remember it could never clean up, so it does not keep it.
func TestUnrememberedSubscriptionIsDeletedAgain(t *testing.T) {
	f := newFixture(t, calendlytest.Options{})
	ctx := context.Background()
	url, _ := receiver(t)
	_, err := f.lifecycle(t, forgetfulStore{f.store}).Ensure(ctx, Request{CallbackURL: url})
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "deleted it again") {
		t.Fatalf("err = %v, want the storage failure and that the subscription was deleted again", err)
	}
	listed, err := f.life.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 0 {
		t.Errorf("left at Calendly: %+v", listed)
	}
}
