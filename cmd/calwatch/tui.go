package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tunnel/listener"
)

// tuiOptions are the flags of calwatch with no subcommand: the TUI.
type tuiOptions struct {
	offline    bool
	noTunnel   bool
	signingKey string
	addr       string
	tz         string
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
	f.BoolVar(&opts.offline, "offline", false, "show the stored bookings and deliveries without connecting")
	f.BoolVar(&opts.noTunnel, "no-tunnel", false, "run calwatch's own listener locally, no account, and watch deliveries arrive")
	f.StringVar(&opts.signingKey, "signing-key", "", "with --no-tunnel: the webhook signing `KEY` (or env "+signingKeyEnv+")")
	f.StringVar(&opts.addr, "addr", defaultListenAddr, "with --no-tunnel: listen on `HOST:PORT`")
	f.StringVar(&opts.tz, "tz", "", "show times in this IANA `ZONE` (default: the local zone)")
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
	logger, closeLog, err := a.tuiLogger()
	if err != nil {
		return err
	}
	defer closeLog()

	var backend *tui.Hub
	if opts.offline {
		panes, err := storage.OpenPanes(ctx, a.dbPath())
		if err != nil {
			return err
		}
		defer panes.Close()
		backend = tui.NewHub(panes, tui.Connection{Mode: tui.ModeOffline, Database: a.dbPath()})
		go backend.PollDataVersion(ctx, panes, offlinePoll)
	} else {
		stop, hub, err := a.startLocalListener(ctx, opts, key, logger)
		if err != nil {
			return err
		}
		defer stop()
		backend = hub
	}
	defer backend.Close()

	model := tui.New(backend, tui.Options{Location: loc, Logger: logger, Dark: true})
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
	if running, ok, err := a.readListenState(); err != nil {
		return nil, nil, err
	} else if ok {
		return nil, nil, fmt.Errorf("calwatch listen is already running here (pid %d, %s); watch it with 'calwatch --offline', or stop it first", running.PID, running.WebhookURL)
	}
	store, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the database %s: %w", a.dbPath(), err)
	}
	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("cannot listen on %s (%v); pick another --addr", opts.addr, err)
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
		store.Close()
		return nil, nil, err
	}
	pid := os.Getpid()
	state := listenState{PID: pid, Addr: ln.Addr().String(), WebhookURL: webhookURL, Database: a.dbPath(), StartedAt: time.Now().UTC()}
	if err := a.writeListenState(state); err != nil {
		ln.Close()
		store.Close()
		return nil, nil, err
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
		a.removeListenState(pid)
		if err := store.Close(); err != nil {
			logger.Error("closing the database", "err", err)
		}
	}, hub, nil
}

// tuiLogger logs to calwatch-tui.log in the state folder: the terminal
// belongs to the TUI.
func (a *app) tuiLogger() (*slog.Logger, func(), error) {
	dir := a.dirs().state
	if err := ensureDir(dir); err != nil {
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
