package listener

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestGracefulStopFinishesInFlightDelivery: a delivery being stored when the
// stop comes is committed and answered 200, and Run waits for it.
func TestGracefulStopFinishesInFlightDelivery(t *testing.T) {
	store := newFakeStore()
	store.entered = make(chan struct{}, 1)
	store.release = make(chan struct{})
	h := newTestHandler(t, store, func(c *Config) { c.Now = time.Now })
	ln := listenWatched(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	runDone := make(chan error, 1)
	go func() { runDone <- NewServer(h, Timeouts{}).Run(ctx, ln) }()

	body := fixture(t, "invitee_created.json")
	answer := make(chan int, 1)
	go func() {
		req := signedRequest(body, testKey, time.Now())
		req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", ln.Addr().String()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("in-flight delivery got no answer: %v", err)
			answer <- 0
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answer <- resp.StatusCode
	}()

	within(t, "the delivery reaching storage", store.entered)
	stop() // SIGINT arrives
	within(t, "the listener closing", ln.closed)
	if !h.draining.Load() {
		t.Error("the listener closed before the handler started draining")
	}
	select {
	case err := <-runDone:
		t.Fatalf("Run returned (%v) while a delivery was in flight", err)
	default:
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("still accepting connections after the stop")
	}

	close(store.release)
	if code := <-answer; code != http.StatusOK {
		t.Errorf("in-flight delivery answered %d, want 200", code)
	}
	if err := <-runDone; err != nil {
		t.Errorf("Run after a clean stop: %v", err)
	}
	if applied, _ := store.counts(); applied != 1 {
		t.Errorf("%d deliveries stored, want 1", applied)
	}
}

// watchedListener tells, by closing closed, when it has been closed.
type watchedListener struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

func (l *watchedListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.closed) })
	return err
}

func listenWatched(t *testing.T) *watchedListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &watchedListener{Listener: ln, closed: make(chan struct{})}
}

// within waits for ch; the deadline only turns a hang into a failure.
func within[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestServerHasTimeoutsOnEveryPhase(t *testing.T) {
	h := newTestHandler(t, newFakeStore(), nil)
	s := NewServer(h, Timeouts{Read: 3 * time.Second})
	hs := s.http
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout != 3*time.Second || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || s.shutdown <= 0 {
		t.Errorf("a phase has no timeout: header %v read %v write %v idle %v shutdown %v",
			hs.ReadHeaderTimeout, hs.ReadTimeout, hs.WriteTimeout, hs.IdleTimeout, s.shutdown)
	}
	if hs.WriteTimeout <= DefaultStoreTimeout {
		t.Errorf("write timeout %v cuts off storage (%v) before it can answer", hs.WriteTimeout, DefaultStoreTimeout)
	}
}

// TestSlowHeadersAreCutOff: a client that never finishes its headers is
// disconnected after the header timeout instead of holding a connection.
func TestSlowHeadersAreCutOff(t *testing.T) {
	h := newTestHandler(t, newFakeStore(), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- NewServer(h, Timeouts{ReadHeader: 200 * time.Millisecond}).Run(ctx, ln) }()
	defer func() { stop(); <-runDone }()

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST " + DefaultPath + " HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(conn) // returns when the server closes the connection
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("server kept a connection with unfinished headers open for 10 s")
	}
}
