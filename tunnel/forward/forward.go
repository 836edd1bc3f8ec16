// Package forward sends verified Calendly deliveries on to the app a
// developer is building, the way `stripe listen --forward-to` does: after
// the listener has committed and answered a delivery, its raw bytes go to
// the app with a fresh Calendly-Webhook-Signature (a new t, signed with the
// forwarding key). One worker sends in arrival order from a bounded queue,
// so a slow or failing app never delays or fails the Calendly side: when the
// queue is full the delivery is dropped from forwarding (it is stored all
// the same) and counted. Every phase of a send has a timeout and redirects
// are not followed, as Calendly does. What the app answered is recorded
// through ResultStore. Resend sends one stored delivery again, re-signed,
// for `calwatch deliveries resend` and the TUI's replay.
package forward

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// DefaultQueueLen is how many deliveries may wait for a slow app before
// further ones are not forwarded.
const DefaultQueueLen = 1000

// resultStoreTimeout bounds recording one result.
const resultStoreTimeout = 10 * time.Second

// ResultStore keeps what the app answered; *storage.Store implements it.
type ResultStore interface {
	RecordForward(ctx context.Context, r storage.ForwardResult) error
}

// Config configures a Forwarder. Target and SigningKey are required.
type Config struct {
	Target     *url.URL // from ParseTarget
	SigningKey []byte   // signs what the app receives
	// Store records each answer (nil: answers are only reported).
	Store ResultStore
	// QueueLen bounds the deliveries waiting to be sent (default DefaultQueueLen).
	QueueLen int
	// Timeout bounds one send, from dialling to the answer (default DefaultTimeout).
	Timeout time.Duration
	// Client sends (default NewClient()). It should not follow redirects.
	Client    *http.Client
	UserAgent string           // default DefaultUserAgent
	Now       func() time.Time // the clock that dates signatures (default time.Now)
	// OnResult, if set, hears every answer, in order, from the worker.
	OnResult func(rec storage.DeliveryRecord, a Answer)
	// OnDrop, if set, hears of a delivery not forwarded because the queue
	// was full, with how many have been dropped so far. It is called from
	// Enqueue and must not block.
	OnDrop func(rec storage.DeliveryRecord, dropped int64)
	// OnError, if set, hears of a result that could not be recorded.
	OnError func(error)
}

// Forwarder forwards deliveries to one app. Create it with New; Enqueue
// from any goroutine; Close once.
type Forwarder struct {
	cfg     Config
	mu      sync.RWMutex // held for reading by Enqueue, for writing by Close
	closed  bool
	queue   chan storage.DeliveryRecord
	dropped atomic.Int64
	sent    atomic.Int64
	ctx     context.Context // ends in-flight sends when Close gives up
	cancel  context.CancelFunc
	done    chan struct{}
}

// New checks cfg, fills its defaults and starts the worker.
func New(cfg Config) (*Forwarder, error) {
	if cfg.Target == nil {
		return nil, errors.New("forward: no target URL")
	}
	if len(cfg.SigningKey) == 0 {
		return nil, errors.New("forward: no signing key")
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Client == nil {
		cfg.Client = NewClient()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	f := &Forwarder{cfg: cfg, queue: make(chan storage.DeliveryRecord, cfg.QueueLen), done: make(chan struct{})}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	go f.run()
	return f, nil
}

// Forwardable reports whether rec is one the app should receive: a
// delivery that verified and was applied, with its bytes. Refused requests
// never are; nor are duplicates (the app had the first one) or deliveries
// that failed to apply (they were not acknowledged and Calendly retries).
func Forwardable(rec storage.DeliveryRecord) bool {
	return rec.Outcome == storage.OutcomeApplied && len(rec.Body) > 0
}

// Enqueue queues rec to be forwarded if it is Forwardable. It never blocks:
// when the queue is full, or the forwarder is closed, rec is dropped and
// counted. It reports whether rec was queued.
func (f *Forwarder) Enqueue(rec storage.DeliveryRecord) bool {
	if !Forwardable(rec) {
		return false
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if !f.closed {
		select {
		case f.queue <- rec:
			return true
		default:
		}
	}
	n := f.dropped.Add(1)
	if f.cfg.OnDrop != nil {
		f.cfg.OnDrop(rec, n)
	}
	return false
}

// Dropped is how many deliveries were not forwarded because the queue was
// full, the forwarder had closed, or Close gave up on them.
func (f *Forwarder) Dropped() int64 { return f.dropped.Load() }

// Sent is how many deliveries were sent (whatever the app answered).
func (f *Forwarder) Sent() int64 { return f.sent.Load() }

// Target is where deliveries go.
func (f *Forwarder) Target() *url.URL { return f.cfg.Target }

// Close stops taking deliveries and sends those queued until ctx ends; then
// it abandons the rest (counted in Dropped) and cuts the send in flight.
// It returns once the worker has stopped.
func (f *Forwarder) Close(ctx context.Context) {
	f.mu.Lock()
	if !f.closed {
		f.closed = true
		close(f.queue)
	}
	f.mu.Unlock()
	select {
	case <-f.done:
	case <-ctx.Done():
		f.cancel()
		<-f.done
	}
	f.cancel()
}

func (f *Forwarder) run() {
	defer close(f.done)
	for rec := range f.queue {
		if f.ctx.Err() != nil {
			f.dropped.Add(1)
			continue
		}
		f.forward(rec)
	}
}

func (f *Forwarder) forward(rec storage.DeliveryRecord) {
	a := send(f.ctx, request{client: f.cfg.Client, target: f.cfg.Target, key: f.cfg.SigningKey, body: rec.Body,
		userAgent: f.cfg.UserAgent, timeout: f.cfg.Timeout, now: freshTime(f.cfg.Now(), rec.SignatureHeader)})
	f.sent.Add(1)
	if f.cfg.Store != nil {
		// Recorded even while closing: the store outlives the forwarder.
		ctx, cancel := context.WithTimeout(context.Background(), resultStoreTimeout)
		err := f.cfg.Store.RecordForward(ctx, a.Result(rec.ID))
		cancel()
		if err != nil && f.cfg.OnError != nil {
			f.cfg.OnError(fmt.Errorf("the app's answer to delivery %d was not recorded: %w", rec.ID, err))
		}
	}
	if f.cfg.OnResult != nil {
		f.cfg.OnResult(rec, a)
	}
}
