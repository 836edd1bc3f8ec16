package listener

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// startServer runs s on a loopback port until the test ends.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- s.Run(ctx, ln) }()
	t.Cleanup(func() { stop(); <-runDone })
	return ln.Addr().String()
}

// rawDelivery is a signed delivery as it goes on the wire, kept alive.
func rawDelivery(body []byte) string {
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s: %s\r\nContent-Length: %d\r\n\r\n%s",
		DefaultPath, calendly.SignatureHeader, calendly.Sign([]byte(testKey), time.Now(), body), len(body), body)
}

func TestServerLimitsIdleAndHeaders(t *testing.T) {
	s := NewServer(newTestHandler(t, newFakeStore(), nil), Timeouts{})
	if s.http.IdleTimeout > 30*time.Second {
		t.Errorf("idle connections are kept %v, want at most 30 s", s.http.IdleTimeout)
	}
	addr := startServer(t, s)
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+DefaultPath, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(calendly.SignatureHeader, strings.Repeat("v", maxHeaderBytes+8<<10))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a request with %d bytes of headers answered %d, want 431", maxHeaderBytes+8<<10, resp.StatusCode)
	}
}

// TestConnectionCap: past MaxConnections a new connection is not served
// until one of the open ones closes.
func TestConnectionCap(t *testing.T) {
	store := newFakeStore()
	s := NewServer(newTestHandler(t, store, func(c *Config) { c.Now = time.Now }), Timeouts{})
	s.MaxConnections = 1
	addr := startServer(t, s)

	// The first connection is served (200, kept alive) and stays open.
	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := io.WriteString(first, rawDelivery(fixture(t, "invitee_created.json"))); err != nil {
		t.Fatal(err)
	}
	_ = first.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(first), nil)
	if err != nil || resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("first connection: %v, %v; want a kept-alive 200", resp, err)
	}
	resp.Body.Close()

	second, err := net.Dial("tcp", addr) // the kernel queues it
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if _, err := io.WriteString(second, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// A negative can only be shown by waiting: the second connection gets
	// nothing while the first holds the only slot. (Under a heavy load
	// this can pass wrongly, never fail wrongly.)
	br := bufio.NewReader(second)
	_ = second.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := br.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a connection past the cap was served (read: %v)", err)
	}

	first.Close()
	_ = second.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the queued connection was not served once a slot was free: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("queued request answered %d, want 404", resp.StatusCode)
	}
}

// TestErrorAnswersCloseTheConnection: after a 4xx the server hangs up, and
// a 415 or 413 whose large body was never read still reaches the sender
// whole (no reset before the answer).
func TestErrorAnswersCloseTheConnection(t *testing.T) {
	store := newFakeStore()
	addr := startServer(t, NewServer(newTestHandler(t, store, nil), Timeouts{}))

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET "+DefaultPath+" HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || !resp.Close {
		t.Errorf("GET answered %d (close %v), want 405 and Connection: close", resp.StatusCode, resp.Close)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after a 405 the connection went on: %q, %v", rest, err)
	}

	for _, tc := range []struct {
		contentType string
		size        int
		want        int
	}{
		{"text/plain", 512 << 10, http.StatusUnsupportedMediaType},
		{"application/json", DefaultMaxBodyBytes + 1, http.StatusRequestEntityTooLarge},
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+DefaultPath, bytes.NewReader(bytes.Repeat([]byte("a"), tc.size)))
		req.Header.Set("Content-Type", tc.contentType)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("%s, %d bytes unread: no answer: %v", tc.contentType, tc.size, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s, %d bytes unread: answered %d, want %d", tc.contentType, tc.size, resp.StatusCode, tc.want)
		}
	}
}

// TestLimitedConnHalfCloses: a capped connection still half-closes as a
// TCP one does, which net/http relies on to deliver an error answer before
// closing on an unread body; closing it frees its slot once.
func TestLimitedConnHalfCloses(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitConnections(inner, 1)
	defer ln.Close()
	client, err := net.Dial("tcp", inner.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	cw, ok := server.(interface{ CloseWrite() error })
	if !ok {
		t.Fatal("a capped connection has no CloseWrite")
	}
	if err := cw.CloseWrite(); err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	_ = client.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := client.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after CloseWrite the peer read %d bytes, %v; want EOF", n, err)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	_ = server.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := server.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Errorf("after CloseWrite the read side is gone: %d, %v", n, err)
	}
	server.Close()
	server.Close()
	if got := len(ln.(*connLimitListener).slots); got != 0 {
		t.Errorf("%d slots held after the only connection closed twice, want 0", got)
	}
}
