package backfill

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// TestGateNeverRetriesAtOnce: a 429 whose reset is already past still
// pauses a moment, so a server that keeps refusing is not hammered.
func TestGateNeverRetriesAtOnce(t *testing.T) {
	now := time.Now()
	var waits []time.Duration
	g := &rateGate{now: func() time.Time { return now }, sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	calls := 0
	err := g.call(context.Background(), func() (*calendly.Response, error) {
		calls++
		if calls < 3 {
			return nil, &calendly.RateLimitError{APIError: calendly.APIError{StatusCode: http.StatusTooManyRequests}, Rate: calendly.Rate{Limit: 10, Reset: now.Add(-time.Minute)}}
		}
		return &calendly.Response{}, nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("call = %v after %d tries, want success on the third", err, calls)
	}
	if len(waits) != 2 || waits[0] < minRatePause || waits[1] < minRatePause {
		t.Errorf("waits = %v, want two of at least %v", waits, minRatePause)
	}
}

// TestGatePausesWhenNothingRemains: an answer that says the window is used
// up makes the next request wait for the reset, before any 429.
func TestGatePausesWhenNothingRemains(t *testing.T) {
	now := time.Now()
	var waits []time.Duration
	g := &rateGate{now: func() time.Time { return now }, sleep: func(_ context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}}
	spent := &calendly.Response{Rate: calendly.Rate{Limit: 10, Remaining: 0, Reset: now.Add(30 * time.Second)}}
	for range 2 {
		if err := g.call(context.Background(), func() (*calendly.Response, error) { return spent, nil }); err != nil {
			t.Fatal(err)
		}
		spent = &calendly.Response{Rate: calendly.Rate{Limit: 10, Remaining: 9, Reset: now.Add(time.Minute)}}
	}
	if len(waits) != 1 || waits[0] != 30*time.Second {
		t.Errorf("waits = %v, want one of 30s before the second request", waits)
	}
}

// TestGateWaitEndsWithItsContext: a sync stopped during a pause returns at once.
func TestGateWaitEndsWithItsContext(t *testing.T) {
	g := &rateGate{now: time.Now, sleep: sleepContext}
	g.pauseUntil(time.Now().Add(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.call(ctx, func() (*calendly.Response, error) {
		t.Error("a request went out during the pause")
		return nil, nil
	}); err == nil {
		t.Error("a cancelled wait returned no error")
	}
}
