package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/account"
	"github.com/calwatch/calwatch/tunnel/backfill"
	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/session"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

// demoLiveRate is the demo emulator's pace: changes per minute (one every
// five seconds), so a newcomer sees the live path at once.
const demoLiveRate = 12

// demoHistory is how many changes the demo's seeded past holds: a few
// hundred bookings over the last month and the coming two weeks.
const demoHistory = 1000

// demo is calwatch against the built-in Calendly emulator: a seeded
// account logged in through the emulator's OAuth with the real login code,
// calwatch's own listener subscribed through the real session, and the
// emulator booking, canceling and moving meetings as it runs.
type demo struct {
	emu     *calendlytest.Server
	store   *storage.Store
	hub     *tui.Hub
	session *session.Session
	stop    func()
	// webhookURL and appKey are where the demo's listener accepts
	// deliveries and the key it checks them with (the TUI's replays).
	webhookURL string
	appKey     []byte
}

// startDemo brings the demo up to the point where the TUI can open: the
// session runs in the background and reports to the returned hub.
func (a *app) startDemo(ctx context.Context, seed int64, logger *slog.Logger) (*demo, error) {
	ensureTwoProcs()
	redirect, err := freeLoopbackURL("/callback")
	if err != nil {
		return nil, err
	}
	appKey, clientSecret := randomHex(32), randomHex(24)
	const clientID = "calwatch-demo"
	emu, err := calendlytest.Listen("127.0.0.1:0", calendlytest.Options{
		ClientID: clientID, ClientSecret: clientSecret, SigningKey: appKey,
		AutoApprove: true, RedirectURIs: []string{redirect},
		Seed: seed, Live: demoLiveRate, History: demoHistory,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot start the demo's Calendly emulator: %w", err)
	}
	d := &demo{emu: emu, appKey: []byte(appKey)}
	ok := false
	defer func() {
		if !ok {
			d.close()
		}
	}()
	if d.store, err = a.openStore(ctx); err != nil {
		return nil, fmt.Errorf("cannot open the database %s: %w", a.dbPath(), err)
	}
	conn, sealer, err := a.demoLogin(ctx, d.store, emu, clientID, clientSecret, redirect)
	if err != nil {
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot open the demo's listener: %w", err)
	}
	webhookURL := listener.LocalWebhookURL(ln.Addr(), listener.DefaultPath)
	d.webhookURL = webhookURL
	d.hub = tui.NewHub(d.store.Panes(), tui.Connection{Mode: tui.ModeLive, Demo: true, WebhookURL: webhookURL, Database: a.dbPath(), KeySet: true})
	// An OAuth app's subscriptions are signed with the app's key, so the
	// listener knows it before the session subscribes.
	handler, err := listener.NewHandler(listener.Config{
		SigningKey: []byte(appKey),
		Store:      d.store,
		RateLimit:  defaultRateLimit,
		OnRecord:   func(rec storage.DeliveryRecord) { d.hub.Publish(tui.DeliveryCommitted{Record: rec}) },
		OnError: func(err error) {
			logger.Error("listener", "err", err)
			d.hub.Publish(tui.BackendError{Err: err})
		},
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	d.session, err = session.New(session.Config{
		Client: conn.Client,
		Account: subscription.Account{
			User: conn.Account.UserURI, Organization: conn.Account.OrganizationURI,
			AuthKind: subscription.AuthOAuth, AppSigningKey: []byte(appKey),
		},
		Store: d.store, Sealer: sealer, Tunnel: tunnel.Local(ln.Addr()), Path: listener.DefaultPath,
		UseSigningKey: func(key []byte) {
			if string(key) != appKey {
				logger.Error("the demo's subscription is signed with another key than the app's")
			}
		},
	})
	if err != nil {
		ln.Close()
		return nil, err
	}

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	served, ran := make(chan error, 1), make(chan error, 1)
	go func() { served <- listener.NewServer(handler, listener.Timeouts{}).Run(runCtx, ln) }()
	go func() { ran <- d.session.Run(runCtx) }()
	// When this home last heard from Calendly, read before the session
	// catches up: the TUI's while-you-were-away line starts there.
	lastSeen, err := d.store.Panes().LastSeen(ctx)
	if err != nil {
		logger.Error("reading when calwatch last ran", "err", err)
	}
	go relaySession(d.session, d.hub, logger, lastSeen)
	d.stop = func() {
		cancel()
		if err := <-ran; err != nil {
			logger.Error("demo session", "err", err)
		}
		if err := <-served; err != nil {
			logger.Error("demo listener", "err", err)
		}
	}
	ok = true
	return d, nil
}

// demoLogin logs in to the emulator through the real OAuth flow (PKCE,
// loopback callback), the browser replaced by an HTTP client that follows
// the emulator's auto-approved redirect. The data key is kept in a file of
// the demo's home, never in the OS keyring.
func (a *app) demoLogin(ctx context.Context, store *storage.Store, emu *calendlytest.Server, clientID, clientSecret, redirect string) (*account.Connection, *storage.Sealer, error) {
	hosts := account.Hosts{APIURL: emu.URL, AuthURL: emu.URL}
	app, err := calendly.NewOAuthApp(clientID, clientSecret, redirect, nil, hostOptions(hosts)...)
	if err != nil {
		return nil, nil, err
	}
	paths := a.paths()
	dirs := paths.Dirs()
	for _, dir := range []string{dirs.Config, dirs.State} {
		if err := paths.EnsureDir(dir); err != nil {
			return nil, nil, err
		}
	}
	keys := &account.KeyStore{Dir: dirs.Config, Mode: "file"}
	home := &account.Home{Store: store, Keys: keys, StateDir: dirs.State}
	flow := account.OAuthFlow{App: app, ShowURL: func(string) {}, OpenBrowser: visit}
	if _, err := home.LoginWithOAuth(ctx, flow, hosts); err != nil {
		return nil, nil, fmt.Errorf("the demo could not log in to its emulator: %w", err)
	}
	conn, err := home.Connect(ctx, account.ConnectOptions{Hosts: hosts})
	if err != nil {
		return nil, nil, err
	}
	sealer, err := keys.Sealer(ctx)
	if err != nil {
		return nil, nil, err
	}
	return conn, sealer, nil
}

// visit is the demo's browser: it follows the sign-in URL, whose
// auto-approved answer redirects to calwatch's own loopback callback.
func visit(url string) error {
	resp, err := http.Get(url) //nolint:noctx // the login's own timeout bounds the wait
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

func (d *demo) close() {
	d.stopSession()
	if d.hub != nil {
		d.hub.Close()
	}
	if d.store != nil {
		_ = d.store.Close()
	}
	d.emu.Close()
}

// stopSession ends the session (deleting its subscription) and the
// listener; the emulator and the store stay until close.
func (d *demo) stopSession() {
	if d.stop != nil {
		d.stop()
		d.stop = nil
	}
}

// relaySession tells the TUI what the session does.
// lastSeen is when the store last heard from Calendly before this run.
func relaySession(s *session.Session, hub *tui.Hub, logger *slog.Logger, lastSeen time.Time) {
	caughtUp := false
	for ev := range s.Events() {
		logger.Info("session", "event", ev.String())
		switch ev := ev.(type) {
		case session.Tunnel:
			hub.Publish(tunnelState(ev.Event))
		case session.Subscribed:
			hub.Publish(tui.TunnelState{State: "online", URL: ev.CallbackURL})
		case session.Polling:
			hub.Publish(tui.TunnelState{State: "polling", Err: ev.Why.Error()})
		case session.Sync:
			if p, ok := ev.Event.(backfill.Progress); ok && p.ListingDone {
				hub.Publish(tui.BackfillProgress{Done: p.Done, Total: p.Queued})
			}
			if f, ok := ev.Event.(backfill.Finished); ok && f.Err == nil && f.Kind != backfill.KindPoll && !caughtUp {
				caughtUp = true
				hub.Publish(tui.StoreChanged{})
				hub.Publish(tui.CaughtUp{Since: lastSeen})
				continue
			}
			hub.Publish(tui.StoreChanged{})
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

// freeLoopbackURL is an http URL on a loopback port free right now.
func freeLoopbackURL(path string) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("no free loopback port for the demo's login: %w", err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String() + path, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
