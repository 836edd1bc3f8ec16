package calendlytest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

const (
	subA = "https://api.calendly.com/webhook_subscriptions/AAAA"
	subB = "https://api.calendly.com/webhook_subscriptions/BBBB"
)

func target(sub, url string) deliveryTarget {
	return deliveryTarget{SubscriptionURI: sub, CallbackURL: url, SigningKey: []byte("key-of-" + sub[len(sub)-4:])}
}

func TestDeliveryIsSignedWithTheSubscriptionKeyAndResignedOnRetry(t *testing.T) {
	clock := newFakeClock()
	rc := newReceiver(t, func(n int, _ string) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	d := startDeliverer(t, Options{}, clock, newHookLog().hooks())
	tg := target(subA, rc.URL+"/hooks/secret")
	body := `{"event":"invitee.created","payload":{"name":"Zoë Ångström \u2603"}}`
	d.enqueue(tg, calendly.EventInviteeCreated, []byte(body))

	first := rc.next(t)
	firstAt := clock.Now()
	if first.body != body {
		t.Fatalf("receiver got body %q, want the enqueued bytes %q", first.body, body)
	}
	if got := first.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := first.header.Get("User-Agent"); !strings.Contains(got, "Calendly") {
		t.Errorf("User-Agent = %q, want one that names Calendly", got)
	}
	sig := first.header.Get(calendly.SignatureHeader)
	if _, err := calendly.Verify(sig, []byte(body), tg.SigningKey, firstAt, 0); err != nil {
		t.Fatalf("signature does not verify with the subscription's key: %v", err)
	}
	if _, err := calendly.Verify(sig, []byte(body), []byte("key-of-BBBB"), firstAt, 0); !errors.Is(err, calendly.ErrSignatureMismatch) {
		t.Fatalf("signature verified with another subscription's key (err %v)", err)
	}

	if gap := clock.fireNext(t); gap != time.Minute {
		t.Fatalf("first retry after %s, want the default RetryBase 1m", gap)
	}
	second := rc.next(t)
	sig2 := second.header.Get(calendly.SignatureHeader)
	p2, err := calendly.Verify(sig2, []byte(body), tg.SigningKey, clock.Now(), 0)
	if err != nil {
		t.Fatalf("retry signature does not verify: %v", err)
	}
	if !p2.Timestamp.Equal(firstAt.Add(time.Minute)) {
		t.Fatalf("retry signed at %s, want a fresh timestamp %s", p2.Timestamp, firstAt.Add(time.Minute))
	}
	if _, err := calendly.Verify(sig, []byte(body), tg.SigningKey, clock.Now(), 30*time.Second); !errors.Is(err, calendly.ErrSignatureStale) {
		t.Fatalf("the first signature should be stale a minute later with 30s tolerance, got %v", err)
	}
}

func TestFailingReceiverGetsGrowingRetriesThenSubscriptionIsDisabled(t *testing.T) {
	clock := newFakeClock()
	start := clock.Now()
	var hits atomic.Int32
	rc := newReceiver(t, func(int, string) int { hits.Add(1); return http.StatusServiceUnavailable })
	hooks := newHookLog()
	d := startDeliverer(t, Options{RetryBase: time.Minute, RetryWindow: 20 * time.Minute}, clock, hooks.hooks())
	d.enqueue(target(subA, rc.URL), calendly.EventInviteeCreated, []byte(`{}`))

	var gaps []time.Duration
	for range 5 {
		gaps = append(gaps, clock.fireNext(t))
	}
	hooks.waitFor(t, "disable "+subA)

	// 1, 2, 4, 8 minutes, then the last try lands on the window's end.
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 5 * time.Minute}
	if !slices.Equal(gaps, want) {
		t.Fatalf("gaps between attempts = %v, want %v", gaps, want)
	}
	attempts := d.attempts()
	if len(attempts) != 6 {
		t.Fatalf("%d attempts, want 6: %+v", len(attempts), attempts)
	}
	for i, a := range attempts {
		if a.Attempt != i+1 || a.Status != http.StatusServiceUnavailable || a.Error == "" {
			t.Errorf("attempt %d = %+v, want attempt number %d, status 503 and an error", i, a, i+1)
		}
	}
	if last := attempts[5].At; !last.Equal(start.Add(20 * time.Minute)) {
		t.Errorf("last attempt at %s, want the end of the window %s", last, start.Add(20*time.Minute))
	}
	wantHooks := []string{"retrying " + subA + " since 09:00:00", "disable " + subA}
	if got := hooks.snapshot(); !slices.Equal(got, wantHooks) {
		t.Fatalf("hooks = %q, want %q", got, wantHooks)
	}
	if n := clock.pendingTimers(); n != 0 {
		t.Fatalf("%d retries still scheduled after the subscription was disabled", n)
	}

	d.enqueue(target(subA, rc.URL), calendly.EventInviteeCanceled, []byte(`{}`))
	if d.queued(subA) {
		t.Fatal("a disabled subscription accepted a new delivery")
	}
	d.close()
	if got := hits.Load(); got != 6 {
		t.Fatalf("receiver was called %d times, want 6", got)
	}
}

