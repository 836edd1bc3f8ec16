package tunnel

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Merge joins listeners into one, so a single HTTP server serves the local
// listener and a tunnel's with the same handler and the same graceful
// stop. Accept returns connections from any of them; Addr is the first's.
// A listener that fails for good drops out and the others carry on; Accept
// fails only once all have failed or the merged listener is closed. Close
// closes them all.
func Merge(first net.Listener, more ...net.Listener) net.Listener {
	m := &merged{
		addr:      first.Addr(),
		all:       append([]net.Listener{first}, more...),
		conns:     make(chan net.Conn),
		done:      make(chan struct{}),
		allFailed: make(chan struct{}),
	}
	m.live.Add(len(m.all))
	for _, ln := range m.all {
		go m.pump(ln)
	}
	go func() {
		m.live.Wait()
		m.failOnce.Do(func() { close(m.allFailed) })
	}()
	return m
}

type merged struct {
	addr      net.Addr
	all       []net.Listener
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	live      sync.WaitGroup
	failOnce  sync.Once
	allFailed chan struct{}

	mu      sync.Mutex
	lastErr error
}

func (m *merged) pump(ln net.Listener) {
	defer m.live.Done()
	var pause time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			// Out of file descriptors and the like: wait and try again, as
			// http.Server does.
			var temp interface{ Temporary() bool }
			if errors.As(err, &temp) && temp.Temporary() {
				pause = min(max(2*pause, 5*time.Millisecond), time.Second)
				select {
				case <-time.After(pause):
					continue
				case <-m.done:
					return
				}
			}
			m.mu.Lock()
			m.lastErr = err
			m.mu.Unlock()
			return
		}
		pause = 0
		select {
		case m.conns <- c:
		case <-m.done:
			c.Close()
			return
		}
	}
}

func (m *merged) Accept() (net.Conn, error) {
	select {
	case c := <-m.conns:
		return c, nil
	case <-m.done:
		return nil, net.ErrClosed
	case <-m.allFailed:
		m.mu.Lock()
		defer m.mu.Unlock()
		return nil, m.lastErr
	}
}

func (m *merged) Close() error {
	m.closeOnce.Do(func() {
		close(m.done)
		var errs []error
		for _, ln := range m.all {
			if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		m.closeErr = errors.Join(errs...)
	})
	return m.closeErr
}

func (m *merged) Addr() net.Addr { return m.addr }
