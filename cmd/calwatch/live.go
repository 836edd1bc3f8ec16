package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/account"
	"github.com/calwatch/calwatch/tunnel/backfill"
	"github.com/calwatch/calwatch/tunnel/forward"
	"github.com/calwatch/calwatch/tunnel/home"
	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/session"
)

// liveConfig is a TUI fed by calwatch's own listener and, with an account,
// the session: what `calwatch --no-tunnel`, a logged-in `calwatch` and
// `calwatch --demo` run.
type liveConfig struct {
	store *storage.Store
	lock  *home.ListenerLock // published with the webhook URL, so status sees it
	ln    net.Listener       // the local listener
	tun   tunnel.Tunnel      // how the outside reaches it; nil: local only
	path  string
	// key is a signing key the user gave; nil when only the session's
	// subscription key is to be accepted.
	key []byte
	// session is the account's session (UseSigningKey and Tunnel are
	// filled here); nil without an account.
	session *session.Config
	conn    tui.Connection
	logger  *slog.Logger
	// forward is --forward-to: each applied delivery goes on to the app,
	// and its answer to the TUI; nil: no forwarding.
	forward *forwardPlan
}

// liveBackend is a running live TUI backend.
type liveBackend struct {
	hub  *tui.Hub
	stop func() // ends the session (deleting its subscription) and the listener
	// localURL and keys are where the listener takes deliveries on this
	// machine and what it verifies them with: the TUI's replays go there.
	localURL string
	keys     *listener.Keys
}

// replayTarget is where the TUI's replays go: the listener's local URL,
// signed with a key it accepts now (the subscription's may change).
func (l *liveBackend) replayTarget() (*url.URL, []byte, error) {
	keys := l.keys.Current()
	if len(keys) == 0 {
		return nil, nil, errors.New("calwatch is not subscribed yet, so it has no key to sign a replay with; try again in a moment")
	}
	return fixedTarget(l.localURL, keys[0])()
}

