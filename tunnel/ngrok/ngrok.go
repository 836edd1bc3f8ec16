// Package ngrok is the tunnel.Tunnel that opens an ngrok endpoint from
// inside calwatch (golang.ngrok.com/ngrok/v2), so Calendly reaches the
// listener without any other program running.
//
// It designs around two habits of the ngrok agent (ngrok-go issue #176):
// connecting retries forever, whatever the reason (a refused token, no
// network), and the context given to Listen is the whole session's
// lifetime. So Start returns at once and connects in the background under
// a context of its own that only Close (or giving up) cancels; the agent's
// events say when it connects and why it drops; and a watchdog reports
// Stuck, with a Problem that says what is wrong in the user's words, when
// no connection has come within Config.StuckAfter (a refused token is
// reported at once). ngrok's own log goes to a file, with the authtoken
// and signing key redacted, never to the terminal.
package ngrok

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	sdk "golang.ngrok.com/ngrok/v2"

	"github.com/calwatch/calwatch/tunnel"
)

// DefaultStuckAfter is how long the tunnel may take to come online before
// the watchdog reports what is wrong.
const DefaultStuckAfter = 15 * time.Second

// closeWait bounds how long Close waits for the agent to let go: a bind
// request in flight on a dead network ignores cancellation.
const closeWait = 5 * time.Second

// Config says how to open the tunnel.
type Config struct {
	// Authtoken is the ngrok authtoken (NGROK_AUTHTOKEN). Required.
	Authtoken string
	// Domain is a static ngrok domain of the account (--ngrok-domain), so
	// the URL survives restarts; "" lets ngrok choose.
	Domain string
	// VerifyKey, when set (--ngrok-verify), has ngrok's edge check every
	// request's Calendly signature with this signing key and turn away the
	// forged ones before they reach this machine.
	VerifyKey []byte
	// LogPath is the file ngrok's own log is appended to (0600); "" drops it.
	LogPath string
	// StuckAfter is the watchdog's patience; 0 means DefaultStuckAfter.
	StuckAfter time.Duration
	// KeepTrying says what happens when the tunnel has never been online
	// and the watchdog fires, or ngrok refuses the token: report Stuck and
	// keep trying (true), or stop with Stopped{Problem} (false). Once the
	// tunnel has been online it always keeps trying after a drop.
	KeepTrying bool
	// ConnectAddr is the HOST:PORT of ngrok's server; "" for ngrok's own.
	// Tests point it somewhere that does not answer.
	ConnectAddr string

	agentOptions []sdk.AgentOption // tests: more options for the agent
}

// Tunnel is an ngrok tunnel. It implements tunnel.Tunnel.
type Tunnel struct {
	cfg    Config
	agent  sdk.Agent
	events *tunnel.Emitter[tunnel.Event]
	relay  *relayListener
	log    *slog.Logger
	logs   io.Closer
	ctx    context.Context // the agent session's lifetime
	cancel context.CancelFunc
	done   chan struct{} // closed when run has cleaned up

	mu          sync.Mutex
	url         string
	online      bool
	everOnline  bool
	closing     bool
	lastProblem *Problem // from the latest disconnect, nil when none
	failure     *Problem // why the tunnel gave up
	watchdog    *time.Timer
}

var _ tunnel.Tunnel = (*Tunnel)(nil)

