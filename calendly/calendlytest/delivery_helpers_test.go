package calendlytest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// testDeadline bounds every wait in these tests; it is never slept through.
const testDeadline = 5 * time.Second

// fakeClock is a waitClock (and emulator clock) that tests advance by hand:
// a timer fires only when fireNext is called. In auto mode, timers fire at
// once and the clock jumps, so retries happen without waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
	auto   bool
	armed  chan struct{} // a timer was added
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), armed: make(chan struct{}, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if c.auto {
		c.now = c.now.Add(d)
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: c.now.Add(d), ch: ch})
	select {
	case c.armed <- struct{}{}:
	default:
	}
	return ch
}

// fireNext waits for a pending timer, moves the clock to it, fires it and
// returns how far the clock moved.
func (c *fakeClock) fireNext(t *testing.T) time.Duration {
	t.Helper()
	deadline := time.After(testDeadline)
	for {
		c.mu.Lock()
		if len(c.timers) > 0 {
			i := slices.IndexFunc(c.timers, func(ft fakeTimer) bool {
				return !slices.ContainsFunc(c.timers, func(o fakeTimer) bool { return o.at.Before(ft.at) })
			})
			ft := c.timers[i]
			c.timers = slices.Delete(c.timers, i, i+1)
			moved := ft.at.Sub(c.now)
			c.now = ft.at
			c.mu.Unlock()
			ft.ch <- ft.at
			return moved
		}
		c.mu.Unlock()
		select {
		case <-c.armed:
		case <-deadline:
			t.Fatalf("no retry was scheduled within %s", testDeadline)
		}
	}
}

func (c *fakeClock) pendingTimers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// hookLog records the deliverer's calls into the server.
type hookLog struct {
	mu      sync.Mutex
	calls   []string
	changed chan struct{}
}

func newHookLog() *hookLog { return &hookLog{changed: make(chan struct{}, 1)} }

func (h *hookLog) add(call string) {
	h.mu.Lock()
	h.calls = append(h.calls, call)
	h.mu.Unlock()
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

func (h *hookLog) hooks() deliveryHooks {
	return deliveryHooks{
		retrying: func(sub string, since time.Time) {
			h.add(fmt.Sprintf("retrying %s since %s", sub, since.Format(time.TimeOnly)))
		},
		recovered: func(sub string) { h.add("recovered " + sub) },
		disable:   func(sub string) { h.add("disable " + sub) },
		remove:    func(sub string) { h.add("remove " + sub) },
	}
}

func (h *hookLog) snapshot() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// waitFor waits until call has been made.
func (h *hookLog) waitFor(t *testing.T, call string) {
	t.Helper()
	deadline := time.After(testDeadline)
	for !slices.Contains(h.snapshot(), call) {
		select {
		case <-h.changed:
		case <-deadline:
			t.Fatalf("hook %q was not called within %s; calls: %q", call, testDeadline, h.snapshot())
		}
	}
}

// receivedRequest is what a test receiver saw.
type receivedRequest struct {
	header http.Header
	body   string
}

// receiver is an httptest webhook endpoint that answers with answer(n, body)
// for its n-th request (from 1) and reports every request on got.
type receiver struct {
	*httptest.Server
	got chan receivedRequest
}

func newReceiver(t *testing.T, answer func(n int, body string) int) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan receivedRequest, 100)}
	var mu sync.Mutex
	n := 0
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		n++
		status := answer(n, string(body))
		mu.Unlock()
		rc.got <- receivedRequest{header: r.Header.Clone(), body: string(body)}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// next returns the receiver's next request.
func (rc *receiver) next(t *testing.T) receivedRequest {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(testDeadline):
		t.Fatalf("the receiver got no request within %s", testDeadline)
		return receivedRequest{}
	}
}

// always answers every request with status.
func always(status int) func(int, string) int {
	return func(int, string) int { return status }
}

// startDeliverer makes a deliverer on clock with tiny-but-real-shaped retry
// settings, closed when the test ends.
func startDeliverer(t *testing.T, opts Options, clock *fakeClock, hooks deliveryHooks) *deliverer {
	t.Helper()
	d := newDeliverer(opts, clock.Now, hooks)
	d.wait = clock
	t.Cleanup(d.close)
	return d
}

// waitAttempts waits until the deliverer has recorded n attempts.
func waitAttempts(t *testing.T, d *deliverer, n int) []DeliveryAttempt {
	t.Helper()
	var got []DeliveryAttempt
	eventually(t, func() bool { got = d.attempts(); return len(got) >= n },
		"recorded attempts reach %d", n)
	return got
}

func (d *deliverer) queued(subscription string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.queues[subscription]
	return ok
}

// eventually polls cond until it holds or testDeadline passes.
func eventually(t *testing.T, cond func() bool, format string, args ...any) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(testDeadline)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("not within %s: "+format, append([]any{testDeadline}, args...)...)
		}
	}
}

func (d *deliverer) runningWorkers() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.workers
}
