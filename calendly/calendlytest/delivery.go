package calendlytest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"
	"time"
)

// What the emulator's webhook requests look like and how long they may take.
const (
	deliveryUserAgent      = "Calendly-Webhooks/2.0 (calwatch emulator)"
	deliveryConnectTimeout = 10 * time.Second
	deliveryReadTimeout    = 15 * time.Second
	defaultRetryBase       = time.Minute
	defaultRetryWindow     = 24 * time.Hour
	// maxRecordedAttempts bounds the inspection log of a long-running
	// emulator; the oldest attempts are dropped first.
	maxRecordedAttempts = 10000
	// maxAnswerDrain is how much of a receiver's answer is read (and thrown
	// away) so the connection can be reused.
	maxAnswerDrain = 64 << 10
)

// deliverer sends signed webhooks to subscribers with Calendly's rules:
// only 2xx is success (redirects fail), exponential backoff from RetryBase
// for RetryWindow, then the subscription is disabled; 410 deletes it.
//
// Each subscription has its own FIFO queue and, while that queue holds
// work, one worker goroutine: a delivery that keeps failing holds back the
// later ones of its subscription (order is kept) but never another
// subscription's. A worker waiting for its next retry sleeps on a timer
// that close() interrupts.
//
// Hooks are called from workers without the deliverer's lock held, so they
// may take the server's lock; the server must not hold that lock while it
// calls close().
type deliverer struct {
	client       *http.Client
	ownsClient   bool
	now          func() time.Time // the emulator's clock: timestamps and signatures
	wait         waitClock        // measures backoff and the retry window
	base, window time.Duration
	hooks        deliveryHooks

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	queues  map[string]*subscriptionQueue // by subscription URI, only while non-empty
	gone    map[string]bool               // subscriptions disabled or deleted here
	log     []DeliveryAttempt
	workers int // running workers
	closed  bool
}

// waitClock is how the deliverer waits. Tests replace it with a fake that
// they advance by hand.
type waitClock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// deliveryHooks let the deliverer change subscription state on the server.
type deliveryHooks struct {
	retrying  func(subscriptionURI string, since time.Time) // first failure: set retry_started_at
	recovered func(subscriptionURI string)                  // a success after failures: clear retry_started_at
	disable   func(subscriptionURI string)                  // retry window over: state disabled
	remove    func(subscriptionURI string)                  // the endpoint answered 410: delete it
}

// deliveryTarget is where one delivery goes, how it is signed, and what
// it is about (for the attempt log).
type deliveryTarget struct {
	SubscriptionURI string
	CallbackURL     string
	SigningKey      []byte
	// Invitee and ScheduledEvent are the URIs the delivery's payload is
	// about ("" when it is not about an invitee).
	Invitee, ScheduledEvent string
}

// DeliveryAttempt is one attempt, as GET /_emulator/deliveries lists it.
type DeliveryAttempt struct {
	Subscription string `json:"subscription"`
	Event        string `json:"event"`
	URL          string `json:"url"`
	Attempt      int    `json:"attempt"`
	// BodySHA256 is the hex SHA-256 of the exact bytes sent, so a receiver
	// (or a forwarder) can prove it stored or passed on what was sent.
	BodySHA256 string `json:"body_sha256"`
	// Invitee and ScheduledEvent are the URIs the payload is about.
	Invitee        string    `json:"invitee,omitempty"`
	ScheduledEvent string    `json:"scheduled_event,omitempty"`
	Status         int       `json:"status"` // HTTP status, 0 when no answer
	Error          string    `json:"error,omitempty"`
	At             time.Time `json:"at"`
}

// pendingDelivery is one queued body and how often it has been tried.
type pendingDelivery struct {
	target     deliveryTarget
	event      string
	body       []byte
	bodySHA256 string
	attempts   int
}

// subscriptionQueue is one subscription's waiting deliveries. items is
// guarded by deliverer.mu; the retry fields belong to the queue's worker.
type subscriptionQueue struct {
	items      []*pendingDelivery
	dropped    chan struct{} // closed when the subscription is forgotten
	failures   int           // consecutive failed attempts
	retryStart time.Time     // waitClock time of the first of them
}

func newDeliverer(opts Options, now func() time.Time, hooks deliveryHooks) *deliverer {
	if now == nil {
		now = time.Now
	}
	d := &deliverer{
		now:    now,
		wait:   realClock{},
		base:   opts.RetryBase,
		window: opts.RetryWindow,
		hooks:  hooks,
		queues: make(map[string]*subscriptionQueue),
		gone:   make(map[string]bool),
	}
	if d.base <= 0 {
		d.base = defaultRetryBase
	}
	if d.window <= 0 {
		d.window = defaultRetryWindow
	}
	if opts.DeliveryClient != nil {
		c := *opts.DeliveryClient
		d.client = &c
	} else {
		d.client, d.ownsClient = defaultDeliveryClient(), true
	}
	// Calendly never follows a redirect, whoever built the client.
	d.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d
}