// Start checks cfg, opens ngrok's log and starts connecting in the
// background; it does not wait for the network. What happens next arrives
// on Events. It fails only on a Config that cannot work (no authtoken: a
// *Problem of kind NoToken; a bad domain or policy; a log that cannot be
// opened).
func Start(cfg Config) (*Tunnel, error) {
	if cfg.Authtoken == "" {
		return nil, ErrNoToken
	}
	if cfg.Domain != "" {
		if err := CheckDomain(cfg.Domain); err != nil {
			return nil, err
		}
	}
	if cfg.StuckAfter <= 0 {
		cfg.StuckAfter = DefaultStuckAfter
	}
	var endpointOpts []sdk.EndpointOption
	if cfg.Domain != "" {
		endpointOpts = append(endpointOpts, sdk.WithURL("https://"+cfg.Domain))
	}
	if cfg.VerifyKey != nil {
		policy, err := verifyWebhookPolicy(cfg.VerifyKey)
		if err != nil {
			return nil, err
		}
		endpointOpts = append(endpointOpts, sdk.WithTrafficPolicy(policy))
	}
	endpointOpts = append(endpointOpts, sdk.WithDescription("calwatch webhook listener"))

	log, logs, err := openLog(cfg.LogPath, cfg.Authtoken, string(cfg.VerifyKey))
	if err != nil {
		return nil, err
	}
	t := &Tunnel{
		cfg:    cfg,
		events: tunnel.NewEmitter[tunnel.Event](64),
		relay:  newRelayListener(),
		log:    log,
		logs:   logs,
		done:   make(chan struct{}),
	}
	agentOpts := []sdk.AgentOption{
		sdk.WithAuthtoken(cfg.Authtoken),
		sdk.WithLogger(log),
		sdk.WithEventHandler(t.onAgentEvent),
		sdk.WithClientInfo("calwatch", "dev"),
	}
	if cfg.ConnectAddr != "" {
		agentOpts = append(agentOpts, sdk.WithAgentConnectURL(cfg.ConnectAddr))
	}
	agentOpts = append(agentOpts, cfg.agentOptions...)
	t.agent, err = sdk.NewAgent(agentOpts...)
	if err != nil {
		logs.Close()
		return nil, fmt.Errorf("cannot set up the ngrok agent: %w", err)
	}
	// Not derived from any caller's context: cancelling it ends the session.
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.mu.Lock()
	t.watchdog = time.AfterFunc(cfg.StuckAfter, t.onWatchdog)
	t.mu.Unlock()
	go t.run(endpointOpts)
	return t, nil
}

// Kind is tunnel.KindNgrok.
func (t *Tunnel) Kind() tunnel.Kind { return tunnel.KindNgrok }

// URL is the endpoint's public origin, "" before it first came online.
func (t *Tunnel) URL() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.url
}

// Listener is where the requests to URL arrive.
func (t *Tunnel) Listener() net.Listener { return t.relay }

// Events reports Online, Offline, URLChanged, Stuck and, last, Stopped.
func (t *Tunnel) Events() <-chan tunnel.Event { return t.events.C() }

// Close ends the ngrok session, closes Listener and, after Stopped{nil},
// Events. It waits up to a few seconds for the agent to let go.
func (t *Tunnel) Close() error {
	t.mu.Lock()
	t.closing = true
	t.mu.Unlock()
	t.cancel()
	select {
	case <-t.done:
		return nil
	case <-time.After(closeWait):
		return fmt.Errorf("the ngrok agent did not stop within %s; it is left to finish on its own", closeWait)
	}
}

// run binds the endpoint (connecting first), hands its connections to the
// relay, binds again when ngrok drops the endpoint itself, and cleans up
// once the session's context ends.
func (t *Tunnel) run(opts []sdk.EndpointOption) {
	defer close(t.done)
	var final error
	defer func() { t.finish(final) }()
	retry := newBackoff()
	for {
		ep, err := t.agent.Listen(t.ctx, opts...)
		if err != nil {
			if t.ctx.Err() != nil {
				final = t.giveUpReason()
				return
			}
			// Connected, but ngrok refused the endpoint (domain, policy,
			// plan): binding again cannot help.
			final = Diagnose(err)
			t.log.Error("ngrok refused the endpoint", "err", err)
			return
		}
		origin, err := checkOrigin(ep.URL())
		if err != nil {
			closeEndpoint(ep)
			t.log.Error("ngrok gave the endpoint a URL calwatch cannot use", "url", ep.URL().String(), "err", err)
			final = &Problem{Kind: Refused, msg: "ngrok gave the endpoint a URL calwatch cannot use (" + err.Error() + "); details in the ngrok log"}
			return
		}
		t.bound(origin)
		// Ending the session does not end Accept while the agent sleeps
		// between reconnects; closing the endpoint does.
		unhook := context.AfterFunc(t.ctx, func() { closeEndpoint(ep) })
		err = t.pump(ep)
		if unhook() {
			closeEndpoint(ep)
		}
		if t.ctx.Err() != nil {
			final = t.giveUpReason()
			return
		}
		t.log.Warn("ngrok closed the endpoint; binding again", "err", err)
		t.wentOffline(Diagnose(err))
		select {
		case <-time.After(retry.next()):
		case <-t.ctx.Done():
			final = t.giveUpReason()
			return
		}
	}
}