func TestReceiverThatRecoversClearsRetryAndKeepsOrder(t *testing.T) {
	clock := newFakeClock()
	rc := newReceiver(t, func(n int, _ string) int {
		if n <= 2 {
			return http.StatusBadGateway
		}
		return http.StatusNoContent
	})
	hooks := newHookLog()
	d := startDeliverer(t, Options{}, clock, hooks.hooks())
	d.enqueue(target(subA, rc.URL), calendly.EventInviteeCreated, []byte(`{"n":1}`))
	d.enqueue(target(subA, rc.URL), calendly.EventInviteeCanceled, []byte(`{"n":2}`))

	var bodies []string
	bodies = append(bodies, rc.next(t).body)
	clock.fireNext(t)
	bodies = append(bodies, rc.next(t).body)
	clock.fireNext(t)
	bodies = append(bodies, rc.next(t).body, rc.next(t).body)
	hooks.waitFor(t, "recovered "+subA)

	if want := []string{`{"n":1}`, `{"n":1}`, `{"n":1}`, `{"n":2}`}; !slices.Equal(bodies, want) {
		t.Fatalf("receiver saw %q, want %q (the second waits for the first)", bodies, want)
	}
	wantHooks := []string{"retrying " + subA + " since 09:00:00", "recovered " + subA}
	if got := hooks.snapshot(); !slices.Equal(got, wantHooks) {
		t.Fatalf("hooks = %q, want %q", got, wantHooks)
	}
	attempts := waitAttempts(t, d, 4)
	if a := attempts[3]; a.Event != calendly.EventInviteeCanceled || a.Attempt != 1 || a.Status != http.StatusNoContent || a.Error != "" {
		t.Fatalf("last attempt = %+v, want invitee.canceled delivered at its first attempt", a)
	}
}

func TestGoneDeletesSubscriptionAtOnce(t *testing.T) {
	clock := newFakeClock()
	var hits atomic.Int32
	rc := newReceiver(t, func(int, string) int { hits.Add(1); return http.StatusGone })
	hooks := newHookLog()
	d := startDeliverer(t, Options{}, clock, hooks.hooks())
	for i := range 3 {
		d.enqueue(target(subA, rc.URL), calendly.EventInviteeCreated, fmt.Appendf(nil, `{"n":%d}`, i))
	}
	hooks.waitFor(t, "remove "+subA)

	if d.queued(subA) {
		t.Fatal("the queue of a deleted subscription is still there")
	}
	d.enqueue(target(subA, rc.URL), calendly.EventInviteeCreated, []byte(`{}`))
	if d.queued(subA) {
		t.Fatal("a deleted subscription accepted a new delivery")
	}
	d.close()
	if got := hits.Load(); got != 1 {
		t.Fatalf("receiver was called %d times after answering 410, want exactly 1", got)
	}
	if n := clock.pendingTimers(); n != 0 {
		t.Fatalf("%d retries scheduled after a 410", n)
	}
	if got := hooks.snapshot(); !slices.Equal(got, []string{"remove " + subA}) {
		t.Fatalf("hooks = %q, want only the removal", got)
	}
	if a := d.attempts(); len(a) != 1 || a[0].Status != http.StatusGone {
		t.Fatalf("attempts = %+v, want one with status 410", a)
	}
}

func TestOrderIsKeptPerSubscriptionThroughRetries(t *testing.T) {
	clock := newFakeClock()
	clock.auto = true
	// Every third delivery fails its first attempt.
	failedOnce := map[string]bool{}
	var delivered []string
	rc := newReceiver(t, func(_ int, body string) int {
		var n int
		fmt.Sscanf(body, `{"n":%d}`, &n)
		if n%3 == 0 && !failedOnce[body] {
			failedOnce[body] = true
			return http.StatusInternalServerError
		}
		delivered = append(delivered, body)
		return http.StatusOK
	})
	d := startDeliverer(t, Options{}, clock, newHookLog().hooks())
	var want []string
	for i := range 30 {
		body := fmt.Sprintf(`{"n":%d}`, i)
		want = append(want, body)
		d.enqueue(target(subA, rc.URL), calendly.EventInviteeCreated, []byte(body))
	}
	waitAttempts(t, d, 40)
	d.close()
	if !slices.Equal(delivered, want) {
		t.Fatalf("delivered in order %q, want %q", delivered, want)
	}
}

func TestOneFailingSubscriptionDoesNotHoldBackAnother(t *testing.T) {
	clock := newFakeClock() // never advanced: subA's retry never comes
	failing := newReceiver(t, always(http.StatusInternalServerError))
	healthy := newReceiver(t, always(http.StatusOK))
	d := startDeliverer(t, Options{}, clock, newHookLog().hooks())
	d.enqueue(target(subA, failing.URL), calendly.EventInviteeCreated, []byte(`{"a":0}`))
	failing.next(t)
	for i := range 10 {
		d.enqueue(target(subB, healthy.URL), calendly.EventInviteeCreated, fmt.Appendf(nil, `{"b":%d}`, i))
	}
	for i := range 10 {
		if got, want := healthy.next(t).body, fmt.Sprintf(`{"b":%d}`, i); got != want {
			t.Fatalf("subscription B got %s, want %s", got, want)
		}
	}
}

