package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
	"github.com/calwatch/calwatch/tunnel/ngrok"
	"github.com/calwatch/calwatch/tunnel/tunneltest"
)

const ngrokTestToken = "2ngrokTESTtoken_never_printed"

// useNgrok puts start in the place of the real ngrok for one test.
func useNgrok(t *testing.T, start func(ngrok.Config) (tunnel.Tunnel, error)) {
	t.Helper()
	old := startNgrok
	startNgrok = start
	t.Cleanup(func() { startNgrok = old })
	t.Setenv(ngrokTokenEnv, ngrokTestToken)
}

// With NGROK_AUTHTOKEN and no way to reach ngrok, listen ends (exit 1) with
// the problem in one line once the watchdog fires, and leaves nothing of
// ngrok on the terminal.
func TestListenNgrokUnreachableSaysWhatIsWrong(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	useNgrok(t, func(cfg ngrok.Config) (tunnel.Tunnel, error) {
		cfg.ConnectAddr, cfg.StuckAfter = closed, 300*time.Millisecond
		tun, err := ngrok.Start(cfg)
		if err != nil {
			return nil, err
		}
		return tun, nil
	})
	home := t.TempDir()
	code, stdout, stderr := runListenCLI(t, nil, "listen", "--home", home, "--addr", "127.0.0.1:0", "--signing-key", listenTestKey)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstderr: %s", code, exitFailure, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{"cannot reach ngrok", closed, "refused", "--no-tunnel"} {
		if !strings.Contains(last, want) {
			t.Errorf("last line %q does not say %q", last, want)
		}
	}
	if len(lines) != 2 || stdout != "" {
		t.Errorf("want the opening line and the error only; stdout %q stderr %q", stdout, stderr)
	}
	if strings.Contains(stderr, ngrokTestToken) || strings.Contains(stderr, "level=") {
		t.Errorf("ngrok's log or the token reached the terminal:\n%s", stderr)
	}
	log, err := os.ReadFile(filepath.Join(home, ngrokLogFile))
	if err != nil || !strings.Contains(string(log), closed) || strings.Contains(string(log), ngrokTestToken) {
		t.Errorf("ngrok.log should name %s and not the token (%v):\n%s", closed, err, log)
	}
	if _, err := os.Stat(filepath.Join(home, listenStateFile)); err == nil {
		t.Error("a state file was left behind")
	}
}

// Through a fake ngrok: listen prints and records the public webhook URL,
// serves public traffic with the same verifying handler as the local
// listener, and follows the tunnel's drops and URL changes.
func TestListenServesTheTunnelAndFollowsItsURL(t *testing.T) {
	fake := tunneltest.New()
	var got ngrok.Config
	useNgrok(t, func(cfg ngrok.Config) (tunnel.Tunnel, error) {
		got = cfg
		fake.GoOnline("https://one.fake.example")
		return fake, nil
	})
	home := t.TempDir()
	l := startListen(t, home, "--signing-key", listenTestKey, "--ngrok-domain", "one.fake.example")
	if got.Authtoken != ngrokTestToken || got.Domain != "one.fake.example" || got.VerifyKey != nil || got.LogPath != filepath.Join(home, ngrokLogFile) {
		t.Errorf("ngrok config %+v", got)
	}
	want := "https://one.fake.example" + listener.DefaultPath
	if l.webhookURL != want {
		t.Fatalf("webhook URL %q, want %q", l.webhookURL, want)
	}

	d := loadgen.InviteeCreated("tunnel", 1, 3000)
	if code := postThrough(t, fake, listenTestKey, d.Body); code != http.StatusOK {
		t.Fatalf("a signed delivery through the tunnel answered %d\nstderr: %s", code, l.stderr)
	}
	if code := postThrough(t, fake, "forged", d.Body); code != http.StatusUnauthorized {
		t.Errorf("a forged delivery through the tunnel answered %d, want 401", code)
	}
	local := listener.LocalWebhookURL(mustAddr(t, statusJSON(t, home).Addr), listener.DefaultPath)
	if code := postDelivery(t, local, listenTestKey, loadgen.InviteeCreated("local", 2, 3000).Body); code != http.StatusOK {
		t.Errorf("the local listener answered %d beside the tunnel", code)
	}

	fake.GoOffline(errors.New("wifi gone"))
	fake.GoOnline("https://two.fake.example")
	waitFor(t, "status to show the new URL", func() bool {
		return statusJSON(t, home).WebhookURL == "https://two.fake.example"+listener.DefaultPath
	})
	waitFor(t, "the changes on stderr", func() bool {
		s := l.stderr.String()
		return strings.Contains(s, "Tunnel offline (wifi gone)") && strings.Contains(s, "The public URL changed: https://two.fake.example"+listener.DefaultPath)
	})

	if code := l.stopListen(t); code != exitOK {
		t.Fatalf("listen exited %d\nstderr: %s", code, l.stderr)
	}
	if _, err := fake.Dial(context.Background()); err == nil {
		t.Error("the tunnel is still open after listen stopped")
	}
	if strings.Contains(l.stderr.String()+l.stdout.String(), ngrokTestToken) {
		t.Error("the ngrok token was printed")
	}
}

// postThrough sends a delivery signed with key through the fake tunnel, as
// ngrok would hand it over (TLS ended at ngrok's edge).
func postThrough(t *testing.T, fake *tunneltest.Fake, key string, body []byte) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return fake.Dial(ctx) },
	}}
	req, err := http.NewRequest(http.MethodPost, "http://one.fake.example"+listener.DefaultPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(calendly.SignatureHeader, calendly.Sign([]byte(key), time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("POST through the tunnel: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func mustAddr(t *testing.T, hostport string) net.Addr {
	t.Helper()
	a, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
