package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/account"
	"github.com/calwatch/calwatch/tunnel/backfill"
	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/session"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

// appSigningKeyEnv is the OAuth app's webhook signing key: Calendly signs
// an OAuth app's subscriptions with it.
const appSigningKeyEnv = "CALENDLY_WEBHOOK_SIGNING_KEY"

// sessionOptions are listen's flags for a logged-in run.
type sessionOptions struct {
	keepSubscription bool
	since            string
	events           string
	scope            string
	pollInterval     time.Duration
}

func addSessionFlags(f *pflag.FlagSet, opts *sessionOptions) {
	f.BoolVar(&opts.keepSubscription, "keep-subscription", false, "leave the webhook subscription at Calendly when listen stops")
	f.StringVar(&opts.since, "since", "", "backfill events that start from `DATE` on (default: 30 days ago)")
	f.StringVar(&opts.events, "events", "", "subscribe to these comma-separated `EVENTS` (default: invitee.created, .canceled, invitee_no_show.created, .deleted)")
	f.StringVar(&opts.scope, "scope", calendly.ScopeUser, "subscription `SCOPE`: user, or organization (admins)")
	f.DurationVar(&opts.pollInterval, "poll-interval", backfill.DefaultPollInterval, "without a webhook (--no-tunnel, or a plan without webhooks), read Calendly every `DURATION`")
}

// errNoKeyNoLogin: listen has nothing to verify deliveries with.
var errNoKeyNoLogin = usageErrorf("no signing key and no Calendly login: set %s (or pass --signing-key KEY) to verify deliveries yourself, or run calwatch login so listen subscribes for you", signingKeyEnv)

// listenAccount is the Calendly account listen works for: the stored login
// or CALENDLY_TOKEN. Without one, listen only verifies what is signed with
// the given key.
type listenAccountConn struct {
	conn *account.Connection // nil: no account
	home *account.Home
}

func (c *listenAccountConn) close() {
	if c != nil && c.conn != nil {
		_ = c.conn.Close(context.Background()) // a refresh under way is saved first
	}
}

func (a *app) listenAccount(ctx context.Context, store *storage.Store, key []byte) (*listenAccountConn, error) {
	conn, home, err := a.connectAccount(ctx, store, account.Hosts{})
	switch {
	case errors.Is(err, account.ErrNotLoggedIn) && len(key) > 0:
		return &listenAccountConn{}, nil
	case errors.Is(err, account.ErrNotLoggedIn):
		return nil, errNoKeyNoLogin
	case err != nil && len(key) > 0:
		// The local listener is still useful: say why the account is out.
		a.hint("Not subscribing with Calendly: %v", err)
		return &listenAccountConn{}, nil
	case err != nil:
		return nil, err
	}
	return &listenAccountConn{conn: conn, home: home}, nil
}

// startListenSession subscribes the tunnel's URL, catches up and follows
// the tunnel, telling keys the subscription's signing key; what it does is
// printed through printer, and told to reach (for the state file). stop ends it and waits (the subscription is
// deleted unless --keep-subscription).
func (a *app) startListenSession(ctx context.Context, acct *listenAccountConn, store *storage.Store, tun tunnel.Tunnel,
	keys *listener.Keys, path string, opts *listenOptions, printer *deliveryPrinter, reach func(session.Event)) (stop func(), err error) {
	cfg, err := a.sessionConfig(ctx, acct, store, tun, &opts.session)
	if err != nil {
		return nil, err
	}
	cfg.Path = path
	cfg.UseSigningKey = func(key []byte) { keys.Set(key) }
	cfg.ExpectSigningKey = keys.Add
	s, err := session.New(cfg)
	if err != nil {
		return nil, err
	}
	say := func(line string) {
		printer.enqueue(printLine{text: []byte(safetext.Line(line) + "\n")})
	}
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		var lastProgress time.Time
		for ev := range s.Events() {
			reach(ev)
			switch ev := ev.(type) {
			case session.Sync:
				// A backfill reports every event it reads: a line a
				// second is enough to see it move; Finished says the rest.
				if _, ok := ev.Event.(backfill.Progress); ok {
					if time.Since(lastProgress) < time.Second {
						continue
					}
					lastProgress = time.Now()
				}
			}
			say(ev.String())
		}
	}()
	runCtx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- s.Run(runCtx) }()
	return func() {
		cancel()
		if err := <-ran; err != nil {
			say("The Calendly session stopped: " + err.Error())
		}
		<-reported
	}, nil
}

// sessionConfig is the session of a logged-in listen or TUI, but for its
// webhook path and how the listener learns the subscription's key.
func (a *app) sessionConfig(ctx context.Context, acct *listenAccountConn, store *storage.Store, tun tunnel.Tunnel,
	opts *sessionOptions) (session.Config, error) {
	conn := acct.conn
	events, err := subscription.ParseEvents(opts.events)
	if err != nil {
		return session.Config{}, usageErrorf("--events: %v", err)
	}
	if opts.scope != calendly.ScopeUser && opts.scope != calendly.ScopeOrganization {
		return session.Config{}, usageErrorf("--scope must be %s or %s, not %q", calendly.ScopeUser, calendly.ScopeOrganization, opts.scope)
	}
	if opts.pollInterval < 10*time.Second {
		return session.Config{}, usageErrorf("--poll-interval %s is too short for Calendly's rate limit; use 10s or more", opts.pollInterval)
	}
	var since time.Time
	if opts.since != "" {
		if since, _, err = parseDate(opts.since, time.Local); err != nil {
			return session.Config{}, usageErrorf("--since: %v", err)
		}
	}
	sub := subscription.Account{User: conn.Account.UserURI, Organization: conn.Account.OrganizationURI, AuthKind: subscriptionAuthKind(conn.Account.AuthKind)}
	if sub.AuthKind == subscription.AuthOAuth {
		key, err := appSigningKey(ctx, acct.home.Keys) // the environment, else the setup wizard's
		if err != nil {
			return session.Config{}, err
		}
		sub.AppSigningKey = []byte(key)
		if len(sub.AppSigningKey) == 0 {
			return session.Config{}, usageErrorf("Calendly signs an OAuth app's deliveries with the app's webhook signing key: set %s (from your app's page at Calendly)", appSigningKeyEnv)
		}
	}
	sealer, err := acct.home.Keys.EnsureSealer(ctx)
	if err != nil {
		return session.Config{}, fmt.Errorf("cannot get the key that seals subscription keys: %w", err)
	}
	return session.Config{
		Client: conn.Client, Account: sub, Store: store, Sealer: sealer, Tunnel: tun,
		Events: events, Scope: opts.scope, KeepSubscription: opts.keepSubscription, Since: since,
		PollInterval: opts.pollInterval,
		// Calendly cannot reach a local listener: read its API instead.
		PollOnly: tun.Kind() == tunnel.KindLocal,
	}, nil
}
