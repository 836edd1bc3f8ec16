package ngrok

import (
	"context"
	"net"
	"sync"
	"time"
)

// backoff spaces out attempts to bind again: 1 s, doubling, at most 30 s.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{} }

func (b *backoff) next() time.Duration {
	b.d = min(max(2*b.d, time.Second), 30*time.Second)
	return b.d
}

// relayListener is the tunnel's stable net.Listener: connections from
// whichever endpoint is current arrive on it.
type relayListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newRelayListener() *relayListener {
	return &relayListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// deliver hands c to Accept; false when the listener or ctx ended first.
func (l *relayListener) deliver(ctx context.Context, c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	case <-ctx.Done():
		return false
	}
}

func (l *relayListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close stops Accept; the tunnel itself stays until Tunnel.Close.
func (l *relayListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *relayListener) Addr() net.Addr { return relayAddr{} }

type relayAddr struct{}

func (relayAddr) Network() string { return "ngrok" }
func (relayAddr) String() string  { return "ngrok" }
