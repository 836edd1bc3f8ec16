package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/gen2brain/beeep"
	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tui/wizard"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/account"
	"github.com/calwatch/calwatch/tunnel/listener"
)

// tuiOptions are the flags of calwatch with no subcommand: the TUI.
type tuiOptions struct {
	demo    bool
	seed    int64
	offline bool
	tz      string
	bell    bool
	notify  bool
	// listen are the connection flags, with listen's meaning.
	listen listenOptions
}

// offlinePoll is how often --offline checks whether another calwatch
// committed to the database.
const offlinePoll = 300 * time.Millisecond

// addTUI makes the root command run the TUI.
func addTUI(root *cobra.Command, a *app) {
	opts := &tuiOptions{}
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		return tuiRun(cmd.Context(), a, opts, cmd.Flags().Changed("path"))
	}
	f := root.Flags()
	f.BoolVar(&opts.demo, "demo", false, "the whole TUI against a built-in Calendly emulator: no account, no network")
	f.Int64Var(&opts.seed, "seed", 1, "with --demo: the emulator's seed (the same seed gives the same people)")
	f.BoolVar(&opts.offline, "offline", false, "show the stored bookings and deliveries without connecting")
	f.StringVar(&opts.tz, "tz", "", "show times in this IANA `ZONE` (default: the local zone)")
	f.BoolVar(&opts.bell, "bell", false, "ring the terminal's bell when a booking arrives")
	f.BoolVar(&opts.notify, "notify", false, "a desktop notification when a booking arrives while the terminal is not focused")
	addConnectionFlags(f, &opts.listen)
}

// checkTUIOptions refuses flag combinations that cannot work.
func checkTUIOptions(opts *tuiOptions) (loc *time.Location, err error) {
	loc = time.Local
	if opts.tz != "" {
		if loc, err = time.LoadLocation(opts.tz); err != nil {
			return nil, usageErrorf("--tz %q is not a time zone; use an IANA name such as Europe/Berlin", opts.tz)
		}
	}
	switch {
	case opts.demo && (opts.offline || opts.listen.noTunnel):
		return nil, usageErrorf("--demo runs its own emulator; leave out --offline and --no-tunnel")
	case opts.offline && opts.listen.noTunnel:
		return nil, usageErrorf("--offline and --no-tunnel exclude each other; pass one")
	case opts.offline && (opts.listen.forward.to != "" || opts.listen.forward.signingKey != ""):
		return nil, usageErrorf("--offline does not listen, so it cannot forward; leave out --forward-to, or run calwatch --forward-to URL without --offline")
	}
	return loc, nil
}

