package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/ngrok"
	"github.com/calwatch/calwatch/tunnel/session"
)

// ngrokTokenEnv is where listen finds the ngrok authtoken.
const ngrokTokenEnv = "NGROK_AUTHTOKEN"

// ngrokLogFile is ngrok's own log, in the state folder: nothing of ngrok
// reaches the terminal.
const ngrokLogFile = "ngrok.log"

// startNgrok opens the ngrok tunnel; tests point it at a closed port or
// put a tunneltest.Fake in its place.
var startNgrok = func(cfg ngrok.Config) (tunnel.Tunnel, error) {
	tun, err := ngrok.Start(cfg)
	if err != nil {
		return nil, err // not a nil *ngrok.Tunnel in a non-nil interface
	}
	return tun, nil
}

// checkTunnelOptions refuses a combination of --no-tunnel, --public-url,
// --ngrok-domain and --ngrok-verify that cannot work, and asks for a
// choice when there is none and no ngrok authtoken either.
func checkTunnelOptions(opts *listenOptions, key []byte) error {
	chosen := 0
	for _, set := range []bool{opts.noTunnel, opts.publicURL != "", opts.ngrokDomain != ""} {
		if set {
			chosen++
		}
	}
	token := os.Getenv(ngrokTokenEnv)
	switch {
	case chosen > 1:
		return usageErrorf("--no-tunnel, --public-url and --ngrok-domain exclude each other; pass one")
	case chosen == 0 && token == "":
		return usageErrorf("choose how Calendly reaches calwatch: set %s for an ngrok tunnel (token at https://dashboard.ngrok.com/get-started/your-authtoken), pass --public-url URL for a tunnel you run yourself, or --no-tunnel to listen locally only", ngrokTokenEnv)
	case opts.ngrokVerify && !usesNgrok(opts):
		return usageErrorf("--ngrok-verify works with an ngrok tunnel only; leave out --no-tunnel and --public-url")
	}
	if !usesNgrok(opts) {
		return nil
	}
	if token == "" {
		return usageError{ngrok.ErrNoToken}
	}
	if opts.ngrokDomain != "" {
		if err := ngrok.CheckDomain(opts.ngrokDomain); err != nil {
			return usageError{err}
		}
	}
	if opts.ngrokVerify {
		if err := ngrok.CheckVerifyKey(key); err != nil {
			return usageError{err}
		}
	}
	return nil
}

func usesNgrok(opts *listenOptions) bool { return !opts.noTunnel && opts.publicURL == "" }

// openTunnel opens the way in that the options choose and waits until it
// is online (at once but for ngrok), has given up (with what is wrong), or
// ctx ends (nil tunnel, nil error). local is the local listener.
func (a *app) openTunnel(ctx context.Context, opts *listenOptions, key []byte, local net.Listener) (tunnel.Tunnel, error) {
	var tun tunnel.Tunnel
	var err error
	paths := a.paths()
	logs := paths.Dirs().Logs
	if err := paths.EnsureDir(logs); err != nil {
		return nil, err
	}
	logPath := filepath.Join(logs, ngrokLogFile)
	switch {
	case opts.noTunnel:
		tun = tunnel.Local(local.Addr())
	case opts.publicURL != "":
		tun, err = tunnel.Fixed(opts.publicURL)
	default:
		cfg := ngrok.Config{Authtoken: os.Getenv(ngrokTokenEnv), Domain: opts.ngrokDomain, LogPath: logPath}
		if opts.ngrokVerify {
			cfg.VerifyKey = key
		}
		fmt.Fprintf(a.errOut, "Opening an ngrok tunnel (its log: %s)...\n", logPath)
		tun, err = startNgrok(cfg)
	}
	if err != nil {
		return nil, err
	}
	for {
		select {
		case <-ctx.Done():
			tun.Close()
			return nil, nil
		case ev := <-tun.Events():
			switch ev := ev.(type) {
			case tunnel.Online:
				return tun, nil
			case tunnel.Stopped:
				tun.Close()
				if ev.Err == nil {
					return nil, errors.New("the ngrok tunnel stopped before it came online; see " + logPath)
				}
				return nil, fmt.Errorf("%w (to run without ngrok: --public-url URL or --no-tunnel)", ev.Err)
			}
		}
	}
}

// reportTunnel prints what happens to the tunnel while listen runs, through
// the printer so it never waits for the terminal, and keeps the state file
// current through reach. It returns when the tunnel's events end.
func (a *app) reportTunnel(tun tunnel.Tunnel, printer *deliveryPrinter, path string, reach func(session.Event)) {
	say := func(format string, args ...any) {
		// URLs and reasons come from the tunnel's far side.
		printer.enqueue(printLine{text: []byte(safetext.Line(fmt.Sprintf(format, args...)) + "\n")})
	}
	for ev := range tun.Events() {
		reach(session.Tunnel{Event: ev})
		switch ev := ev.(type) {
		case tunnel.Online:
			say("Tunnel online: %s%s", ev.URL, path)
		case tunnel.Offline:
			say("Tunnel offline (%v); reconnecting. Deliveries wait at Calendly, which retries.", ev.Err)
		case tunnel.Stuck:
			say("Tunnel still offline: %v", ev.Err)
		case tunnel.URLChanged:
			say("The public URL changed: %s%s (subscribe it with Calendly; the old one no longer reaches calwatch)", ev.New, path)
		case tunnel.Stopped:
			if ev.Err != nil {
				say("Tunnel stopped: %v; the local listener keeps running.", ev.Err)
			}
		}
	}
}
