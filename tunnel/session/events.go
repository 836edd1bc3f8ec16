package session

import (
	"fmt"
	"strings"
	"time"

	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/backfill"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

// Event is what a session reports: Connecting, Tunnel, Subscribed, Pruned,
// Polling, Sync, Degraded and, last, Stopped. Events are for showing; they
// never carry a secret.
type Event interface{ String() string }

// Connecting: the session is at a step ("tunnel", "subscription").
type Connecting struct{ Step string }

// Tunnel is an event of the tunnel (Online, Offline, URLChanged, Stuck,
// Stopped), passed on as it came.
type Tunnel struct{ Event tunnel.Event }

// Subscribed: deliveries now come through this subscription.
type Subscribed struct {
	URI, CallbackURL string
	Events           []string
	Scope            string
	Reused           bool
}

// Pruned: calwatch's stale subscriptions (of earlier runs) were removed.
type Pruned struct{ Subscriptions []subscription.Pruned }

// Polling: no webhook can reach calwatch (Why says why), so it reads
// Calendly's API every Interval instead.
type Polling struct {
	Interval time.Duration
	Why      error
}

// Sync is a backfill's, catch-up's or poll's progress.
type Sync struct{ Event backfill.Event }

// Degraded: something failed that the session works around; Err says what.
type Degraded struct{ Err error }

// Stopped is the last event: the session ended (Err is why, nil when asked
// to), and its subscription was Removed, Kept, or could not be removed
// (CleanupErr).
type Stopped struct {
	Err        error
	Removed    string
	Kept       bool
	CleanupErr error
}

func (e Connecting) String() string { return "connecting: " + e.Step }

func (e Tunnel) String() string {
	switch ev := e.Event.(type) {
	case tunnel.Online:
		return "tunnel online: " + ev.URL
	case tunnel.Offline:
		return "tunnel offline: " + errText(ev.Err, "reconnecting")
	case tunnel.URLChanged:
		return "tunnel URL changed: " + ev.New
	case tunnel.Stuck:
		return "tunnel not online yet: " + errText(ev.Err, "still trying")
	case tunnel.Stopped:
		return "tunnel stopped: " + errText(ev.Err, "closed")
	}
	return fmt.Sprintf("tunnel: %T", e.Event)
}

func (e Subscribed) String() string {
	verb := "subscribed"
	if e.Reused {
		verb = "reusing subscription"
	}
	return fmt.Sprintf("%s %s (%s) → %s", verb, e.URI, strings.Join(e.Events, ", "), e.CallbackURL)
}

func (e Pruned) String() string {
	return fmt.Sprintf("removed %d stale subscription(s) of calwatch's", len(e.Subscriptions))
}

func (e Polling) String() string {
	return fmt.Sprintf("polling Calendly every %s: %s", e.Interval, errText(e.Why, "no webhook"))
}

func (e Sync) String() string { return fmt.Sprint(e.Event) }

func (e Degraded) String() string { return errText(e.Err, "degraded") }

func (e Stopped) String() string {
	switch {
	case e.CleanupErr != nil:
		return "stopped; " + e.CleanupErr.Error()
	case e.Removed != "":
		return "stopped; deleted subscription " + e.Removed
	case e.Kept:
		return "stopped; the subscription was kept"
	}
	return "stopped"
}

func errText(err error, otherwise string) string {
	if err == nil {
		return otherwise
	}
	return err.Error()
}
