package tunnel

import (
	"net"
	"strings"
	"sync"

	"github.com/calwatch/calwatch/tunnel/listener"
)

// Kind names the way the outside reaches the listener.
type Kind string

const (
	KindLocal Kind = "local"      // nobody outside: the local listener only
	KindFixed Kind = "public-url" // a tunnel or proxy the user runs to the local listener
	KindNgrok Kind = "ngrok"      // an ngrok tunnel served in-process
)

// Tunnel is one way the outside reaches the listener.
type Tunnel interface {
	// Kind says which way this is.
	Kind() Kind
	// URL is the public origin (scheme://host[:port], no path) last
	// reported Online, or "" before the first Online. It stays while the
	// tunnel is Offline: a reconnect keeps it unless URLChanged says not.
	URL() string
	// Listener is where public traffic arrives, to be served with the same
	// handler as the local listener; nil when public traffic reaches the
	// local listener itself (Local, Fixed).
	Listener() net.Listener
	// Events reports what happens to the tunnel. It never blocks the
	// tunnel: a reader that falls behind loses the oldest events, never
	// the newest. It is closed after Stopped, the last event.
	Events() <-chan Event
	// Close stops the tunnel and closes Listener and Events. It is safe
	// to call more than once.
	Close() error
}

// Event is something that happened to a Tunnel: Online, Offline,
// URLChanged, Stuck or Stopped.
type Event interface{ tunnelEvent() }

// Online says the tunnel is reachable at URL: the first time, or again
// after being Offline.
type Online struct{ URL string }

// Offline says the tunnel lost its connection and is trying to get it back;
// Err says why it was lost (nil when no reason is known).
type Offline struct{ Err error }

// URLChanged says the public URL is now New instead of Old: whatever was
// subscribed with Old no longer reaches the listener.
type URLChanged struct{ Old, New string }

// Stuck says the tunnel has not come online for a while and Err says why,
// in words for the user. The tunnel keeps trying unless Stopped follows.
type Stuck struct{ Err error }

// Stopped is the last event: the tunnel gave up (Err says why) or was
// closed (Err is nil).
type Stopped struct{ Err error }

func (Online) tunnelEvent()     {}
func (Offline) tunnelEvent()    {}
func (URLChanged) tunnelEvent() {}
func (Stuck) tunnelEvent()      {}
func (Stopped) tunnelEvent()    {}

// staticTunnel is a Tunnel whose URL never changes: Local and Fixed.
type staticTunnel struct {
	kind   Kind
	url    string
	events *Emitter[Event]
	once   sync.Once
}

// Local is the tunnel of `--no-tunnel`: nothing outside reaches the
// listener at addr, and its URL is the local listener's own origin (a
// wildcard address reported as 127.0.0.1).
func Local(addr net.Addr) Tunnel {
	return newStatic(KindLocal, strings.TrimSuffix(listener.LocalWebhookURL(addr, "/"), "/"))
}

// Fixed is the tunnel of `--public-url`: the user forwards origin to the
// local listener with a tunnel or proxy of their own. origin must be an
// http or https URL with a host and no path, query or fragment.
func Fixed(origin string) (Tunnel, error) {
	if _, err := listener.PublicWebhookURL(origin, listener.DefaultPath); err != nil {
		return nil, err
	}
	return newStatic(KindFixed, strings.TrimSuffix(origin, "/")), nil
}

func newStatic(kind Kind, origin string) *staticTunnel {
	t := &staticTunnel{kind: kind, url: origin, events: NewEmitter[Event](4)}
	t.events.Emit(Online{URL: origin})
	return t
}

func (t *staticTunnel) Kind() Kind             { return t.kind }
func (t *staticTunnel) URL() string            { return t.url }
func (t *staticTunnel) Listener() net.Listener { return nil }
func (t *staticTunnel) Events() <-chan Event   { return t.events.C() }

func (t *staticTunnel) Close() error {
	t.once.Do(func() {
		t.events.Emit(Stopped{})
		t.events.Close()
	})
	return nil
}
