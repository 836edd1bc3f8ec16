package backfill

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// defaultRatePause is how long every request waits after a 429 that gave no
// reset time: Calendly's rate-limit window is a minute.
const defaultRatePause = time.Minute

// rateGate is one rate limit shared by every request of a sync: when an
// answer says the limit is used up (a 429, or X-RateLimit-Remaining: 0),
// every request waits until X-RateLimit-Reset instead of failing.
type rateGate struct {
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	onPause func(until time.Time, wait time.Duration)

	mu    sync.Mutex
	until time.Time // no request before this
	epoch int       // counts pauses, so a finished wait clears only its own
	waits int
}

// call runs fn once the gate is open and again after each 429, until it
// gives another answer or ctx ends.
func (g *rateGate) call(ctx context.Context, fn func() (*calendly.Response, error)) error {
	for {
		if err := g.wait(ctx); err != nil {
			return err
		}
		resp, err := fn()
		var limited *calendly.RateLimitError
		if errors.As(err, &limited) {
			reset := limited.Rate.Reset
			if reset.IsZero() {
				reset = g.now().Add(defaultRatePause)
			}
			g.pauseUntil(reset)
			continue
		}
		if resp != nil && resp.Rate.Limit > 0 && resp.Rate.Remaining == 0 && !resp.Rate.Reset.IsZero() {
			g.pauseUntil(resp.Rate.Reset)
		}
		return err
	}
}

func (g *rateGate) pauseUntil(t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t.After(g.until) {
		g.until = t
		g.epoch++
	}
}

// wait sleeps until the gate opens. Requests that arrive during a pause
// each sleep out the rest of it; the first to wake opens the gate.
func (g *rateGate) wait(ctx context.Context) error {
	g.mu.Lock()
	d := g.until.Sub(g.now())
	if d <= 0 {
		g.mu.Unlock()
		return ctx.Err()
	}
	epoch, until := g.epoch, g.until
	g.waits++
	g.mu.Unlock()
	if g.onPause != nil {
		g.onPause(until, d)
	}
	if err := g.sleep(ctx, d); err != nil {
		return err
	}
	g.mu.Lock()
	if g.epoch == epoch {
		g.until = time.Time{}
	}
	g.mu.Unlock()
	return nil
}

func (g *rateGate) pauses() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waits
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
