package session

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/subscription"
	"github.com/calwatch/calwatch/tunnel/tunneltest"
)

const (
	testToken = "session-test-token"
	hookPath  = "/webhooks/calendly"
)

// rig is a connected calwatch in miniature: an emulator, the store, a
// verified listener whose key the session sets, and a fake tunnel.
type rig struct {
	emu    *calendlytest.Server
	client *calendly.Client
	store  *storage.Store
	tunnel *tunneltest.Fake
	// handler is the listener built for the key the session last gave.
	handler atomic.Pointer[listener.Handler]
}

func newRig(t *testing.T, opts calendlytest.Options) *rig {
	t.Helper()
	opts.Tokens = append(opts.Tokens, testToken)
	r := &rig{emu: calendlytest.NewServer(opts), tunnel: tunneltest.New()}
	t.Cleanup(r.emu.Close)
	t.Cleanup(func() { r.tunnel.Close() })
	var err error
	if r.store, err = storage.Open(context.Background(), filepath.Join(t.TempDir(), "calwatch.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	if r.client, err = calendly.NewClient(calendly.StaticToken(testToken), calendly.WithBaseURL(r.emu.URL)); err != nil {
		t.Fatal(err)
	}
	return r
}

// endpoint is a public origin whose traffic reaches the rig's listener.
func (r *rig) endpoint(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h := r.handler.Load()
		if h == nil {
			http.Error(w, "not subscribed yet", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (r *rig) session(t *testing.T, mutate func(*Config)) *Session {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := storage.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	user := r.emu.DefaultUser()
	cfg := Config{
		Client: r.client, Store: r.store, Sealer: sealer, Tunnel: r.tunnel, Path: hookPath,
		Account: subscription.Account{User: user.URI, Organization: user.CurrentOrganization, AuthKind: subscription.AuthPAT},
		UseSigningKey: func(key []byte) {
			h, err := listener.NewHandler(listener.Config{SigningKey: key, Store: r.store, Path: hookPath})
			if err != nil {
				t.Errorf("listener for the new key: %v", err)
				return
			}
			r.handler.Store(h)
		},
		PollInterval: 50 * time.Millisecond,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// running is a session in a goroutine and what it reported.
type running struct {
	events chan Event
	done   chan error
	stop   context.CancelFunc
}

func start(s *Session) *running {
	ctx, stop := context.WithCancel(context.Background())
	r := &running{events: make(chan Event, 256), done: make(chan error, 1), stop: stop}
	go func() {
		for ev := range s.Events() {
			r.events <- ev
		}
		close(r.events)
	}()
	go func() { r.done <- s.Run(ctx) }()
	return r
}

// waitFor returns the first event match accepts, failing after a deadline.
func (r *running) waitFor(t *testing.T, what string, match func(Event) bool) Event {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				t.Fatalf("the session ended before %s", what)
			}
			if match(ev) {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s within 20 s", what)
		}
	}
}

// finish stops the session and returns its last event.
func (r *running) finish(t *testing.T) Stopped {
	t.Helper()
	r.stop()
	if err := <-r.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	last := r.waitFor(t, "Stopped", func(ev Event) bool { _, ok := ev.(Stopped); return ok })
	return last.(Stopped)
}

// eventually polls cond until it holds or a deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20 s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) hasBooking(t *testing.T, email string) bool {
	t.Helper()
	c, err := r.store.Contact(context.Background(), email)
	return err == nil && c.Bookings > 0
}

func (r *rig) ourSubscriptions(t *testing.T) []storage.Subscription {
	t.Helper()
	subs, err := r.store.Subscriptions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

func isSubscribed(ev Event) bool { _, ok := ev.(Subscribed); return ok }

// TestSessionSubscribesBackfillsFollowsAndCleansUp: what existed before the
// start is backfilled, a booking made while running arrives as a verified
// delivery, and exit deletes the subscription it made.
func TestSessionSubscribesBackfillsFollowsAndCleansUp(t *testing.T) {
	r := newRig(t, calendlytest.Options{})
	if _, err := r.emu.Book(calendlytest.BookRequest{Email: "before@example.com", Name: "Before Start"}); err != nil {
		t.Fatal(err)
	}
	r.tunnel.GoOnline(r.endpoint(t))
	run := start(r.session(t, nil))
	sub := run.waitFor(t, "Subscribed", isSubscribed).(Subscribed)
	if sub.CallbackURL != r.tunnel.URL()+hookPath {
		t.Errorf("subscribed %s, want the tunnel's URL with the webhook path", sub.CallbackURL)
	}
	eventually(t, "the booking made before the start is backfilled", func() bool { return r.hasBooking(t, "before@example.com") })

	if _, err := r.emu.Book(calendlytest.BookRequest{Email: "live@example.com", Name: "Live Booking"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a live booking is delivered and stored", func() bool { return r.hasBooking(t, "live@example.com") })

	stopped := run.finish(t)
	if stopped.Removed != sub.URI || stopped.CleanupErr != nil {
		t.Errorf("stopped %+v, want the subscription %s removed", stopped, sub.URI)
	}
	if subs := r.ourSubscriptions(t); len(subs) != 0 {
		t.Errorf("after exit calwatch still remembers %d subscriptions", len(subs))
	}
	if _, _, err := r.client.WebhookSubscriptions.Get(context.Background(), sub.URI); err == nil {
		t.Error("the subscription is still at Calendly after exit")
	}
}

// TestSessionKeepsTheSubscriptionWhenAsked: --keep-subscription.
func TestSessionKeepsTheSubscriptionWhenAsked(t *testing.T) {
	r := newRig(t, calendlytest.Options{})
	r.tunnel.GoOnline(r.endpoint(t))
	run := start(r.session(t, func(c *Config) { c.KeepSubscription = true }))
	sub := run.waitFor(t, "Subscribed", isSubscribed).(Subscribed)
	if stopped := run.finish(t); !stopped.Kept || stopped.Removed != "" {
		t.Errorf("stopped %+v, want the subscription kept", stopped)
	}
	if _, _, err := r.client.WebhookSubscriptions.Get(context.Background(), sub.URI); err != nil {
		t.Errorf("the kept subscription is gone: %v", err)
	}
}

// TestSessionMovesToANewURL: when the tunnel's URL changes, the new URL is
// subscribed, the old subscription deleted, and deliveries keep arriving.
func TestSessionMovesToANewURL(t *testing.T) {
	r := newRig(t, calendlytest.Options{})
	r.tunnel.GoOnline(r.endpoint(t))
	run := start(r.session(t, nil))
	first := run.waitFor(t, "Subscribed", isSubscribed).(Subscribed)

	r.tunnel.GoOnline(r.endpoint(t))
	second := run.waitFor(t, "Subscribed to the new URL", isSubscribed).(Subscribed)
	if second.URI == first.URI || second.CallbackURL != r.tunnel.URL()+hookPath {
		t.Fatalf("after the move subscribed %+v, want a new subscription for %s", second, r.tunnel.URL())
	}
	eventually(t, "the old subscription is deleted", func() bool {
		_, _, err := r.client.WebhookSubscriptions.Get(context.Background(), first.URI)
		return err != nil
	})
	if _, err := r.emu.Book(calendlytest.BookRequest{Email: "moved@example.com", Name: "After The Move"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a booking after the move is delivered", func() bool { return r.hasBooking(t, "moved@example.com") })
	run.finish(t)
}

// TestSessionPollsWhenThePlanHasNoWebhooks: Calendly's 403 on subscribe
// turns into polling, which still brings new bookings in.
func TestSessionPollsWhenThePlanHasNoWebhooks(t *testing.T) {
	r := newRig(t, calendlytest.Options{Plan: calendlytest.PlanFree})
	r.tunnel.GoOnline(r.endpoint(t))
	run := start(r.session(t, nil))
	run.waitFor(t, "Polling", func(ev Event) bool { _, ok := ev.(Polling); return ok })
	if _, err := r.emu.Book(calendlytest.BookRequest{Email: "polled@example.com", Name: "Found By Polling"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "polling finds the booking", func() bool { return r.hasBooking(t, "polled@example.com") })
	if stopped := run.finish(t); stopped.Removed != "" || stopped.Kept {
		t.Errorf("stopped %+v: there was no subscription to remove", stopped)
	}
}

// TestSessionCatchesUpAfterADrop: what Calendly could not deliver while the
// tunnel was down is read back when it returns.
func TestSessionCatchesUpAfterADrop(t *testing.T) {
	r := newRig(t, calendlytest.Options{RetryBase: time.Hour})
	origin := r.endpoint(t)
	r.tunnel.GoOnline(origin)
	run := start(r.session(t, nil))
	run.waitFor(t, "Subscribed", isSubscribed)

	r.tunnel.GoOffline(nil)
	r.handler.Store(nil) // nothing reaches the listener while the tunnel is down
	run.waitFor(t, "the drop", func(ev Event) bool { return ev.String() == "tunnel offline: reconnecting" })
	if _, err := r.emu.Book(calendlytest.BookRequest{Email: "while-down@example.com", Name: "While Down"}); err != nil {
		t.Fatal(err)
	}
	r.tunnel.GoOnline(origin)
	eventually(t, "the booking made while down is caught up", func() bool { return r.hasBooking(t, "while-down@example.com") })
	run.finish(t)
}

// TestSessionPollsWithoutSubscribingWhenLocalOnly: with PollOnly (listen
// --no-tunnel and a login) nothing is subscribed, and polling still brings
// bookings in.
func TestSessionPollsWithoutSubscribingWhenLocalOnly(t *testing.T) {
	r := newRig(t, calendlytest.Options{})
	r.tunnel.GoOnline(r.endpoint(t))
	run := start(r.session(t, func(c *Config) { c.PollOnly = true }))
	run.waitFor(t, "Polling", func(ev Event) bool { p, ok := ev.(Polling); return ok && errors.Is(p.Why, ErrLocalOnly) })
	if _, err := r.emu.Book(calendlytest.BookRequest{Email: "local@example.com", Name: "Local Only"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "polling finds the booking", func() bool { return r.hasBooking(t, "local@example.com") })
	if subs := r.ourSubscriptions(t); len(subs) != 0 {
		t.Errorf("a local-only session subscribed %d URLs", len(subs))
	}
	run.finish(t)
}
