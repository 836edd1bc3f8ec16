package listener

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Timeouts bound every phase of a connection. Zero fields take the defaults
// of DefaultTimeouts.
type Timeouts struct {
	ReadHeader time.Duration // request line and headers
	Read       time.Duration // the whole request, body included
	Write      time.Duration // from the end of the headers to the end of the answer, storage included
	Idle       time.Duration // a kept-alive connection waiting for its next request
	Shutdown   time.Duration // how long a graceful stop waits for requests in flight
}

// DefaultTimeouts suit Calendly, which gives up on an answer after 15 s of
// reading; Write leaves storage DefaultStoreTimeout plus time to answer.
var DefaultTimeouts = Timeouts{
	ReadHeader: 5 * time.Second,
	Read:       15 * time.Second,
	Write:      DefaultStoreTimeout + 5*time.Second,
	Idle:       30 * time.Second,
	Shutdown:   DefaultStoreTimeout + 5*time.Second,
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts
	for _, f := range []struct{ v, def *time.Duration }{
		{&t.ReadHeader, &d.ReadHeader}, {&t.Read, &d.Read}, {&t.Write, &d.Write},
		{&t.Idle, &d.Idle}, {&t.Shutdown, &d.Shutdown},
	} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return t
}

// DefaultMaxConnections is how many connections a Server keeps open at
// once unless told otherwise: far more than Calendly opens (one per
// delivery in flight), few enough that idle or slow connections cannot
// exhaust file descriptors or memory.
const DefaultMaxConnections = 256

// Server is the HTTP server around a Handler.
type Server struct {
	// MaxConnections caps the connections open at once (0:
	// DefaultMaxConnections); past it new ones wait in the kernel's accept
	// queue until one closes. Set it before Run.
	MaxConnections int

	handler  *Handler
	http     *http.Server
	shutdown time.Duration
}

// NewServer wraps h in an http.Server with the given timeouts.
func NewServer(h *Handler, t Timeouts) *Server {
	t = t.withDefaults()
	return &Server{
		handler:  h,
		shutdown: t.Shutdown,
		http: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: t.ReadHeader,
			ReadTimeout:       t.Read,
			WriteTimeout:      t.Write,
			IdleTimeout:       t.Idle,
			MaxHeaderBytes:    maxHeaderBytes,
			// Requests must not inherit the caller's cancellation: on a stop
			// the deliveries in flight are finished, not abandoned.
			BaseContext: func(net.Listener) context.Context { return context.Background() },
		},
	}
}

// Run serves on ln until ctx is done, then stops gracefully: it stops
// accepting, answers 503 to requests that arrive meanwhile on open
// connections, and waits (up to the Shutdown timeout) for the deliveries in
// flight to be committed and answered. It returns nil after a clean stop.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	maxConns := s.MaxConnections
	if maxConns <= 0 {
		maxConns = DefaultMaxConnections
	}
	ln = limitConnections(ln, maxConns)
	served := make(chan error, 1)
	go func() { served <- s.http.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("webhook listener stopped: %w", err)
	case <-ctx.Done():
	}
	s.handler.Drain()
	stopCtx, cancel := context.WithTimeout(context.Background(), s.shutdown)
	defer cancel()
	err := s.http.Shutdown(stopCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) && serveErr != nil {
		return fmt.Errorf("webhook listener stopped: %w", serveErr)
	}
	if err != nil {
		return fmt.Errorf("deliveries still in flight after %s were cut off: %w", s.shutdown, err)
	}
	return nil
}