func tuiRun(ctx context.Context, a *app, opts *tuiOptions, pathChanged bool) error {
	loc, err := checkTUIOptions(opts)
	if err != nil {
		return err
	}
	var key []byte
	var path string
	var forwarding *forwardPlan
	terminal := isTerminal(a.in) && isTerminal(a.out)
	if !opts.demo && !opts.offline {
		err := a.needLoginOrKey(ctx, &opts.listen)
		if errors.Is(err, errNoKeyNoLoginTUI) && terminal {
			// First run: the setup wizard logs in and chooses the rest.
			res, werr := runWizard(ctx, a)
			if errors.Is(werr, errWizardCanceled) {
				a.hint("%v", werr)
				return nil
			}
			if werr != nil {
				return werr
			}
			applyWizardResult(opts, res)
			err = nil
		}
		if err != nil {
			return err
		}
		if !opts.demo {
			a.useKeptNgrokToken(ctx)
			if key, path, err = checkListenOptions(&opts.listen, pathChanged); err != nil {
				return err
			}
		}
	}
	if !opts.offline {
		// The demo has no key of the user's: it forwards with --forward-signing-key.
		if forwarding, err = checkForwardOptions(opts.listen.forward, key); err != nil {
			return err
		}
	}
	if !terminal {
		return errors.New("the TUI needs a terminal; in scripts use 'calwatch listen' and the list commands")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.demo && a.home == "" && os.Getenv("CALWATCH_HOME") == "" {
		// The demo's data lives in a temporary home unless --home is given
		// (then the same seed gives the same people).
		tmp, err := os.MkdirTemp("", "calwatch-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		a.home = tmp
	}
	logger, closeLog, err := a.tuiLogger()
	if err != nil {
		return err
	}
	defer closeLog()
	if forwarding != nil && forwarding.warning != "" {
		a.hint("%s", forwarding.warning)
		logger.Warn(forwarding.warning)
	}

	var backend *tui.Hub
	var target func() (*url.URL, []byte, error)
	var actor *demoActor
	if opts.demo {
		d, err := a.startDemoForwarding(ctx, opts.seed, logger, forwarding)
		if err != nil {
			return err
		}
		defer d.close()
		backend = d.hub
		target = d.live.replayTarget
		actor = newDemoActor(d.emu, d.hub.Reader(), opts.seed)
	} else if opts.offline {
		panes, err := storage.OpenPanes(ctx, a.dbPath())
		if err != nil {
			return err
		}
		defer panes.Close()
		backend = tui.NewHub(panes, tui.Connection{Mode: tui.ModeOffline, Database: a.dbPath()})
		go backend.PollDataVersion(ctx, panes, offlinePoll)
		key := []byte(opts.listen.signingKey)
		if len(key) == 0 {
			key = []byte(os.Getenv(signingKeyEnv))
		}
		target = a.runningListenerTarget(key)
	} else {
		live, closeLive, err := a.startLiveTUI(ctx, opts, key, path, logger)
		if err != nil {
			return err
		}
		defer closeLive()
		backend = live.hub
		target = live.replayTarget
	}
	defer backend.Close()

	var tb tui.Backend = replayingBackend{backend, &tuiReplayer{reader: backend.Reader(), target: target},
		&tuiExporter{reader: backend.Reader(), now: time.Now}}
	if actor != nil {
		tb = demoBackend{tb.(replayingBackend), actor}
	}
	tuiOpts := tui.Options{Location: loc, Logger: logger, Dark: true, Bell: opts.bell}
	if opts.notify {
		tuiOpts.Notify = desktopNotify
	}
	model := tui.New(tb, tuiOpts)
	p := tea.NewProgram(model, tea.WithContext(ctx), tea.WithInput(a.in), tea.WithOutput(a.out))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("the TUI stopped: %w", err)
	}
	return nil
}

// startLiveTUI runs calwatch's listener in this process for the TUI: with
// an account (the stored login or CALENDLY_TOKEN) through the session, which
// subscribes the tunnel's URL, backfills and follows; without one, locally,
// verifying what is signed with key. closeLive ends it all, deleting the
// subscription unless --keep-subscription, and closes the database.
func (a *app) startLiveTUI(ctx context.Context, opts *tuiOptions, key []byte, path string, logger *slog.Logger) (live *liveBackend, closeLive func(), err error) {
	if len(key) == 0 && os.Getenv(envToken) == "" && a.errIfNoDatabase() != nil {
		return nil, nil, errNoKeyNoLoginTUI
	}
	lock, err := a.lockHome()
	if err != nil {
		return nil, nil, err
	}
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	closers = append(closers, lock.Release)
	store, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the database %s: %w", a.dbPath(), err)
	}
	closers = append(closers, func() { store.Close() })
	store.SetLogger(logger) // the terminal belongs to the TUI
	acct, err := a.listenAccount(ctx, store, key)
	if errors.Is(err, errNoKeyNoLogin) {
		return nil, nil, errNoKeyNoLoginTUI
	}
	if err != nil {
		return nil, nil, err
	}
	closers = append(closers, acct.close)
	if acct.conn == nil && !opts.listen.noTunnel {
		return nil, nil, usageErrorf("without a Calendly login the TUI listens locally only: pass --no-tunnel, or log in with calwatch login")
	}
	ln, err := net.Listen("tcp", opts.listen.addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot listen on %s (%v); pick another --addr", opts.listen.addr, err)
	}
	closers = append(closers, func() { ln.Close() })
	forwarding, err := checkForwardOptions(opts.listen.forward, key)
	if err != nil {
		return nil, nil, err
	}
	cfg := liveConfig{store: store, lock: lock, ln: ln, path: path, key: key, logger: logger, forward: forwarding,
		conn: tui.Connection{Mode: tui.ModeLocal, WebhookURL: listener.LocalWebhookURL(ln.Addr(), path), Database: a.dbPath(), KeySet: len(key) > 0}}
	if acct.conn != nil {
		if cfg.tun, err = a.openTunnel(ctx, &opts.listen, key, ln); err != nil || cfg.tun == nil {
			return nil, nil, err
		}
		closers = append(closers, func() { cfg.tun.Close() })
		sc, err := a.sessionConfig(ctx, acct, store, cfg.tun, &opts.listen.session)
		if err != nil {
			return nil, nil, err
		}
		cfg.session = &sc
		cfg.conn.Mode, cfg.conn.KeySet = tui.ModeLive, true
		cfg.conn.Account = accountLine(acct.conn.Account)
		if u := cfg.tun.URL(); u != "" && cfg.tun.Kind() != tunnel.KindLocal {
			cfg.conn.WebhookURL = u + path
		}
	}
	if live, err = startLive(ctx, cfg); err != nil {
		return nil, nil, err
	}
	closers = append(closers, func() {
		// The TUI is gone by now: say what the wait is for.
		if cfg.session != nil && !opts.listen.session.keepSubscription {
			a.hint("Stopping: deleting calwatch's webhook subscription…")
		}
		live.stop()
	})
	return live, closeAll, nil
}