func closeEndpoint(ep sdk.EndpointListener) {
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	ep.CloseWithContext(ctx)
}

// pump hands the endpoint's connections to the relay until it fails.
func (t *Tunnel) pump(ep sdk.EndpointListener) error {
	for {
		c, err := ep.Accept()
		if err != nil {
			return err
		}
		if !t.relay.deliver(t.ctx, c) {
			c.Close()
		}
	}
}

// bound records a new endpoint origin and reports it.
func (t *Tunnel) bound(origin string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.url != "" && t.url != origin {
		t.events.Emit(tunnel.URLChanged{Old: t.url, New: origin})
	}
	t.url, t.online, t.everOnline, t.lastProblem = origin, true, true, nil
	t.watchdog.Stop()
	t.events.Emit(tunnel.Online{URL: origin})
}

// onAgentEvent is called by the agent, synchronously: it must not block.
func (t *Tunnel) onAgentEvent(ev sdk.Event) {
	switch ev := ev.(type) {
	case *sdk.EventAgentConnectSucceeded:
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.closing {
			return
		}
		t.lastProblem = nil
		// The endpoint is bound again before the agent says so; the first
		// connection is reported once the endpoint exists (bound).
		if t.everOnline && !t.online {
			t.online = true
			t.watchdog.Stop()
			t.events.Emit(tunnel.Online{URL: t.url})
		}
	case *sdk.EventAgentDisconnected:
		if ev.Error == nil || t.ctx.Err() != nil {
			return // the session is over; run reports why
		}
		t.log.Warn("ngrok agent disconnected", "err", ev.Error)
		t.wentOffline(Diagnose(ev.Error))
	}
}

// wentOffline records why the connection is down, reports Offline when it
// was up, and reports a definite problem at once.
func (t *Tunnel) wentOffline(p *Problem) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing || t.ctx.Err() != nil {
		return
	}
	first := t.lastProblem == nil || t.lastProblem.Kind != p.Kind
	t.lastProblem = p
	if t.online {
		t.online = false
		t.events.Emit(tunnel.Offline{Err: p})
		t.watchdog.Reset(t.cfg.StuckAfter)
	}
	if p.Definite() && first {
		t.stuckLocked(p)
	}
}

// onWatchdog fires when the tunnel has not come online in time.
func (t *Tunnel) onWatchdog() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.online || t.closing {
		return
	}
	p := t.lastProblem
	if p == nil {
		p = Diagnose(nil)
	}
	t.stuckLocked(p)
}

func (t *Tunnel) stuckLocked(p *Problem) {
	if !t.cfg.KeepTrying && !t.everOnline {
		if t.failure == nil {
			t.failure = p
			t.cancel()
		}
		return
	}
	t.events.Emit(tunnel.Stuck{Err: p})
}

// giveUpReason is the Problem that made the tunnel give up, or nil when it
// was closed.
func (t *Tunnel) giveUpReason() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failure != nil {
		return t.failure
	}
	return nil
}

// finish tears everything down and reports Stopped{final}.
func (t *Tunnel) finish(final error) {
	t.cancel()
	if err := t.agent.Disconnect(); err != nil {
		t.log.Info("ngrok disconnect", "err", err)
	}
	t.relay.Close()
	t.mu.Lock()
	t.closing = true
	t.online = false
	t.watchdog.Stop()
	if final != nil {
		t.failure, _ = final.(*Problem)
	}
	t.events.Emit(tunnel.Stopped{Err: final})
	t.events.Close()
	t.mu.Unlock()
	t.logs.Close()
}
