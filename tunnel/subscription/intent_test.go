package subscription

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

// dyingStore ends its goroutine when asked to remember a subscription, as
// a calwatch killed between Calendly's 201 and remembering would: nothing
// after that point runs, not even the undo.
type dyingStore struct{ Store }

func (dyingStore) RememberSubscription(context.Context, storage.Subscription) error {
	runtime.Goexit()
	return nil
}

// crashInCreate runs Ensure for url over a store that dies while
// remembering, and returns the subscription it left at Calendly.
func crashInCreate(t *testing.T, f *fixture, url string) calendly.WebhookSubscription {
	t.Helper()
	life := f.lifecycle(t, dyingStore{f.store})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = life.Ensure(context.Background(), Request{CallbackURL: url})
	}()
	<-done
	return leftAt(t, f, url)
}

// leftAt is the one subscription at Calendly on url, which calwatch does
// not remember.
func leftAt(t *testing.T, f *fixture, url string) calendly.WebhookSubscription {
	t.Helper()
	listed, err := f.life.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(listed, func(l Listed) bool { return l.CallbackURL == url })
	if i < 0 || listed[i].Ours {
		t.Fatalf("after the crash Calendly has %+v; want an unremembered subscription on %s", listed, url)
	}
	return listed[i].WebhookSubscription
}

// cutAfterAnswer is a transport whose request reaches Calendly, which
// answers, but whose answer is lost (the connection drops, or calwatch is
// cancelled while reading it) for creates.
type cutAfterAnswer struct{}

func (cutAfterAnswer) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost {
		resp.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return resp, err
}

// TestASubscriptionLeftByACrashIsFoundAndRemovedAtTheNextStart: a run
// that dies after Calendly created its subscription but before remembering
// it (killed, or its answer lost) leaves an intent; the next start deletes
// that subscription and subscribes afresh, on the same URL or another,
// while a foreign subscription on another URL is left alone.
func TestASubscriptionLeftByACrashIsFoundAndRemovedAtTheNextStart(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		crash   func(t *testing.T, f *fixture, url string) calendly.WebhookSubscription
		sameURL bool
	}{
		{"killed, same URL", crashInCreate, true},
		{"killed, new URL", crashInCreate, false},
		{"answer lost", func(t *testing.T, f *fixture, url string) calendly.WebhookSubscription {
			user := f.emu.DefaultUser()
			client, err := calendly.NewClient(calendly.StaticToken(testToken), calendly.WithBaseURL(f.emu.URL),
				calendly.WithHTTPClient(&http.Client{Transport: cutAfterAnswer{}}))
			if err != nil {
				t.Fatal(err)
			}
			life, err := New(client, f.store, fakeSealer{}, Account{User: user.URI, Organization: user.CurrentOrganization, AuthKind: AuthPAT})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := life.Ensure(ctx, Request{CallbackURL: url}); err == nil {
				t.Fatal("Ensure succeeded though the answer was lost")
			}
			return leftAt(t, f, url)
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, calendlytest.Options{})
			url, _ := receiver(t)
			foreignURL, _ := receiver(t)
			foreign := f.createForeign(t, foreignURL)
			orphan := tc.crash(t, f, url)

			next := url
			if !tc.sameURL {
				next, _ = receiver(t)
			}
			active, err := f.lifecycle(t, f.store).Ensure(ctx, Request{CallbackURL: next})
			if err != nil {
				t.Fatalf("the next start could not subscribe: %v", err)
			}
			if got := f.state(t, orphan.URI); got != "gone" {
				t.Errorf("the subscription the crash left is %s, want it deleted", got)
			}
			if active.URI == orphan.URI || active.CallbackURL != next || f.state(t, active.URI) != calendly.StateActive {
				t.Errorf("active %+v; want a new subscription on %s", active, next)
			}
			if got := f.state(t, foreign.URI); got != calendly.StateActive {
				t.Errorf("the foreign subscription is %s, want it left alone", got)
			}
			if intents, err := f.store.SubscriptionIntents(ctx); err != nil || len(intents) != 0 {
				t.Errorf("intents after the next start: %+v, %v; want none", intents, err)
			}
		})
	}
}

// TestPruneRemovesWhatACrashLeftButNotACreateUnderWay: calwatch
// subscriptions prune deletes an orphan of a stopped run, but not the
// subscription of a create under way in a running calwatch (a young
// intent, or its URL in use), nor a foreign one.
func TestPruneRemovesWhatACrashLeftButNotACreateUnderWay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, calendlytest.Options{})
	url, _ := receiver(t)
	otherURL, _ := receiver(t)
	foreign := f.createForeign(t, otherURL)
	orphan := crashInCreate(t, f, url)

	// At once, the intent may be a create under way in a running calwatch.
	pruned, err := f.life.Prune(ctx)
	if err != nil || len(pruned) != 0 || f.state(t, orphan.URI) != calendly.StateActive {
		t.Fatalf("Prune right after the create: %+v, %v; want nothing removed yet", pruned, err)
	}
	later := f.lifecycle(t, f.store)
	later.now = func() time.Time { return time.Now().Add(intentInFlight + time.Second) }
	if pruned, err := later.Prune(ctx, url); err != nil || len(pruned) != 0 {
		t.Fatalf("Prune with the URL in use: %+v, %v; want nothing removed", pruned, err)
	}
	pruned, err = later.Prune(ctx)
	if err != nil || len(pruned) != 1 || pruned[0].URI != orphan.URI || pruned[0].Reason != "orphaned" {
		t.Fatalf("Prune later: %+v, %v; want the orphan removed", pruned, err)
	}
	if f.state(t, orphan.URI) != "gone" || f.state(t, foreign.URI) != calendly.StateActive {
		t.Error("want the orphan deleted and the foreign subscription kept")
	}
}

// TestAnIntentNeverAdoptsASubscriptionCreatedLongBefore: a foreign
// subscription on the URL of a stale intent, created well outside the
// intent's time, is not calwatch's.
func TestAnIntentNeverAdoptsASubscriptionCreatedLongBefore(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, calendlytest.Options{})
	url, _ := receiver(t)
	foreign := f.createForeign(t, url)
	if err := f.store.RecordSubscriptionIntent(ctx, storage.SubscriptionIntent{CallbackURL: url, Scope: calendly.ScopeUser,
		At: time.Now().Add(2 * intentSkew)}); err != nil {
		t.Fatal(err)
	}
	_, err := f.life.Ensure(ctx, Request{CallbackURL: url})
	var foreignErr *ForeignError
	if !errors.As(err, &foreignErr) || !strings.Contains(err.Error(), url) {
		t.Fatalf("Ensure = %v; want the URL refused as another's", err)
	}
	if f.state(t, foreign.URI) != calendly.StateActive {
		t.Error("the foreign subscription was touched")
	}
}
