package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/home"
	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/session"
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
	forward    forwardOptions
	session    sessionOptions

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

Logged in (calwatch login, or CALENDLY_TOKEN), listen subscribes the public
webhook URL with Calendly itself, backfills the last 30 days (--since), catches
up on what changed while it was not running and after every reconnect, and
deletes its subscription when it stops (--keep-subscription keeps it). With
--no-tunnel, or on a plan without webhooks, it reads Calendly's API every
--poll-interval instead. An OAuth app's deliveries are signed with the app's
key: set CALENDLY_WEBHOOK_SIGNING_KEY. Without a login, subscribe the printed
URL yourself with the signing key you pass.

--ngrok-verify also has ngrok check every request's signature at its edge,
so forged ones never reach this machine (ngrok's free plan counts these
checks); calwatch verifies every delivery all the same.

--signing-key is the key a subscription you made was created with. Prefer
the environment variable CALWATCH_SIGNING_KEY to --signing-key: it stays out of
shell history and the process list.

Signed deliveries past --rate-limit per second (default 50, with bursts of as
many) are answered 429 and Calendly retries them later. Refused requests have
their own limit at the same rate; past it they are answered 429 and not logged,
so junk cannot crowd out real deliveries. Every request, before its body is
read and whatever its path, also counts against four times that limit (one
bucket for all senders: behind a tunnel they share one address). 0 turns all
three limits off. Only Content-Type: application/json is read (else 415).

--forward-to URL sends each delivery that verified and was applied on to your
app once it is stored and answered: the same bytes, signed afresh (a new t)
with --forward-signing-key or $CALWATCH_FORWARD_SIGNING_KEY (default: the
signing key). A slow or failing app never holds up Calendly's answer; what the
app answered shows in 'calwatch deliveries list'.

While it runs, 'calwatch status' shows the webhook URL. Stop with Ctrl-C: the
deliveries in flight are finished and the database is closed.`,
		Example: `  CALWATCH_SIGNING_KEY=... NGROK_AUTHTOKEN=... calwatch listen --ngrok-domain calwatch-me.ngrok.app
  CALWATCH_SIGNING_KEY=... calwatch listen --no-tunnel --addr 127.0.0.1:8787
  calwatch listen --public-url https://hooks.example.com --random-path --json
  calwatch listen --no-tunnel --forward-to http://127.0.0.1:3000/webhooks/calendly`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return listenRun(cmd.Context(), a, opts, cmd.Flags().Changed("path"))
		},
	}
	addConnectionFlags(cmd.Flags(), opts)
	cmd.Flags().BoolVar(&opts.json, "json", false, "print one JSON object per delivery on stdout")
	return cmd
}

// addConnectionFlags are how calwatch is reached and subscribes: listen's,
// and the TUI's with the same meaning.
func addConnectionFlags(f *pflag.FlagSet, opts *listenOptions) {
	f.StringVar(&opts.addr, "addr", defaultListenAddr, "listen on `HOST:PORT` (port 0 picks a free one)")
	f.BoolVar(&opts.noTunnel, "no-tunnel", false, "serve locally only, with no tunnel")
	f.StringVar(&opts.publicURL, "public-url", "", "the public origin `URL` of a tunnel you run to --addr")
	f.StringVar(&opts.ngrokDomain, "ngrok-domain", "", "serve the ngrok tunnel on your static `DOMAIN` (needs "+ngrokTokenEnv+")")
	f.BoolVar(&opts.ngrokVerify, "ngrok-verify", false, "have ngrok refuse requests not signed with the signing key")
	f.StringVar(&opts.path, "path", listener.DefaultPath, "accept deliveries on this URL `PATH` only")
	f.BoolVar(&opts.randomPath, "random-path", false, "use a new secret random path under "+listener.DefaultPath+" at every start")
	f.StringVar(&opts.signingKey, "signing-key", "", "webhook signing `KEY` (or env "+signingKeyEnv+")")
	f.Float64Var(&opts.rateLimit, "rate-limit", defaultRateLimit, "answer 429 past `N` requests per second (0: no limit)")
	addForwardFlags(f, &opts.forward)
	addSessionFlags(f, &opts.session)
}

