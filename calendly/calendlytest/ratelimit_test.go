package calendlytest

import (
	"net/http"
	"testing"
	"time"
)

func TestRateLimiterUnlimitedSetsNoHeaders(t *testing.T) {
	l := newRateLimiter(0, time.Now)
	h := http.Header{}
	for range 1000 {
		if _, ok := l.take("tok", h); !ok {
			t.Fatal("an unlimited limiter refused a request")
		}
	}
	if len(h) != 0 {
		t.Errorf("headers %v; an unlimited emulator reports no limit", h)
	}
}

func TestRateLimiterRoundsResetUpAndForgetsEndedWindows(t *testing.T) {
	clock := &authClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	l := newRateLimiter(1, clock.Now)
	l.take("a", http.Header{})
	clock.Advance(500 * time.Millisecond)
	h := http.Header{}
	wait, ok := l.take("a", h)
	if ok || wait != 59500*time.Millisecond || h.Get("X-RateLimit-Reset") != "60" {
		t.Errorf("second request: ok %v wait %v reset %q; want refused, 59.5s, reported as 60", ok, wait, h.Get("X-RateLimit-Reset"))
	}
	l.take("b", http.Header{})
	clock.Advance(rateWindow)
	l.mu.Lock()
	l.forgetEnded(clock.Now().Add(-300 * time.Millisecond)) // a ended, b has 300ms left
	left := len(l.windows)
	l.forgetEnded(clock.Now())
	gone := len(l.windows)
	l.mu.Unlock()
	if left != 1 || gone != 0 {
		t.Errorf("windows after forgetting: %d then %d; want 1 (b's window still open) then 0", left, gone)
	}
}
