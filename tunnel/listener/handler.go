// Package listener is calwatch's webhook endpoint: an http.Handler that
// takes Calendly deliveries on one exact path, verifies the signature over
// the raw bytes before anything is parsed, has storage record and apply the
// delivery, and answers 2xx only once that is durably committed; and the
// http.Server around it, with a timeout on every phase, a cap on open
// connections and a graceful stop. Before any body is read, a request must
// pass one rate limit for all senders, the path, POST and Content-Type:
// application/json; the body is read as it arrives, up to a limit.
package listener

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// DefaultPath is where deliveries are accepted unless a secret path is set.
const DefaultPath = "/webhooks/calendly"

// DefaultMaxBodyBytes is the largest delivery accepted. Real deliveries are
// a few KiB; 1 MiB leaves room for long form answers.
const DefaultMaxBodyBytes = 1 << 20

// DefaultStoreTimeout bounds how long one delivery may wait for storage.
const DefaultStoreTimeout = 20 * time.Second

// maxHeaderBytes bounds a request's headers, and so the signature header
// handed to storage with a refused request; a delivery's are well under it.
const maxHeaderBytes = 16 << 10

// requestLimitFactor sets the limit on all requests, checked before any
// body is read, from RateLimit when RequestLimit is not given: high enough
// that the two buckets after verification bind first for any mix of
// refused and signed requests, low enough to bound the work a flood causes.
const requestLimitFactor = 4

// DeliveryStore is the part of storage the listener needs; *storage.Store
// implements it.
type DeliveryStore interface {
	// RecordDelivery stores and applies a verified delivery, returning only
	// once it is durably committed.
	RecordDelivery(ctx context.Context, d storage.IncomingDelivery) (storage.DeliveryRecord, error)
	// RecordRefused logs a request that was refused.
	RecordRefused(ctx context.Context, r storage.RefusedDelivery) (storage.DeliveryRecord, error)
	// RecordAnswer notes, without waiting, what a stored row was answered
	// and how long its request took, from its start to the answer sent.
	RecordAnswer(id int64, status int, latency time.Duration)
}

// Config configures a Handler. Store is required, and a signing key: either
// SigningKey, or Keys when the keys change while it serves.
type Config struct {
	SigningKey []byte
	// Keys, if set, are the signing keys accepted (SigningKey among them
	// when also set), changeable while the handler serves: a session
	// learns its subscription's key only once it has subscribed.
	Keys  *Keys
	Store DeliveryStore
	// Path is the one path deliveries are accepted on (default DefaultPath).
	Path string
	// MaxBodyBytes limits the body (default DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// RateLimit is requests per second on the path (0: no limit); Burst is
	// how many may come at once (default: one second's worth, at least 1).
	// Refused requests and verified deliveries each get their own bucket at
	// this rate, so a flood of junk cannot crowd out signed deliveries.
	RateLimit float64
	Burst     int
	// RequestLimit is requests per second on any path, checked first,
	// before any body is read (RequestBurst at once). 0 means
	// requestLimitFactor times RateLimit and Burst (none when RateLimit is
	// 0). It is one bucket for every sender: behind a tunnel every request
	// comes from the tunnel agent's address, so a per-address limit would
	// be one bucket anyway. It bounds the work a flood causes; Calendly
	// retries a delivery answered 429.
	RequestLimit float64
	RequestBurst int
	// Tolerance is how old or new a signature's timestamp may be
	// (default calendly.DefaultTolerance).
	Tolerance time.Duration
	// StoreTimeout bounds one storage call (default DefaultStoreTimeout).
	StoreTimeout time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// OnRecord, if set, is called with every row the handler stored:
	// applied, duplicate, refused and failed deliveries, after the answer
	// has been written and flushed, with the status answered and the
	// latency (AnswerStatus, LatencyMicros) filled in before storage has
	// them. A failed delivery that storage could not log at all comes with
	// ID 0. It may be called concurrently; while it runs the
	// request is still open, so it should return quickly.
	OnRecord func(storage.DeliveryRecord)
	// OnError, if set, is called when storage fails. The error never holds
	// the signing key. It may be called concurrently.
	OnError func(error)
}

// Handler is the verified webhook endpoint. Create it with NewHandler.
type Handler struct {
	cfg Config
	// deliveryLimiter is charged by verified deliveries only, refusedLimiter
	// by refused requests only; both nil when there is no limit.
	deliveryLimiter *rate.Limiter
	refusedLimiter  *rate.Limiter
	// requestLimiter is charged by every request before its body is read;
	// nil when there is no limit.
	requestLimiter *rate.Limiter
	draining       atomic.Bool
}

