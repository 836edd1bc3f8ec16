package calendlytest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateWindow is Calendly's rate-limit period.
const rateWindow = time.Minute

// rateLimiter counts requests per token in fixed one-minute windows, which
// is what Calendly's X-RateLimit-Limit / -Remaining / -Reset (seconds until
// the window resets) describe. (golang.org/x/time/rate is a token bucket:
// it has no window to report a reset for.)
type rateLimiter struct {
	limit int // per window; 0 means unlimited
	now   func() time.Time

	mu      sync.Mutex
	windows map[string]*tokenWindow
}

type tokenWindow struct {
	start time.Time
	used  int
}

func newRateLimiter(limit int, now func() time.Time) *rateLimiter {
	return &rateLimiter{limit: limit, now: now, windows: map[string]*tokenWindow{}}
}

// take counts one request for key and sets the X-RateLimit-* headers. When
// the window is used up it returns allowed=false and the wait until reset.
func (l *rateLimiter) take(key string, h http.Header) (wait time.Duration, allowed bool) {
	if l.limit <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.windows[key]
	if w == nil || !now.Before(w.start.Add(rateWindow)) {
		if len(l.windows) > 10_000 {
			l.forgetEnded(now)
		}
		w = &tokenWindow{start: now}
		l.windows[key] = w
	}
	wait = w.start.Add(rateWindow).Sub(now)
	allowed = w.used < l.limit
	if allowed {
		w.used++
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(l.limit-w.used))
	h.Set("X-RateLimit-Reset", secondsText(wait))
	return wait, allowed
}

// forgetEnded drops windows that are over, so the map does not grow with
// every token ever seen. l.mu must be held.
func (l *rateLimiter) forgetEnded(now time.Time) {
	for key, w := range l.windows {
		if !now.Before(w.start.Add(rateWindow)) {
			delete(l.windows, key)
		}
	}
}

// secondsText is d in whole seconds, rounded up: a client that waits that
// long finds the window reset.
func secondsText(d time.Duration) string {
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}

func itoa(n int) string { return strconv.Itoa(n) }