// applyWizardResult turns the wizard's choices into the connection flags
// they stand for.
func applyWizardResult(opts *tuiOptions, res wizard.Result) {
	if res.Demo {
		opts.demo = true
		return
	}
	switch res.Tunnel {
	case wizard.TunnelURL:
		opts.listen.publicURL = res.PublicURL
	case wizard.TunnelNone:
		opts.listen.noTunnel = true
	}
	if len(res.Events) > 0 {
		opts.listen.session.events = strings.Join(res.Events, ",")
	}
	if res.Scope != "" {
		opts.listen.session.scope = res.Scope
	}
}

// useKeptNgrokToken uses the ngrok authtoken the setup wizard kept, as if
// NGROK_AUTHTOKEN were set, when it is not.
func (a *app) useKeptNgrokToken(ctx context.Context) {
	if os.Getenv(ngrokTokenEnv) != "" {
		return
	}
	d := a.paths().Dirs()
	token, err := sealedNgrokToken.load(ctx, &account.KeyStore{Dir: d.Config, Mode: os.Getenv(envKeyring)})
	if err != nil {
		a.hint("Not using the kept ngrok authtoken: %v", err)
		return
	}
	if token != "" {
		os.Setenv(ngrokTokenEnv, token)
	}
}

// errNoKeyNoLoginTUI: the TUI has nothing to verify deliveries with.
var errNoKeyNoLoginTUI = usageErrorf("not logged in to Calendly: run calwatch login first (or calwatch --demo to try it, calwatch --offline for what is stored, --no-tunnel --signing-key KEY for your own deliveries)")

// needLoginOrKey refuses, before anything is opened, a live TUI with
// neither a signing key nor a Calendly login to verify deliveries with.
func (a *app) needLoginOrKey(ctx context.Context, opts *listenOptions) error {
	if opts.signingKey != "" || os.Getenv(signingKeyEnv) != "" || os.Getenv(envToken) != "" {
		return nil
	}
	if acct, err := a.storedAccount(ctx); err == nil && acct != nil {
		return nil
	}
	return errNoKeyNoLoginTUI
}

// tuiLogger logs to calwatch-tui.log in the logs folder: the terminal
// belongs to the TUI.
func (a *app) tuiLogger() (*slog.Logger, func(), error) {
	paths := a.paths()
	dir := paths.Dirs().Logs
	if err := paths.EnsureDir(dir); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(dir, "calwatch-tui.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the log %s: %w", path, err)
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }, nil
}

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// desktopNotify shows a desktop notification; where the desktop has none
// it returns an error, which the TUI logs and otherwise ignores.
func desktopNotify(title, body string) error {
	beeep.AppName = "calwatch"
	return beeep.Notify(title, body, "")
}