// NewHandler checks cfg, fills its defaults and returns the handler.
func NewHandler(cfg Config) (*Handler, error) {
	if len(cfg.SigningKey) == 0 && cfg.Keys == nil {
		return nil, errors.New("listener: no signing key")
	}
	if cfg.Keys == nil {
		cfg.Keys = NewKeys()
	}
	if len(cfg.SigningKey) > 0 {
		cfg.Keys.keep(cfg.SigningKey)
	}
	if cfg.Store == nil {
		return nil, errors.New("listener: no store")
	}
	if cfg.Path == "" {
		cfg.Path = DefaultPath
	}
	if err := CheckPath(cfg.Path); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = calendly.DefaultTolerance
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RateLimit < 0 {
		return nil, fmt.Errorf("listener: rate limit %v is negative", cfg.RateLimit)
	}
	if cfg.RequestLimit < 0 {
		return nil, fmt.Errorf("listener: request limit %v is negative", cfg.RequestLimit)
	}
	h := &Handler{cfg: cfg}
	if cfg.RateLimit > 0 {
		burst := cfg.Burst
		if burst <= 0 {
			burst = max(1, int(cfg.RateLimit))
		}
		h.deliveryLimiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), burst)
		h.refusedLimiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), burst)
		if cfg.RequestLimit == 0 {
			cfg.RequestLimit, cfg.RequestBurst = requestLimitFactor*cfg.RateLimit, requestLimitFactor*burst
		}
	}
	if cfg.RequestLimit > 0 {
		burst := cfg.RequestBurst
		if burst <= 0 {
			burst = max(1, int(cfg.RequestLimit))
		}
		h.requestLimiter = rate.NewLimiter(rate.Limit(cfg.RequestLimit), burst)
	}
	return h, nil
}

// Path is the path the handler accepts deliveries on.
func (h *Handler) Path() string { return h.cfg.Path }

// Drain makes the handler answer 503 to every request that arrives from
// now on, so Calendly retries them later; requests already inside finish.
func (h *Handler) Drain() { h.draining.Store(true) }

// ServeHTTP answers one request. The checks run in this order: the request
// limit (429), path (404), method (405), Content-Type (415), shutdown
// (503), size (413), signature over the raw bytes (401), delivery shape
// (400); then storage records and applies it (5xx on failure) and only
// after the commit comes the 200, which is sent before OnRecord hears of
// the row. Nothing before the size check reads the body or logs anything,
// and every error answer closes the connection.
//
// Past the request limit comes the rate limit (429), two buckets: a
// refusal (413, 401, 400) is charged to one, and when that is empty the
// request is answered 429 and not logged, so a flood of junk fills neither
// the delivery log nor the other bucket; a verified delivery is charged to
// the other, and when that is empty it is answered 429 before storage sees
// it, so Calendly retries it later.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now() // for the latency; the monotonic clock, not cfg.Now
	if h.requestLimiter != nil && !h.requestLimiter.Allow() {
		tooMany(w)
		return
	}
	if r.URL.Path != h.cfg.Path {
		writeJSON(w, http.StatusNotFound, errorBody("no webhook here"))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, errorBody("only POST is accepted here"))
		return
	}
	if !isJSONContentType(r.Header) {
		writeJSON(w, http.StatusUnsupportedMediaType, errorBody("only Content-Type: application/json is accepted here"))
		return
	}
	if h.draining.Load() {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, errorBody("shutting down; retry later"))
		return
	}
	receivedAt := h.cfg.Now()
	sigHeader := r.Header.Get(calendly.SignatureHeader)
	refuse := func(code int, reason string, body []byte) {
		if h.refusedLimiter != nil && !h.refusedLimiter.Allow() {
			tooMany(w)
			return
		}
		rec, logged := h.recordRefused(r.Context(), storage.RefusedDelivery{
			ReceivedAt: receivedAt, SignatureHeader: truncate(sigHeader, maxHeaderBytes), Body: body, Reason: reason,
			Headers: receivedHeaders(r), AnswerStatus: code,
		})
		writeReply(w, code, storage.DeliveryRecord{Outcome: storage.OutcomeRefused, Reason: reason})
		if logged {
			h.reportAfterAnswer(w, rec, code, start)
		}
	}

	body, err := readBody(r.Body, r.ContentLength, h.cfg.MaxBodyBytes)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			refuse(http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", h.cfg.MaxBodyBytes), body)
			return
		}
		writeJSON(w, http.StatusBadRequest, errorBody("could not read the body"))
		return
	}
	if n := len(r.Header.Values(calendly.SignatureHeader)); n > 1 {
		refuse(http.StatusUnauthorized, fmt.Sprintf("%d %s headers; send one", n, calendly.SignatureHeader), body)
		return
	}
	keys := h.cfg.Keys.Current()
	if len(keys) == 0 {
		// Subscribed but not told the key yet: Calendly retries a 503.
		writeJSON(w, http.StatusServiceUnavailable, errorBody("calwatch does not know the subscription's signing key yet; retry shortly"))
		return
	}
	sig, err := verifyAny(sigHeader, body, keys, receivedAt, h.cfg.Tolerance)
	if err != nil {
		refuse(http.StatusUnauthorized, err.Error(), body)
		return
	}
	delivery, err := calendly.ParseDelivery(body)
	if err != nil {
		refuse(http.StatusBadRequest, err.Error(), body)
		return
	}
	if h.deliveryLimiter != nil && !h.deliveryLimiter.Allow() {
		tooMany(w)
		return
	}
	h.store(w, r, start, storage.IncomingDelivery{
		ReceivedAt:      receivedAt,
		SignatureHeader: sigHeader,
		ReplayKey:       sig.ReplayKey(),
		Body:            body,
		Parsed:          delivery,
		Headers:         receivedHeaders(r),
		AnswerStatus:    http.StatusOK,
	})
}