func TestCloseIsPromptWithRetriesPendingAndLeaksNoGoroutines(t *testing.T) {
	failing := newReceiver(t, always(http.StatusInternalServerError))
	release := make(chan struct{})
	inFlight := make(chan struct{}, 1)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // so the server notices the client hanging up
		inFlight <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	baseline := runtime.NumGoroutine()

	hooks := newHookLog()
	// The real clock: the retry is an hour away.
	d := newDeliverer(Options{RetryBase: time.Hour}, time.Now, hooks.hooks())
	d.enqueue(target(subA, failing.URL), calendly.EventInviteeCreated, []byte(`{}`))
	d.enqueue(target(subA, failing.URL), calendly.EventInviteeCanceled, []byte(`{}`))
	d.enqueue(target(subB, slow.URL), calendly.EventInviteeCreated, []byte(`{}`))
	eventually(t, func() bool { return len(hooks.snapshot()) == 1 }, "subscription A is waiting for its retry")
	select {
	case <-inFlight:
	case <-time.After(testDeadline):
		t.Fatal("subscription B's delivery never reached its receiver")
	}

	closed := make(chan struct{})
	go func() { d.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(testDeadline):
		t.Fatalf("close() did not return within %s with a retry pending and a request in flight", testDeadline)
	}
	defer func() {
		if t.Failed() {
			buf := make([]byte, 1<<20)
			t.Log(string(buf[:runtime.Stack(buf, true)]))
		}
	}()
	eventually(t, func() bool { return runtime.NumGoroutine() <= baseline },
		"goroutines back to %d after close (now %d)", baseline, runtime.NumGoroutine())

	d.enqueue(target(subA, failing.URL), calendly.EventInviteeCreated, []byte(`{}`))
	if d.queued(subA) {
		t.Fatal("a closed deliverer accepted a delivery")
	}
}

func TestBackoffDoublesAndSaturates(t *testing.T) {
	for failures, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 11: 1024 * time.Minute} {
		if got := backoff(time.Minute, failures); got != want {
			t.Errorf("backoff after %d failures = %s, want %s", failures, got, want)
		}
	}
	if got := backoff(time.Hour, 200); got <= 0 {
		t.Fatalf("backoff after 200 failures overflowed to %s", got)
	}
}

func TestDroppedSubscriptionLosesItsPendingRetryAtOnce(t *testing.T) {
	clock := newFakeClock()
	var hits atomic.Int32
	rc := newReceiver(t, func(int, string) int { hits.Add(1); return http.StatusInternalServerError })
	hooks := newHookLog()
	d := startDeliverer(t, Options{}, clock, hooks.hooks())
	d.enqueue(target(subA, rc.URL), calendly.EventInviteeCreated, []byte(`{"n":1}`))
	d.enqueue(target(subA, rc.URL), calendly.EventInviteeCreated, []byte(`{"n":2}`))
	hooks.waitFor(t, "retrying "+subA+" since 09:00:00")

	d.drop(subA) // a client deleted the subscription
	eventually(t, func() bool { return !d.queued(subA) }, "the dropped subscription's queue is gone")
	d.enqueue(target(subA, rc.URL), calendly.EventInviteeCreated, []byte(`{"n":3}`))
	if d.queued(subA) {
		t.Fatal("a dropped subscription accepted a new delivery")
	}
	// The worker gives up its retry without the clock moving or close.
	eventually(t, func() bool { return d.runningWorkers() == 0 }, "the dropped subscription's worker exits")
	d.close()
	if n := hits.Load(); n != 1 {
		t.Fatalf("receiver was called %d times, want 1", n)
	}
	if got := hooks.snapshot(); slices.Contains(got, "disable "+subA) || slices.Contains(got, "remove "+subA) {
		t.Fatalf("hooks = %q: dropping is the server's own doing and needs no hook", got)
	}
}

// BenchmarkDeliveryThroughput measures signed deliveries a second to a
// local receiver, over four subscriptions.
func BenchmarkDeliveryThroughput(b *testing.B) {
	var delivered atomic.Int64
	all := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if delivered.Add(1) == int64(b.N) {
			close(all)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	d := newDeliverer(Options{}, time.Now, deliveryHooks{})
	defer d.close()
	body := []byte(`{"event":"invitee.created","payload":{"name":"Zoë"}}`)
	subs := []string{subA, subB, subA + "C", subB + "D"}
	b.ResetTimer()
	for i := range b.N {
		d.enqueue(target(subs[i%len(subs)], srv.URL), calendly.EventInviteeCreated, body)
	}
	<-all
}