// checkListenOptions resolves the key and the path and refuses what cannot
// work, as usage errors.
func checkListenOptions(opts *listenOptions, pathChanged bool) (key []byte, path string, err error) {
	key = []byte(opts.signingKey)
	if len(key) == 0 {
		key = []byte(os.Getenv(signingKeyEnv))
	}
	if len(key) == 0 && opts.ngrokVerify {
		return nil, "", usageErrorf("--ngrok-verify needs the signing key up front: pass --signing-key KEY (or set %s)", signingKeyEnv)
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
	a.useKeptNgrokToken(ctx)
	key, path, err := checkListenOptions(opts, pathChanged)
	if err != nil {
		return err
	}
	if len(key) > 0 {
		warnIfShortKey(a, key)
	}
	forwarding, err := checkForwardOptions(opts.forward, key)
	if err != nil {
		return err
	}
	ensureTwoProcs()
	// A reader that goes away (listen --json | head -c1) must not kill the
	// listener with SIGPIPE: writes fail with EPIPE instead, and the
	// printer stops printing and says so.
	signal.Ignore(syscall.SIGPIPE)
	lock, err := a.paths().LockListener()
	if errors.As(err, new(*home.ListenerRunningError)) {
		return fmt.Errorf("%w; stop it first, or use another --home", err)
	}
	if err != nil {
		return err
	}
	defer lock.Release()

	if len(key) == 0 && os.Getenv(envToken) == "" && a.errIfNoDatabase() != nil {
		return errNoKeyNoLogin // nothing stored can hold a login: no database to create for it
	}
	store, err := a.openStore(ctx, storage.ForIngest()) // taking deliveries is this process's work
	if err != nil {
		return fmt.Errorf("cannot open the database %s: %w", a.dbPath(), err)
	}
	closeStore := sync.OnceValue(store.Close)
	defer closeStore()
	acct, err := a.listenAccount(ctx, store, key)
	if err != nil {
		return err
	}
	defer acct.close()

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
	onRecord, stopForward, err := forwardAfterRecord(forwarding, store, printer)
	if err != nil {
		return err
	}
	defer stopForward()
	keys := listener.NewKeys()
	handler, err := listener.NewHandler(listener.Config{
		SigningKey: key,
		Keys:       keys,
		Store:      store,
		Path:       path,
		RateLimit:  opts.rateLimit,
		OnRecord:   onRecord,
		OnError:    printer.storageError,
	})
	if err != nil {
		return err
	}

	state := home.ListenerState{PID: os.Getpid(), Addr: ln.Addr().String(), WebhookURL: webhookURL, Database: a.dbPath(), StartedAt: time.Now().UTC(),
		Tunnel: startingReach(tun, webhookURL)}
	pub, err := lock.Publisher(state, 0, printer.storageError)
	if err != nil {
		return err
	}
	defer pub.Close()

	fmt.Fprintf(a.errOut, "Listening for Calendly webhooks at %s\n", webhookURL)
	switch tun.Kind() {
	case tunnel.KindFixed:
		fmt.Fprintf(a.errOut, "(your tunnel must forward %s to %s)\n", opts.publicURL, ln.Addr())
	case tunnel.KindNgrok:
		fmt.Fprintf(a.errOut, "(through ngrok; locally, e.g. for calwatch trigger: %s)\n", listener.LocalWebhookURL(ln.Addr(), path))
	}
	announceForwarding(a, forwarding)
	fmt.Fprintf(a.errOut, "Storing deliveries in %s. Press Ctrl-C to stop.\n", a.dbPath())

	reach := func(ev session.Event) { publishReach(pub, ev, path, tun.Kind()) }
	reported := make(chan struct{})
	stopSession := func() {}
	if acct.conn == nil {
		go func() {
			defer close(reported)
			a.reportTunnel(tun, printer, path, reach)
		}()
	} else {
		// The session reads the tunnel's events and reports them with its own.
		close(reported)
		if stopSession, err = a.startListenSession(ctx, acct, store, tun, keys, path, opts, printer, reach); err != nil {
			return err
		}
	}
	runErr := listener.NewServer(handler, listener.Timeouts{}).Run(ctx, served)
	stopSession() // deletes the subscription (unless kept) while the tunnel still stands
	tun.Close()
	<-reported
	if runErr != nil {
		return runErr
	}
	stopForward() // its last answers are stored before the store closes
	if err := closeStore(); err != nil {
		return fmt.Errorf("closing the database %s: %w", a.dbPath(), err)
	}
	// Through the printer, after the delivery lines and bounded like them.
	printer.enqueue(printLine{text: []byte("Stopped; every delivery answered 200 is in the database.\n")})
	printer.close(printFlushWait)
	return nil
}

// minSigningKeyBytes is the shortest signing key calwatch uses without a
// warning: a shorter one can be guessed offline from one signed delivery.
const minSigningKeyBytes = 16

// warnIfShortKey says, in one line naming nothing of the key, that a
// signing key is too short to keep forgeries out.
func warnIfShortKey(a *app, key []byte) {
	if len(key) < minSigningKeyBytes {
		a.hint("Warning: the signing key is shorter than %d bytes, so a forger could guess it; use the subscription's key or a random one of 32 bytes or more", minSigningKeyBytes)
	}
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