// startLive serves the listener (and the tunnel's public listener) with one
// verifying handler that reports every stored delivery to the hub, and runs
// the session, if any, reporting to the same hub.
func startLive(ctx context.Context, cfg liveConfig) (*liveBackend, error) {
	ensureTwoProcs()
	keys := listener.NewKeys()
	hub := tui.NewHub(cfg.store.Panes(), cfg.conn)
	reportError := func(err error) {
		cfg.logger.Error("listener", "err", err)
		hub.Publish(tui.BackendError{Err: err})
	}
	onRecord, stopForward, err := forwardToTUI(cfg, hub, reportError)
	if err != nil {
		return nil, err
	}
	handler, err := listener.NewHandler(listener.Config{
		SigningKey: cfg.key,
		Keys:       keys,
		Store:      cfg.store,
		Path:       cfg.path,
		RateLimit:  defaultRateLimit,
		OnRecord:   onRecord,
		OnError:    reportError,
	})
	if err != nil {
		stopForward()
		return nil, err
	}
	var s *session.Session
	if cfg.session != nil {
		sc := *cfg.session
		sc.Tunnel, sc.Path = cfg.tun, cfg.path
		sc.UseSigningKey = func(key []byte) { keys.Set(key) }
		sc.ExpectSigningKey = keys.Add
		if s, err = session.New(sc); err != nil {
			stopForward()
			return nil, err
		}
	}
	var pub *home.StatePublisher // nil (a no-op) without the lock: the demo
	if cfg.lock != nil {
		state := home.ListenerState{PID: os.Getpid(), Addr: cfg.ln.Addr().String(), WebhookURL: cfg.conn.WebhookURL, Database: cfg.store.Path(),
			StartedAt: time.Now().UTC(), Tunnel: startingReach(cfg.tun, cfg.conn.WebhookURL)}
		if pub, err = cfg.lock.Publisher(state, 0, func(err error) { cfg.logger.Error("state file", "err", err) }); err != nil {
			stopForward()
			return nil, err
		}
	}
	served := cfg.ln
	if cfg.tun != nil && cfg.tun.Listener() != nil {
		served = tunnel.Merge(cfg.ln, cfg.tun.Listener())
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	serving, ran := make(chan error, 1), make(chan error, 1)
	go func() { serving <- listener.NewServer(handler, listener.Timeouts{}).Run(runCtx, served) }()
	if s != nil {
		// When this home last heard from Calendly, read before the session
		// catches up: the TUI's while-you-were-away line starts there.
		lastSeen, err := cfg.store.Panes().LastSeen(ctx)
		if err != nil {
			cfg.logger.Error("reading when calwatch last ran", "err", err)
		}
		go func() { ran <- s.Run(runCtx) }()
		kind := tunnel.KindLocal
		if cfg.tun != nil {
			kind = cfg.tun.Kind()
		}
		reach := func(ev session.Event) { publishReach(pub, ev, cfg.path, kind) }
		go relaySession(s, hub, cfg.logger, lastSeen, reach)
	} else {
		close(ran)
	}
	cfg.logger.Info("listening", "url", cfg.conn.WebhookURL, "db", cfg.store.Path())
	return &liveBackend{hub: hub, localURL: listener.LocalWebhookURL(cfg.ln.Addr(), cfg.path), keys: keys, stop: func() {
		cancel()
		if err := <-ran; err != nil {
			cfg.logger.Error("session", "err", err)
		}
		if err := <-serving; err != nil {
			cfg.logger.Error("listener stop", "err", err)
		}
		stopForward() // its last answers are stored before the store closes
		pub.Close()
	}}, nil
}

// forwardToTUI is the live listener's OnRecord: every stored delivery is
// told to the TUI and, with --forward-to, queued for the app, whose answer
// (stored first) reaches the TUI as a Forwarded event. stop ends
// forwarding, sending what is queued for a few seconds more.
func forwardToTUI(cfg liveConfig, hub *tui.Hub, reportError func(error)) (onRecord func(storage.DeliveryRecord), stop func(), err error) {
	tell := func(rec storage.DeliveryRecord) { hub.Publish(tui.DeliveryCommitted{Record: rec}) }
	if cfg.forward == nil {
		return tell, func() {}, nil
	}
	target := cfg.forward.target.String()
	fw, err := newForwarder(cfg.forward, cfg.store, forwardHooks{
		onResult: func(rec storage.DeliveryRecord, ans forward.Answer) {
			hub.Publish(tui.Forwarded{Result: ans.Result(rec.ID)})
		},
		onDrop: func(rec storage.DeliveryRecord, dropped int64) {
			hub.Publish(tui.BackendError{Err: errors.New(notForwarded(rec, dropped, target))})
		},
		onError: reportError,
	})
	if err != nil {
		return nil, nil, err
	}
	cfg.logger.Info("forwarding", "to", target)
	onRecord = func(rec storage.DeliveryRecord) {
		tell(rec)
		fw.Enqueue(rec)
	}
	return onRecord, sync.OnceFunc(func() {
		ctx, cancel := context.WithTimeout(context.Background(), forwardCloseWait)
		defer cancel()
		fw.Close(ctx)
		if n := fw.Dropped(); n > 0 {
			cfg.logger.Warn("not forwarded", "deliveries", n, "to", target)
		}
	}), nil
}

// relaySession tells the TUI, and reach (the state file), what the
// session does. lastSeen is when the store last heard from Calendly before
// this run.
func relaySession(s *session.Session, hub *tui.Hub, logger *slog.Logger, lastSeen time.Time, reach func(session.Event)) {
	caughtUp := false
	for ev := range s.Events() {
		logger.Info("session", "event", ev.String())
		reach(ev)
		switch ev := ev.(type) {
		case session.Tunnel:
			hub.Publish(tunnelState(ev.Event))
		case session.Subscribed:
			hub.Publish(tui.TunnelState{State: "online", URL: ev.CallbackURL})
			hub.Publish(tui.Subscription{State: "active", URI: ev.URI, Events: ev.Events, Scope: ev.Scope})
		case session.Polling:
			hub.Publish(tui.TunnelState{State: "polling", Err: errString(ev.Why)})
			hub.Publish(tui.Subscription{State: "polling"})
		case session.Sync:
			if p, ok := ev.Event.(backfill.Progress); ok && p.ListingDone {
				hub.Publish(tui.BackfillProgress{Done: p.Done, Total: p.Queued})
			}
			hub.Publish(tui.StoreChanged{})
			if f, ok := ev.Event.(backfill.Finished); ok && f.Err == nil && f.Kind != backfill.KindPoll && !caughtUp {
				caughtUp = true
				hub.Publish(tui.CaughtUp{Since: lastSeen})
			}
		case session.Degraded:
			hub.Publish(tui.BackendError{Err: ev.Err})
		}
	}
}

func tunnelState(ev tunnel.Event) tui.TunnelState {
	switch ev := ev.(type) {
	case tunnel.Online:
		return tui.TunnelState{State: "online", URL: ev.URL}
	case tunnel.Offline:
		return tui.TunnelState{State: "reconnecting", Err: errString(ev.Err)}
	case tunnel.Stuck:
		return tui.TunnelState{State: "offline", Err: errString(ev.Err)}
	}
	return tui.TunnelState{State: "offline"}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// lockHome takes the home's one-listener lock for a TUI that listens.
func (a *app) lockHome() (*home.ListenerLock, error) {
	lock, err := a.paths().LockListener()
	if errors.As(err, new(*home.ListenerRunningError)) {
		return nil, fmt.Errorf("%w; watch it with 'calwatch --offline', or stop it first", err)
	}
	return lock, err
}

// accountLine is who is logged in, for the TUI's status details: "Avery
// Emulator <avery@acme.example>".
func accountLine(a account.Account) string {
	line := a.Name
	if a.Email != "" {
		line = strings.TrimSpace(line + " <" + a.Email + ">")
	}
	return line
}