// receivedHeaders are r's headers as received, Host among them (net/http
// moves it to r.Host). Storage keeps what fits and copies it before the
// request ends, so the values are shared, not copied.
func receivedHeaders(r *http.Request) http.Header {
	h := make(http.Header, len(r.Header)+1)
	for name, values := range r.Header {
		h[name] = values
	}
	if r.Host != "" {
		h["Host"] = []string{r.Host}
	}
	return h
}

// store has storage record and apply d, answers from the outcome storage
// returns (never from whether the request's context ended meanwhile), and
// then reports the row, failed ones included.
func (h *Handler) store(w http.ResponseWriter, r *http.Request, start time.Time, d storage.IncomingDelivery) {
	ctx, cancel := h.storeContext(r)
	defer cancel()
	rec, err := h.cfg.Store.RecordDelivery(ctx, d)
	if err == nil {
		writeReply(w, http.StatusOK, rec)
		h.reportAfterAnswer(w, rec, http.StatusOK, start)
		return
	}
	code := http.StatusInternalServerError
	if h.draining.Load() {
		code = http.StatusServiceUnavailable
	}
	h.reportError(fmt.Errorf("a %s delivery was not stored (answered %d, so Calendly retries it): %w", d.Parsed.Event, code, err))
	writeReply(w, code, rec)
	if rec.Outcome != storage.OutcomeFailed {
		// Storage could not even log the failure: report it unlogged.
		rec = storage.DeliveryRecord{ReceivedAt: d.ReceivedAt, Event: d.Parsed.Event, Outcome: storage.OutcomeFailed,
			Reason: fmt.Sprintf("not stored (answered %d): %v", code, err)}
		if inv := d.Parsed.Invitee; inv != nil {
			rec.Invitee, rec.InviteeEmail, rec.EventURI = inv.URI, inv.Email, inv.Event
		}
	}
	h.reportAfterAnswer(w, rec, code, start)
}

// storeContext keeps the delivery's storage call alive when the client
// goes away or the server stops: what was received and verified is kept.
func (h *Handler) storeContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), h.cfg.StoreTimeout)
}

// recordRefused logs a refused request; ok is false if that failed.
func (h *Handler) recordRefused(reqCtx context.Context, rd storage.RefusedDelivery) (rec storage.DeliveryRecord, ok bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(reqCtx), h.cfg.StoreTimeout)
	defer cancel()
	rec, err := h.cfg.Store.RecordRefused(ctx, rd)
	if err != nil {
		h.reportError(fmt.Errorf("a refused request (%s) was not logged: %w", rd.Reason, err))
		return storage.DeliveryRecord{}, false
	}
	return rec, true
}

// reportAfterAnswer sends the answer code already written to w on its way,
// measures the request from start to then, has storage note both for the
// row, then calls OnRecord: the row is committed, so a slow OnRecord (a
// stalled terminal) must not hold back the sender's acknowledgement.
func (h *Handler) reportAfterAnswer(w http.ResponseWriter, rec storage.DeliveryRecord, code int, start time.Time) {
	_ = http.NewResponseController(w).Flush() // best effort: the answer is complete either way
	latency := time.Since(start)
	if rec.ID != 0 {
		h.cfg.Store.RecordAnswer(rec.ID, code, latency)
	}
	if h.cfg.OnRecord == nil {
		return
	}
	rec.AnswerStatus, rec.LatencyMicros = code, max(1, latency.Microseconds())
	h.cfg.OnRecord(rec)
}

func (h *Handler) reportError(err error) {
	if h.cfg.OnError != nil {
		h.cfg.OnError(err)
	}
}

// tooMany answers 429 so the sender retries later.
func tooMany(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	writeJSON(w, http.StatusTooManyRequests, errorBody("too many requests; retry later"))
}

// truncate keeps at most n bytes of s.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
