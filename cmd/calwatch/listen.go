package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/listener"
)

// signingKeyEnv carries the signing key without putting it in shell
// history or the process list.
const signingKeyEnv = "CALWATCH_SIGNING_KEY"

// defaultListenAddr is where listen serves unless --addr says otherwise.
const defaultListenAddr = "127.0.0.1:8787"

// defaultRateLimit suits one person's Calendly: bookings arrive a few a
// minute, Calendly's retries after an outage come in bursts of dozens. It
// applies separately to refused requests and to signed deliveries, so a
// flood of junk beyond it is answered 429 without being logged and cannot
// take the signed deliveries' share.
const defaultRateLimit = 50

type listenOptions struct {
	addr       string
	noTunnel   bool
	publicURL  string
	path       string
	randomPath bool
	signingKey string
	rateLimit  float64
	json       bool

	ngrokDomain string
	ngrokVerify bool
}

func newListenCmd(a *app) *cobra.Command {
	opts := &listenOptions{}
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Verify and store Calendly webhook deliveries",
		Long: `Serve the Calendly webhook: every POST to the webhook path is checked against
the signing key (Calendly-Webhook-Signature over the raw body), then stored and
applied to the local database before it is answered 200.

The outside reaches the listener one of three ways:
  NGROK_AUTHTOKEN=...  an ngrok tunnel, opened and served by calwatch itself
                       (--ngrok-domain D for your static domain, so the URL
                       survives restarts; ngrok's log goes to ngrok.log in the
                       state folder). The local listener stays on --addr.
  --public-url URL     you run a tunnel or reverse proxy to --addr yourself;
                       URL is its origin and the webhook URL is URL + --path
  --no-tunnel          local only (the emulator, tests, or your own forwarding)
Until calwatch subscribes the webhook URL itself, subscribe the printed URL
with Calendly using the same signing key.

--ngrok-verify also has ngrok check every request's signature at its edge,
so forged ones never reach this machine (ngrok's free plan counts these
checks); calwatch verifies every delivery all the same.

The signing key is the one the webhook subscription was created with. Prefer
the environment variable CALWATCH_SIGNING_KEY to --signing-key: it stays out of
shell history and the process list.

Signed deliveries past --rate-limit per second (default 50, with bursts of as
many) are answered 429 and Calendly retries them later. Refused requests have
their own limit at the same rate; past it they are answered 429 and not logged,
so junk cannot crowd out real deliveries. 0 turns both limits off.

While it runs, 'calwatch status' shows the webhook URL. Stop with Ctrl-C: the
deliveries in flight are finished and the database is closed.`,
		Example: `  CALWATCH_SIGNING_KEY=... NGROK_AUTHTOKEN=... calwatch listen --ngrok-domain calwatch-me.ngrok.app
  CALWATCH_SIGNING_KEY=... calwatch listen --no-tunnel --addr 127.0.0.1:8787
  calwatch listen --public-url https://hooks.example.com --random-path --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listenRun(cmd.Context(), a, opts, cmd.Flags().Changed("path"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.addr, "addr", defaultListenAddr, "listen on `HOST:PORT` (port 0 picks a free one)")
	f.BoolVar(&opts.noTunnel, "no-tunnel", false, "serve locally only, with no tunnel")
	f.StringVar(&opts.publicURL, "public-url", "", "the public origin `URL` of a tunnel you run to --addr")
	f.StringVar(&opts.ngrokDomain, "ngrok-domain", "", "serve the ngrok tunnel on your static `DOMAIN` (needs "+ngrokTokenEnv+")")
	f.BoolVar(&opts.ngrokVerify, "ngrok-verify", false, "have ngrok refuse requests not signed with the signing key")
	f.StringVar(&opts.path, "path", listener.DefaultPath, "accept deliveries on this URL `PATH` only")
	f.BoolVar(&opts.randomPath, "random-path", false, "use a new secret random path under "+listener.DefaultPath+" at every start")
	f.StringVar(&opts.signingKey, "signing-key", "", "webhook signing `KEY` (or env "+signingKeyEnv+")")
	f.Float64Var(&opts.rateLimit, "rate-limit", defaultRateLimit, "answer 429 past `N` requests per second (0: no limit)")
	f.BoolVar(&opts.json, "json", false, "print one JSON object per delivery on stdout")
	return cmd
}

// checkListenOptions resolves the key and the path and refuses what cannot
// work, as usage errors.
func checkListenOptions(opts *listenOptions, pathChanged bool) (key []byte, path string, err error) {
	key = []byte(opts.signingKey)
	if len(key) == 0 {
		key = []byte(os.Getenv(signingKeyEnv))
	}
	if len(key) == 0 {
		return nil, "", usageErrorf("no signing key: set %s or pass --signing-key KEY (the key the webhook subscription was created with)", signingKeyEnv)
	}
	if err := checkTunnelOptions(opts, key); err != nil {
		return nil, "", err
	}
	if err := listener.CheckAddr(opts.addr); err != nil {
		return nil, "", usageErrorf("--addr: %v", err)
	}
	path = opts.path
	if opts.randomPath {
		if pathChanged {
			return nil, "", usageErrorf("--path and --random-path exclude each other; pass one")
		}
		path = listener.RandomPath()
	}
	if err := listener.CheckPath(path); err != nil {
		return nil, "", usageErrorf("--path: %v", err)
	}
	if opts.publicURL != "" {
		if _, err := listener.PublicWebhookURL(opts.publicURL, path); err != nil {
			return nil, "", usageErrorf("--public-url: %v", err)
		}
	}
	if opts.rateLimit < 0 {
		return nil, "", usageErrorf("--rate-limit %v is negative; pass 0 for no limit", opts.rateLimit)
	}
	return key, path, nil
}

func listenRun(ctx context.Context, a *app, opts *listenOptions, pathChanged bool) error {
	key, path, err := checkListenOptions(opts, pathChanged)
	if err != nil {
		return err
	}
	ensureTwoProcs()
	if running, ok, err := a.readListenState(); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("calwatch listen is already running here (pid %d, %s); stop it first, use another --home, or delete %s if no calwatch runs", running.PID, running.WebhookURL, a.listenStatePath())
	}

	store, err := a.openStore(ctx)
	if err != nil {
		return fmt.Errorf("cannot open the database %s: %w", a.dbPath(), err)
	}
	closeStore := sync.OnceValue(store.Close)
	defer closeStore()

	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (%v); pick another --addr", opts.addr, err)
	}
	defer ln.Close()
	tun, err := a.openTunnel(ctx, opts, key, ln)
	if err != nil || tun == nil { // tun is nil when ctx ended first
		return err
	}
	defer tun.Close()
	webhookURL := tun.URL() + path
	if opts.noTunnel {
		webhookURL = listener.LocalWebhookURL(ln.Addr(), path)
	}
	served := ln
	if public := tun.Listener(); public != nil {
		served = tunnel.Merge(ln, public)
	}

	printer := newDeliveryPrinter(a.out, a.errOut, opts.json, printQueueLines)
	defer printer.close(printFlushWait)
	handler, err := listener.NewHandler(listener.Config{
		SigningKey: key,
		Store:      store,
		Path:       path,
		RateLimit:  opts.rateLimit,
		OnRecord:   printer.record,
		OnError:    printer.storageError,
	})
	if err != nil {
		return err
	}

	pid := os.Getpid()
	state := listenState{PID: pid, Addr: ln.Addr().String(), WebhookURL: webhookURL, Database: a.dbPath(), StartedAt: time.Now().UTC()}
	if err := a.writeListenState(state); err != nil {
		return err
	}
	defer a.removeListenState(pid)

	fmt.Fprintf(a.errOut, "Listening for Calendly webhooks at %s\n", webhookURL)
	switch tun.Kind() {
	case tunnel.KindFixed:
		fmt.Fprintf(a.errOut, "(your tunnel must forward %s to %s)\n", opts.publicURL, ln.Addr())
	case tunnel.KindNgrok:
		fmt.Fprintf(a.errOut, "(through ngrok; locally, e.g. for calwatch trigger: %s)\n", listener.LocalWebhookURL(ln.Addr(), path))
	}
	fmt.Fprintf(a.errOut, "Storing deliveries in %s. Press Ctrl-C to stop.\n", a.dbPath())

	reported := make(chan struct{})
	go func() {
		defer close(reported)
		a.reportTunnel(tun, printer, path, func(newURL string) {
			moved := state
			moved.WebhookURL = newURL
			if err := a.writeListenState(moved); err != nil {
				printer.storageError(err)
			}
		})
	}()
	runErr := listener.NewServer(handler, listener.Timeouts{}).Run(ctx, served)
	tun.Close()
	<-reported
	if runErr != nil {
		return runErr
	}
	if err := closeStore(); err != nil {
		return fmt.Errorf("closing the database %s: %w", a.dbPath(), err)
	}
	// Through the printer, after the delivery lines and bounded like them.
	printer.enqueue(printLine{text: []byte("Stopped; every delivery answered 200 is in the database.\n")})
	printer.close(printFlushWait)
	return nil
}

// ensureTwoProcs gives the Go scheduler at least two Ps unless GOMAXPROCS
// is set. Storage commits through one writer goroutine that makes many
// short cgo calls into SQLite; with a single P (one core, or taskset) each
// return from C waits behind every runnable HTTP goroutine, and ingest
// collapses (measured on one core, 64 connections: 700 deliveries/s and
// p99 1 s at GOMAXPROCS=1; 2,100/s and p99 55 ms at 2).
func ensureTwoProcs() {
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
}

// printQueueLines is how many printed lines may wait for a slow reader
// before further ones are dropped (and counted).
const printQueueLines = 4096

// printFlushWait bounds how long listen waits at exit for queued lines to
// be printed, so a stdout nobody reads cannot hang the stop.
const printFlushWait = 2 * time.Second