// enqueue schedules body (already the full delivery JSON) for target. It
// never blocks on the network. Deliveries to a subscription this deliverer
// disabled or saw deleted, or after close, are dropped.
func (d *deliverer) enqueue(target deliveryTarget, event string, body []byte) {
	target.SigningKey = bytes.Clone(target.SigningKey) // the caller may reuse its buffers
	sum := sha256.Sum256(body)
	item := &pendingDelivery{target: target, event: event, body: bytes.Clone(body), bodySHA256: hex.EncodeToString(sum[:])}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed || d.gone[target.SubscriptionURI] {
		return
	}
	q, running := d.queues[target.SubscriptionURI]
	if !running {
		q = &subscriptionQueue{dropped: make(chan struct{})}
		d.queues[target.SubscriptionURI] = q
	}
	q.items = append(q.items, item)
	if !running {
		d.wg.Add(1)
		d.workers++
		go d.work(target.SubscriptionURI, q)
	}
}

// work delivers q's items in order until q is empty, the subscription is
// disabled or deleted, or the deliverer closes.
func (d *deliverer) work(subscription string, q *subscriptionQueue) {
	defer d.wg.Done()
	defer func() {
		d.mu.Lock()
		d.workers--
		d.mu.Unlock()
	}()
	for {
		d.mu.Lock()
		if d.closed || len(q.items) == 0 {
			if d.queues[subscription] == q {
				delete(d.queues, subscription)
			}
			d.mu.Unlock()
			return
		}
		item := q.items[0]
		d.mu.Unlock()

		switch d.attempt(item) {
		case outcomeAborted:
			return
		case outcomeDelivered:
			d.mu.Lock()
			if len(q.items) > 0 && q.items[0] == item { // not dropped meanwhile
				q.items = q.items[1:]
			}
			d.mu.Unlock()
			if q.failures > 0 {
				q.failures = 0
				call1(d.hooks.recovered, subscription)
			}
		case outcomeGone:
			d.drop(subscription)
			call1(d.hooks.remove, subscription)
			return
		case outcomeFailed:
			if !d.waitToRetry(subscription, q) {
				return
			}
		}
	}
}

// waitToRetry counts a failure and sleeps until the next attempt. It
// returns false when the subscription was disabled or the deliverer closed.
func (d *deliverer) waitToRetry(subscription string, q *subscriptionQueue) bool {
	if q.failures == 0 {
		q.retryStart = d.wait.Now()
		if d.hooks.retrying != nil {
			d.hooks.retrying(subscription, d.now())
		}
	}
	q.failures++
	deadline := q.retryStart.Add(d.window)
	left := deadline.Sub(d.wait.Now())
	if left <= 0 {
		d.drop(subscription)
		call1(d.hooks.disable, subscription)
		return false
	}
	select {
	case <-d.wait.After(min(backoff(d.base, q.failures), left)):
		return true
	case <-q.dropped:
		return false
	case <-d.ctx.Done():
		return false
	}
}

// backoff is base·2^(failures−1), saturating instead of overflowing.
func backoff(base time.Duration, failures int) time.Duration {
	delay := base
	for i := 1; i < failures; i++ {
		if delay > (1<<62)/2 {
			return 1 << 62
		}
		delay *= 2
	}
	return delay
}

// drop forgets a subscription that is disabled or deleted: its queued
// deliveries and pending retry are dropped, and later ones refused. The
// server calls it when a client deletes a subscription, so no retry goes
// to a subscription that no longer exists.
func (d *deliverer) drop(subscription string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gone[subscription] = true
	if q := d.queues[subscription]; q != nil {
		q.items = nil
		close(q.dropped)
		delete(d.queues, subscription)
	}
}

func call1(hook func(string), subscription string) {
	if hook != nil {
		hook(subscription)
	}
}

func (d *deliverer) record(rec DeliveryAttempt) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.log) >= maxRecordedAttempts {
		d.log = append(d.log[:0], d.log[len(d.log)-maxRecordedAttempts+1:]...)
	}
	d.log = append(d.log, rec)
}

// attempts returns every attempt so far, oldest first.
func (d *deliverer) attempts() []DeliveryAttempt {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]DeliveryAttempt(nil), d.log...)
}

// close stops retries, aborts in-flight attempts and waits for the workers.
// Queued deliveries are dropped. It is safe to call more than once.
func (d *deliverer) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.cancel()
	d.wg.Wait()
	d.mu.Lock()
	clear(d.queues)
	d.mu.Unlock()
	if d.ownsClient {
		d.client.CloseIdleConnections()
	}
}
