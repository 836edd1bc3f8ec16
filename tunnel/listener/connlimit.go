package listener

import (
	"errors"
	"net"
	"sync"
)

// limitConnections wraps ln so that at most n accepted connections are open
// at once: Accept waits for one to close before taking the next from the
// kernel's queue. (golang.org/x/net/netutil.LimitListener does the same but
// hides the TCP connection's CloseWrite, and net/http needs that to send an
// error answer before closing on an unread body without a reset.)
func limitConnections(ln net.Listener, n int) net.Listener {
	return &connLimitListener{Listener: ln, slots: make(chan struct{}, n), closed: make(chan struct{})}
}

type connLimitListener struct {
	net.Listener
	slots     chan struct{} // one token per open connection
	closeOnce sync.Once
	closed    chan struct{}
}

func (l *connLimitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *connLimitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// limitedConn gives its slot back when it is closed, once.
type limitedConn struct {
	net.Conn
	releaseOnce sync.Once
	release     func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.releaseOnce.Do(c.release)
	return err
}

// CloseWrite half-closes the connection when it can (TCP), as net/http does
// before closing a connection whose request body it did not read.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}
