// Package session runs a connected calwatch: the one sequence that both
// `calwatch listen` and the TUI drive. Given an account's client, a tunnel
// and the store, it waits for the tunnel's public URL, subscribes that URL
// with Calendly (telling the listener which key the deliveries will be
// signed with), catches up on whatever changed while calwatch was not
// running, then follows the tunnel: a reconnect is caught up again, a new
// URL is subscribed in place of the old one, and Calendly's 403 (a plan
// without webhooks, a missing scope) turns into polling. On exit it deletes
// the subscription it made, unless told to keep it.
//
// It reports what happens as typed events on a channel that never blocks
// it (the oldest unread event gives way to the newest).
package session

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/backfill"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

// ErrLocalOnly is why a session polls when calwatch is reachable on this
// machine only.
var ErrLocalOnly = errors.New("no tunnel: Calendly cannot reach a listener on this machine")

// Store is what a session needs of storage: the remembered subscriptions
// and the sync state.
type Store interface {
	subscription.Store
	backfill.Store
}

// Config is one session.
type Config struct {
	Client  *calendly.Client
	Account subscription.Account
	Store   Store
	Sealer  subscription.Sealer
	Tunnel  tunnel.Tunnel
	// Path is the webhook path the listener serves, e.g. /webhooks/calendly.
	Path string
	// Events and Scope are the subscription's (defaults: subscription's).
	Events []string
	Scope  string
	// KeepSubscription leaves the subscription at Calendly on exit.
	KeepSubscription bool
	// Since is the earliest start time the first backfill lists (default
	// backfill.DefaultWindow ago).
	Since time.Time
	// PollInterval is the polling period when no webhook can reach
	// calwatch (default backfill.DefaultPollInterval).
	PollInterval time.Duration
	// PollOnly skips subscribing and polls from the start: the tunnel is
	// local only, which Calendly cannot reach.
	PollOnly bool
	// UseSigningKey is told the key the active subscription's deliveries
	// are signed with, each time it changes. The listener verifies with it.
	UseSigningKey func(key []byte)
	// ExpectSigningKey, if set, is told a new subscription's key just
	// before it is created, so deliveries that come before the
	// subscription is confirmed verify (subscription.Request.Expect).
	ExpectSigningKey func(key []byte)
	// CleanupTimeout bounds deleting the subscription on exit (default 15 s).
	CleanupTimeout time.Duration
}

// Session is one run. Create it with New, read Events, call Run once.
type Session struct {
	cfg    Config
	life   *subscription.Lifecycle
	sync   *backfill.Syncer
	events *tunnel.Emitter[Event]
	// syncEvents carries the syncer's progress into events.
	syncEvents chan backfill.Event

	active  subscription.Active // the subscription deliveries come through; zero when none
	polling bool                // webhooks cannot come: the syncer polls
	offline bool                // the tunnel lost its connection and has not come back
}

// New checks cfg and prepares a session.
func New(cfg Config) (*Session, error) {
	switch {
	case cfg.Client == nil || cfg.Store == nil || cfg.Tunnel == nil:
		return nil, errors.New("session: a client, a store and a tunnel are required")
	case cfg.UseSigningKey == nil:
		return nil, errors.New("session: UseSigningKey is required (the listener must learn the subscription's key)")
	case !strings.HasPrefix(cfg.Path, "/"):
		return nil, fmt.Errorf("session: the webhook path %q must start with /", cfg.Path)
	}
	if cfg.CleanupTimeout <= 0 {
		cfg.CleanupTimeout = 15 * time.Second
	}
	life, err := subscription.New(cfg.Client, cfg.Store, cfg.Sealer, cfg.Account)
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: cfg, life: life, events: tunnel.NewEmitter[Event](128), syncEvents: make(chan backfill.Event, 64)}
	opts := backfill.Options{Since: cfg.Since, Events: s.syncEvents}
	if cfg.Scope == calendly.ScopeOrganization {
		opts.Organization = cfg.Account.Organization
	} else {
		opts.User = cfg.Account.User
	}
	if s.sync, err = backfill.New(cfg.Client, cfg.Store, opts); err != nil {
		return nil, err
	}
	return s, nil
}

// Events reports what the session does; it is closed when Run returns.
func (s *Session) Events() <-chan Event { return s.events.C() }

