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
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/gen2brain/beeep"
	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tunnel/home"
	"github.com/calwatch/calwatch/tunnel/listener"
)

// tuiOptions are the flags of calwatch with no subcommand: the TUI.
type tuiOptions struct {
	demo       bool
	seed       int64
	offline    bool
	noTunnel   bool
	signingKey string
	addr       string
	tz         string
	bell       bool
	notify     bool
}

// offlinePoll is how often --offline checks whether another calwatch
// committed to the database.
const offlinePoll = 300 * time.Millisecond

// addTUI makes the root command run the TUI.
func addTUI(root *cobra.Command, a *app) {
	opts := &tuiOptions{}
	root.RunE = func(cmd *cobra.Command, _ []string) error {
		return tuiRun(cmd.Context(), a, opts)
	}
	f := root.Flags()
	f.BoolVar(&opts.demo, "demo", false, "the whole TUI against a built-in Calendly emulator: no account, no network")
	f.Int64Var(&opts.seed, "seed", 1, "with --demo: the emulator's seed (the same seed gives the same people)")
	f.BoolVar(&opts.offline, "offline", false, "show the stored bookings and deliveries without connecting")
	f.BoolVar(&opts.noTunnel, "no-tunnel", false, "run calwatch's own listener locally, no account, and watch deliveries arrive")
	f.StringVar(&opts.signingKey, "signing-key", "", "with --no-tunnel: the webhook signing `KEY` (or env "+signingKeyEnv+")")
	f.StringVar(&opts.addr, "addr", defaultListenAddr, "with --no-tunnel: listen on `HOST:PORT`")
	f.StringVar(&opts.tz, "tz", "", "show times in this IANA `ZONE` (default: the local zone)")
	f.BoolVar(&opts.bell, "bell", false, "ring the terminal's bell when a booking arrives")
	f.BoolVar(&opts.notify, "notify", false, "a desktop notification when a booking arrives while the terminal is not focused")
}

// checkTUIOptions refuses flag combinations that cannot work.
func checkTUIOptions(opts *tuiOptions) (loc *time.Location, key []byte, err error) {
	loc = time.Local
	if opts.tz != "" {
		if loc, err = time.LoadLocation(opts.tz); err != nil {
			return nil, nil, usageErrorf("--tz %q is not a time zone; use an IANA name such as Europe/Berlin", opts.tz)
		}
	}
	switch {
	case opts.demo && (opts.offline || opts.noTunnel):
		return nil, nil, usageErrorf("--demo runs its own emulator; leave out --offline and --no-tunnel")
	case opts.demo:
		return loc, nil, nil
	case opts.offline && opts.noTunnel:
		return nil, nil, usageErrorf("--offline and --no-tunnel exclude each other; pass one")
	case !opts.offline && !opts.noTunnel:
		return nil, nil, usageErrorf("the setup wizard is not here yet: run 'calwatch --offline' (stored data), 'calwatch --no-tunnel --signing-key KEY' (a local listener) or 'calwatch listen'")
	case opts.noTunnel:
		key = []byte(opts.signingKey)
		if len(key) == 0 {
			key = []byte(os.Getenv(signingKeyEnv))
		}
		if len(key) == 0 {
			return nil, nil, usageErrorf("--no-tunnel needs a signing key: set %s or pass --signing-key KEY", signingKeyEnv)
		}
		if err := listener.CheckAddr(opts.addr); err != nil {
			return nil, nil, usageErrorf("--addr: %v", err)
		}
	}
	return loc, key, nil
}

func tuiRun(ctx context.Context, a *app, opts *tuiOptions) error {
	loc, key, err := checkTUIOptions(opts)
	if err != nil {
		return err
	}
	if !isTerminal(a.in) || !isTerminal(a.out) {
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

	var backend *tui.Hub
	var target func() (*url.URL, []byte, error)
	var actor *demoActor
	if opts.demo {
		d, err := a.startDemo(ctx, opts.seed, logger)
		if err != nil {
			return err
		}
		defer d.close()
		backend = d.hub
		target = fixedTarget(d.webhookURL, d.appKey)
		actor = newDemoActor(d.emu, d.hub.Reader(), opts.seed)
	} else if opts.offline {
		panes, err := storage.OpenPanes(ctx, a.dbPath())
		if err != nil {
			return err
		}
		defer panes.Close()
		backend = tui.NewHub(panes, tui.Connection{Mode: tui.ModeOffline, Database: a.dbPath()})
		go backend.PollDataVersion(ctx, panes, offlinePoll)
		key := []byte(opts.signingKey)
		if len(key) == 0 {
			key = []byte(os.Getenv(signingKeyEnv))
		}
		target = a.runningListenerTarget(key)
	} else {
		stop, hub, err := a.startLocalListener(ctx, opts, key, logger)
		if err != nil {
			return err
		}
		defer stop()
		backend = hub
		target = fixedTarget(hub.Connection().WebhookURL, key)
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

// startLocalListener runs calwatch's verified listener in this process
// and returns a backend told of every delivery it stores. stop ends the
// listener (finishing deliveries in flight) and closes the database.
func (a *app) startLocalListener(ctx context.Context, opts *tuiOptions, key []byte, logger *slog.Logger) (stop func(), hub *tui.Hub, err error) {
	ensureTwoProcs()
	lock, err := a.paths().LockListener()
	if errors.As(err, new(*home.ListenerRunningError)) {
		return nil, nil, fmt.Errorf("%w; watch it with 'calwatch --offline', or stop it first", err)
	}
	if err != nil {
		return nil, nil, err
	}
	store, err := a.openStore(ctx)
	if err != nil {
		lock.Release()
		return nil, nil, fmt.Errorf("cannot open the database %s: %w", a.dbPath(), err)
	}
	fail := func(err error) (func(), *tui.Hub, error) {
		store.Close()
		lock.Release()
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return fail(fmt.Errorf("cannot listen on %s (%v); pick another --addr", opts.addr, err))
	}
	webhookURL := listener.LocalWebhookURL(ln.Addr(), listener.DefaultPath)
	hub = tui.NewHub(store.Panes(), tui.Connection{Mode: tui.ModeLocal, WebhookURL: webhookURL, Database: a.dbPath(), KeySet: true})
	handler, err := listener.NewHandler(listener.Config{
		SigningKey: key,
		Store:      store,
		RateLimit:  defaultRateLimit,
		OnRecord:   func(rec storage.DeliveryRecord) { hub.Publish(tui.DeliveryCommitted{Record: rec}) },
		OnError: func(err error) {
			logger.Error("listener", "err", err)
			hub.Publish(tui.BackendError{Err: err})
		},
	})
	if err != nil {
		ln.Close()
		return fail(err)
	}
	state := home.ListenerState{PID: os.Getpid(), Addr: ln.Addr().String(), WebhookURL: webhookURL, Database: a.dbPath(), StartedAt: time.Now().UTC()}
	if err := lock.Publish(state); err != nil {
		ln.Close()
		return fail(err)
	}
	serveCtx, stopServe := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- listener.NewServer(handler, listener.Timeouts{}).Run(serveCtx, ln) }()
	logger.Info("listening", "url", webhookURL, "db", a.dbPath())
	return func() {
		stopServe()
		if err := <-served; err != nil {
			logger.Error("listener stop", "err", err)
		}
		if err := store.Close(); err != nil {
			logger.Error("closing the database", "err", err)
		}
		lock.Release()
	}, hub, nil
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
