package forward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// Timeouts of one send. The whole request is bounded by DefaultTimeout (or
// the Timeout given); its phases by these, so a dead host, a stalled TLS
// handshake or an app that never answers each fail fast with their reason.
const (
	DefaultTimeout       = 10 * time.Second
	dialTimeout          = 5 * time.Second
	tlsHandshakeTimeout  = 5 * time.Second
	responseHeaderWindow = 10 * time.Second
	// drainLimit is how much more of an answer is read (and dropped) past
	// the kept prefix so the connection can be reused.
	drainLimit = 64 << 10
)

// DefaultUserAgent is sent unless the caller names itself.
const DefaultUserAgent = "calwatch-forward"

// ErrRedirect is in Answer.Err when the app answered a redirect: like
// Calendly, calwatch does not follow it.
var ErrRedirect = errors.New("redirect not followed")

// Answer is what the app made of one signed delivery.
type Answer struct {
	URL    string // where it was sent, as given
	SentAt time.Time
	// Status is the HTTP status (0 when there was no answer), StatusText
	// the status line after the code, as the app sent it.
	Status     int
	StatusText string
	// Latency runs from sending to having read the kept part of the answer.
	Latency time.Duration
	// Body is at most storage.MaxForwardAnswer bytes of the answer body;
	// Truncated says there was more.
	Body      []byte
	Truncated bool
	// Err says why the app gave no usable answer: no connection, a timeout,
	// a redirect (wrapping ErrRedirect, Status then holds the 3xx).
	Err error
}

// OK reports a 2xx answer.
func (a Answer) OK() bool { return a.Err == nil && a.Status >= 200 && a.Status <= 299 }

// Result is a as storage keeps it for delivery id.
func (a Answer) Result(deliveryID int64) storage.ForwardResult {
	r := storage.ForwardResult{DeliveryID: deliveryID, URL: a.URL, At: a.SentAt, Status: a.Status,
		Latency: a.Latency, Answer: a.Body, AnswerTruncated: a.Truncated}
	if a.Err != nil {
		r.Error = a.Err.Error()
	}
	return r
}

// NewClient is an HTTP client that sends like Calendly: it never follows a
// redirect (the 3xx is the answer) and every phase has a deadline.
func NewClient() *http.Client {
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: responseHeaderWindow,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// freshTime is the t to sign a stored delivery with at now: now, but never
// the second of the signature it arrived with, so what is sent is never
// that signature again (a listener would take an exact repeat for a
// duplicate). Then it is the next second, well inside any tolerance.
func freshTime(now time.Time, storedHeader string) time.Time {
	if old, err := calendly.ParseSignature(storedHeader); err == nil && !now.Truncate(time.Second).After(old.Timestamp) {
		return old.Timestamp.Add(time.Second)
	}
	return now
}

// request is one signed delivery to send.
type request struct {
	client    *http.Client
	target    *url.URL
	key       []byte
	body      []byte
	userAgent string
	timeout   time.Duration
	now       time.Time // the signature's t
	replayOf  int64     // the stored delivery sent again (0: a forward)
}

// send signs body with key at now (a fresh t) and POSTs its raw bytes to
// the target, reading at most storage.MaxForwardAnswer bytes of the answer.
func send(ctx context.Context, r request) Answer {
	a := Answer{URL: r.target.String(), SentAt: r.now}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL, bytes.NewReader(r.body))
	if err != nil {
		a.Err = fmt.Errorf("cannot build the request: %w", err)
		return a
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", r.userAgent)
	req.Header.Set(calendly.SignatureHeader, calendly.Sign(r.key, r.now, r.body))
	if r.replayOf > 0 {
		// A hint for a listener's feed, outside the signed bytes.
		req.Header.Set(storage.ReplayOfHeader, strconv.FormatInt(r.replayOf, 10))
	}
	start := time.Now()
	resp, err := r.client.Do(req)
	if err != nil {
		a.Latency = time.Since(start)
		a.Err = reachError(err, r.timeout)
		return a
	}
	defer resp.Body.Close()
	a.Status = resp.StatusCode
	a.StatusText = http.StatusText(resp.StatusCode)
	if len(resp.Status) > 4 {
		a.StatusText = resp.Status[4:]
	}
	a.Body, err = io.ReadAll(io.LimitReader(resp.Body, storage.MaxForwardAnswer+1))
	a.Latency = time.Since(start)
	if len(a.Body) > storage.MaxForwardAnswer {
		a.Body, a.Truncated = a.Body[:storage.MaxForwardAnswer], true
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	}
	if err != nil {
		a.Err = fmt.Errorf("answered %d but the body could not be read: %s", a.Status, reachError(err, r.timeout))
		return a
	}
	if a.Status >= 300 && a.Status <= 399 {
		where := resp.Header.Get("Location")
		if where == "" {
			where = "nowhere"
		}
		a.Err = fmt.Errorf("%w: answered %d to %.200s (Calendly does not follow redirects either)", ErrRedirect, a.Status, where)
	}
	return a
}

// reachError is why a request got no answer, in a few words.
func reachError(err error, timeout time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", timeout)
	}
	if errors.Is(err, context.Canceled) {
		return errors.New("calwatch stopped before the app answered")
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}
