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
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/account"
	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/session"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

// demoLiveRate is the demo emulator's pace: changes per minute (one every
// five seconds), so a newcomer sees the live path at once.
const demoLiveRate = 12

// demoFirstChange is how soon after calwatch subscribes the demo's
// emulator makes its first live change, so a newcomer sees a delivery
// arrive almost at once rather than after the first of the pace's gaps.
const demoFirstChange = time.Second

// demoHistory is how many changes the demo's seeded past holds: a few
// hundred bookings over the last month and the coming two weeks.
const demoHistory = 1000

// demo is calwatch against the built-in Calendly emulator: a seeded
// account logged in through the emulator's OAuth with the real login code,
// calwatch's own listener subscribed through the real session, and the
// emulator booking, canceling and moving meetings as it runs.
type demo struct {
	emu   *calendlytest.Server
	store *storage.Store
	live  *liveBackend
	hub   *tui.Hub
	// say tells the user what stopping waits for (the TUI is gone by
	// then).
	say func(format string, args ...any)
}

// startDemo brings the demo up to the point where the TUI can open: the
// session runs in the background and reports to the demo's hub.
func (a *app) startDemo(ctx context.Context, seed int64, logger *slog.Logger) (*demo, error) {
	return a.startDemoForwarding(ctx, seed, logger, nil)
}

// startDemoForwarding is startDemo with --forward-to: what the demo's
// listener stores also goes on to the app (fwd nil: nowhere).
func (a *app) startDemoForwarding(ctx context.Context, seed int64, logger *slog.Logger, fwd *forwardPlan) (*demo, error) {
	redirect, err := freeLoopbackURL("/callback")
	if err != nil {
		return nil, err
	}
	appKey, clientSecret := randomHex(32), randomHex(24)
	const clientID = "calwatch-demo"
	emu, err := a.listenDemoEmulator(calendlytest.Options{
		ClientID: clientID, ClientSecret: clientSecret, SigningKey: appKey,
		AutoApprove: true, RedirectURIs: []string{redirect},
		Seed: seed, Live: demoLiveRate, LiveFirst: demoFirstChange, History: demoHistory,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot start the demo's Calendly emulator: %w", err)
	}
	d := &demo{emu: emu, say: a.hint}
	ok := false
	defer func() {
		if !ok {
			d.close()
		}
	}()
	if d.store, err = a.openStore(ctx); err != nil {
		return nil, fmt.Errorf("cannot open the database %s: %w", a.dbPath(), err)
	}
	d.store.SetLogger(logger) // the terminal belongs to the TUI
	conn, sealer, err := a.demoLogin(ctx, d.store, emu, clientID, clientSecret, redirect)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot open the demo's listener: %w", err)
	}
	d.live, err = startLive(ctx, liveConfig{
		store: d.store, ln: ln, tun: tunnel.Local(ln.Addr()), path: listener.DefaultPath,
		// An OAuth app's subscriptions are signed with the app's key.
		key: []byte(appKey),
		session: &session.Config{
			Client: conn.Client, Store: d.store, Sealer: sealer,
			Account: subscription.Account{
				User: conn.Account.UserURI, Organization: conn.Account.OrganizationURI,
				AuthKind: subscription.AuthOAuth, AppSigningKey: []byte(appKey),
			},
		},
		conn: tui.Connection{Mode: tui.ModeLive, Demo: true, WebhookURL: listener.LocalWebhookURL(ln.Addr(), listener.DefaultPath), Database: a.dbPath(), KeySet: true,
			Account: accountLine(conn.Account)},
		logger:  logger,
		forward: fwd,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	d.hub = d.live.hub
	ok = true
	return d, nil
}

// demoAddrFile keeps the demo emulator's address in a home given with
// --home: the emulator's URIs start with its origin, so the same seed gives
// the same URIs only on the same port, and a kept demo home does not fill
// with strangers.
const demoAddrFile = "demo-emulator.addr"

// listenDemoEmulator starts the demo's emulator: on the address the last
// demo of this home used when it is free, else on any free port.
func (a *app) listenDemoEmulator(opts calendlytest.Options) (*calendlytest.Server, error) {
	if a.home == "" {
		return calendlytest.Listen("127.0.0.1:0", opts)
	}
	paths := a.paths()
	file := filepath.Join(paths.Dirs().State, demoAddrFile)
	if b, err := os.ReadFile(file); err == nil {
		if addr := strings.TrimSpace(string(b)); listener.CheckAddr(addr) == nil {
			if emu, err := calendlytest.Listen(addr, opts); err == nil {
				return emu, nil
			}
		}
	}
	emu, err := calendlytest.Listen("127.0.0.1:0", opts)
	if err != nil {
		return nil, err
	}
	if err := paths.EnsureDir(paths.Dirs().State); err == nil {
		_ = os.WriteFile(file, []byte(strings.TrimPrefix(emu.URL, "http://")+"\n"), 0o600)
	}
	return emu, nil
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
	if d.live != nil {
		if d.say != nil {
			d.say("Stopping the demo: deleting its webhook subscription…")
		}
		d.live.stop()
		d.live = nil
	}
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