// Run connects and stays in step until ctx ends or the tunnel stops for
// good, then cleans up. It returns nil when ctx ended it.
func (s *Session) Run(ctx context.Context) (err error) {
	defer s.events.Close()
	relayDone := make(chan struct{})
	relayCtx, stopRelay := context.WithCancel(context.Background())
	go func() { defer close(relayDone); s.relaySync(relayCtx) }()
	defer func() { stopRelay(); <-relayDone }()
	defer func() { s.cleanup(ctx, err) }()

	s.events.Emit(Connecting{Step: "tunnel"})
	url, err := s.waitOnline(ctx)
	if err != nil || url == "" {
		return err
	}
	pollCtx, stopPolling := context.WithCancel(ctx)
	defer stopPolling()
	pollDone := make(chan struct{})
	close(pollDone)
	switch {
	case s.cfg.PollOnly:
		s.polling = true
		s.events.Emit(Polling{Interval: s.pollInterval(), Why: ErrLocalOnly})
		pollDone = s.startPolling(pollCtx)
	case s.subscribe(ctx, url):
		s.catchUp(ctx)
	case ctx.Err() == nil:
		pollDone = s.startPolling(pollCtx)
	}
	defer func() { stopPolling(); <-pollDone }()

	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-s.cfg.Tunnel.Events():
			if !ok {
				return errors.New("the tunnel closed")
			}
			s.events.Emit(Tunnel{Event: ev})
			switch ev := ev.(type) {
			case tunnel.Offline:
				s.offline = true
			case tunnel.Online:
				// Back after a drop: whatever Calendly sent meanwhile is
				// retried later; catch up now instead of waiting for it.
				if s.offline && !s.polling {
					s.catchUp(ctx)
				}
				s.offline = false
			case tunnel.URLChanged:
				old := s.active
				if s.subscribe(ctx, ev.New) {
					s.removeOld(ctx, old)
					s.catchUp(ctx)
				}
			case tunnel.Stopped:
				if ev.Err != nil {
					return ev.Err
				}
				return nil
			}
		}
	}
}

// waitOnline returns the tunnel's public origin once it has one.
func (s *Session) waitOnline(ctx context.Context) (string, error) {
	if url := s.cfg.Tunnel.URL(); url != "" {
		return url, nil
	}
	for {
		select {
		case <-ctx.Done():
			return "", nil
		case ev, ok := <-s.cfg.Tunnel.Events():
			if !ok {
				return "", errors.New("the tunnel closed before it came online")
			}
			s.events.Emit(Tunnel{Event: ev})
			switch ev := ev.(type) {
			case tunnel.Online:
				return ev.URL, nil
			case tunnel.Stopped:
				if ev.Err == nil {
					return "", nil
				}
				return "", ev.Err
			}
		}
	}
}

// subscribe makes the subscription for origin's webhook URL the active one
// and reports whether webhooks will come; when they cannot, the session
// polls instead.
func (s *Session) subscribe(ctx context.Context, origin string) bool {
	s.events.Emit(Connecting{Step: "subscription"})
	callback := strings.TrimSuffix(origin, "/") + s.cfg.Path
	active, err := s.life.Ensure(ctx, subscription.Request{CallbackURL: callback, Events: s.cfg.Events, Scope: s.cfg.Scope, Expect: s.cfg.ExpectSigningKey})
	if err != nil {
		if ctx.Err() == nil {
			s.polling = true
			s.events.Emit(Polling{Interval: s.pollInterval(), Why: err})
		}
		return false
	}
	s.cfg.UseSigningKey(active.SigningKey)
	s.active, s.polling = active, false
	s.events.Emit(Subscribed{URI: active.URI, CallbackURL: active.CallbackURL, Events: active.Events, Scope: active.Scope, Reused: active.Reused})
	// A run killed before its clean-up left a subscription of ours behind
	// on another URL: only the one in use stays.
	if pruned, err := s.life.Prune(ctx, callback); err != nil {
		s.events.Emit(Degraded{Err: fmt.Errorf("could not remove calwatch's stale subscriptions: %w", err)})
	} else if len(pruned) > 0 {
		s.events.Emit(Pruned{Subscriptions: pruned})
	}
	return true
}

func (s *Session) removeOld(ctx context.Context, old subscription.Active) {
	if old.URI == "" || old.URI == s.active.URI {
		return
	}
	if err := s.life.Remove(ctx, old.URI); err != nil {
		s.events.Emit(Degraded{Err: fmt.Errorf("could not delete the subscription of the old URL %s: %w", old.CallbackURL, err)})
	}
}

// catchUp reads what changed at Calendly since the last sync.
func (s *Session) catchUp(ctx context.Context) {
	if _, err := s.sync.Run(ctx); err != nil && ctx.Err() == nil {
		s.events.Emit(Degraded{Err: fmt.Errorf("catching up with Calendly failed: %w", err)})
	}
}

func (s *Session) startPolling(ctx context.Context) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.sync.Poll(ctx, s.pollInterval())
	}()
	return done
}

func (s *Session) pollInterval() time.Duration {
	if s.cfg.PollInterval > 0 {
		return s.cfg.PollInterval
	}
	return backfill.DefaultPollInterval
}

// relaySync hands the syncer's progress on as session events.
func (s *Session) relaySync(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-s.syncEvents:
			s.events.Emit(Sync{Event: ev})
		}
	}
}

// cleanup deletes the active subscription unless it is to be kept; it runs
// with a context of its own, since the run's has usually ended.
func (s *Session) cleanup(ctx context.Context, runErr error) {
	done := Stopped{Err: runErr, Kept: s.cfg.KeepSubscription && s.active.URI != ""}
	if s.active.URI != "" && !s.cfg.KeepSubscription {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.CleanupTimeout)
		defer cancel()
		if err := s.life.Remove(cctx, s.active.URI); err != nil {
			done.CleanupErr = fmt.Errorf("could not delete the subscription %s (run 'calwatch subscriptions prune' later): %w", s.active.URI, err)
		} else {
			done.Removed = s.active.URI
		}
	}
	s.events.Emit(done)
}
