package ngrok

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/tunnel"
)

// closedPort is a local address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// nextEvent waits for the tunnel's next event.
func nextEvent(t *testing.T, tun tunnel.Tunnel, within time.Duration) tunnel.Event {
	t.Helper()
	select {
	case ev, ok := <-tun.Events():
		if !ok {
			t.Fatal("Events closed")
		}
		return ev
	case <-time.After(within):
		t.Fatalf("no event within %s", within)
		return nil
	}
}

// noGoroutinesLeft waits until no more goroutines run than before the
// test started the agent. ngrok's reconnect loop sleeps out its current
// backoff (at most 30 s, a few seconds here) before it sees the session
// closed, so this polls instead of counting once.
func noGoroutinesLeft(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left behind 45 s after the tunnel stopped (before: %d):\n%s", n-before, before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// quietDefaultLog fails the test if anything reaches slog's default
// logger, which writes to the terminal.
func quietDefaultLog(t *testing.T) {
	t.Helper()
	rec := &recordingHandler{}
	old := slog.Default()
	slog.SetDefault(slog.New(rec))
	t.Cleanup(func() {
		slog.SetDefault(old)
		if n := rec.count(); n > 0 {
			t.Errorf("%d lines reached the default (terminal) logger", n)
		}
	})
}

type recordingHandler struct {
	mu sync.Mutex
	n  int
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(context.Context, slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n++
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }
func (h *recordingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

func TestStartWithoutTokenSaysHowToGetOne(t *testing.T) {
	_, err := Start(Config{})
	var p *Problem
	if !errors.As(err, &p) || p.Kind != NoToken || !strings.Contains(err.Error(), "NGROK_AUTHTOKEN") || !strings.Contains(err.Error(), "dashboard.ngrok.com") {
		t.Fatalf("Start without a token: %v", err)
	}
}

// The real ngrok agent, pointed at a port where nothing answers: the
// tunnel gives up with the "cannot reach ngrok" problem once the watchdog
// fires, and leaves nothing running.
func TestRealAgentAgainstAClosedPortGivesUpWithAClearMessage(t *testing.T) {
	quietDefaultLog(t)
	before := runtime.NumGoroutine()
	addr := closedPort(t)
	logPath := filepath.Join(t.TempDir(), "ngrok.log")
	const stuckAfter = time.Second
	started := time.Now()
	tun, err := Start(Config{Authtoken: token, ConnectAddr: addr, StuckAfter: stuckAfter, LogPath: logPath})
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, tun, 10*time.Second)
	took := time.Since(started)
	stopped, ok := ev.(tunnel.Stopped)
	if !ok {
		t.Fatalf("first event %#v, want Stopped", ev)
	}
	var p *Problem
	if !errors.As(stopped.Err, &p) || p.Kind != Unreachable {
		t.Fatalf("stopped with %v, want an Unreachable problem", stopped.Err)
	}
	if want := "connection to " + addr + " was refused"; !strings.Contains(p.Error(), want) {
		t.Errorf("message %q does not say %q", p.Error(), want)
	}
	if took < stuckAfter || took > stuckAfter+5*time.Second {
		t.Errorf("gave up after %s; the watchdog was set to %s", took, stuckAfter)
	}
	if _, open := <-tun.Events(); open {
		t.Error("Events still open after Stopped")
	}
	if _, err := tun.Listener().Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Listener().Accept after Stopped = %v, want net.ErrClosed", err)
	}
	if err := tun.Close(); err != nil {
		t.Errorf("Close after Stopped: %v", err)
	}
	noGoroutinesLeft(t, before)

	log, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), addr) || strings.Contains(string(log), token) {
		t.Errorf("the ngrok log should name %s and never the token:\n%s", addr, log)
	}
}

// With KeepTrying, the watchdog reports Stuck and the agent keeps going
// until Close, which reports Stopped{nil}.
func TestRealAgentKeepsTryingWhenAsked(t *testing.T) {
	quietDefaultLog(t)
	before := runtime.NumGoroutine()
	tun, err := Start(Config{Authtoken: token, ConnectAddr: closedPort(t), StuckAfter: 500 * time.Millisecond, KeepTrying: true})
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, tun, 10*time.Second)
	if stuck, ok := ev.(tunnel.Stuck); !ok || !strings.Contains(stuck.Err.Error(), "cannot reach ngrok") {
		t.Fatalf("first event %#v, want Stuck with cannot reach ngrok", ev)
	}
	if tun.URL() != "" {
		t.Errorf("URL %q while never online", tun.URL())
	}
	if err := tun.Close(); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, tun, 10*time.Second); ev != (tunnel.Stopped{}) {
		t.Fatalf("after Close: %#v, want Stopped{}", ev)
	}
	noGoroutinesLeft(t, before)
}
