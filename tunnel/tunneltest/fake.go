// Package tunneltest is a fake tunnel.Tunnel, for tests of whatever drives a
// tunnel (the session orchestrator, the TUI): the test decides when it
// comes online, drops, gets stuck, changes its URL or fails, and sends
// public traffic through it, all in memory.
package tunneltest

import (
	"context"
	"net"
	"sync"

	"github.com/calwatch/calwatch/tunnel"
)

// Fake is a tunnel.Tunnel driven by the test. Its zero value is not
// usable; call New.
type Fake struct {
	kind   tunnel.Kind
	events *tunnel.Emitter[tunnel.Event]
	ln     *pipeListener

	mu      sync.Mutex
	url     string
	stopped bool
}

var _ tunnel.Tunnel = (*Fake)(nil)

// New returns a Fake that is not online yet and stands for an ngrok tunnel
// (Kind is tunnel.KindNgrok; NewKind picks another). Its events buffer
// holds 64; past that the oldest are dropped, as with every tunnel.
func New() *Fake { return NewKind(tunnel.KindNgrok) }

// NewKind returns a Fake whose Kind is kind.
func NewKind(kind tunnel.Kind) *Fake {
	return &Fake{kind: kind, events: tunnel.NewEmitter[tunnel.Event](64), ln: newPipeListener()}
}

// GoOnline reports the tunnel reachable at url (Online); when an earlier
// Online reported another URL, URLChanged comes first.
func (f *Fake) GoOnline(url string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	if f.url != "" && f.url != url {
		f.events.Emit(tunnel.URLChanged{Old: f.url, New: url})
	}
	f.url = url
	f.events.Emit(tunnel.Online{URL: url})
}

// GoOffline reports the connection lost for the reason err (Offline).
func (f *Fake) GoOffline(err error) { f.emit(tunnel.Offline{Err: err}) }

// Stick reports that the tunnel cannot come online, because of err (Stuck).
func (f *Fake) Stick(err error) { f.emit(tunnel.Stuck{Err: err}) }

// Fail makes the tunnel give up with err: Stopped{err}, then Events and
// Listener close.
func (f *Fake) Fail(err error) { f.stop(err) }

func (f *Fake) emit(ev tunnel.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.stopped {
		f.events.Emit(ev)
	}
}

// Dial opens a connection that arrives on Listener, as public traffic would.
func (f *Fake) Dial(ctx context.Context) (net.Conn, error) { return f.ln.dial(ctx) }

// Kind is what New or NewKind made it stand for.
func (f *Fake) Kind() tunnel.Kind { return f.kind }

// URL is the URL of the last GoOnline.
func (f *Fake) URL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.url
}

// Listener is where connections from Dial arrive.
func (f *Fake) Listener() net.Listener { return f.ln }

// Events reports what the test made happen.
func (f *Fake) Events() <-chan tunnel.Event { return f.events.C() }

// Close stops the fake: Stopped{nil}, then Events and Listener close.
func (f *Fake) Close() error {
	f.stop(nil)
	return nil
}

func (f *Fake) stop(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	f.stopped = true
	f.events.Emit(tunnel.Stopped{Err: err})
	f.events.Close()
	f.ln.Close()
}

// pipeListener is a net.Listener whose connections are in-memory pipes.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) dial(ctx context.Context) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return fakeAddr{} }

type fakeAddr struct{}

func (fakeAddr) Network() string { return "fake" }
func (fakeAddr) String() string  { return "fake-tunnel" }
