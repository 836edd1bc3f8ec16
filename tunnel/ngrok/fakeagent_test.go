package ngrok

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/tunnel"
)

// The real agent through the fake server: online with the bound URL, the
// token and the verification policy on the wire, requests carried to the
// listener, a dropped connection reported and recovered with the same URL,
// and nothing left running after Close.
func TestRealAgentThroughFakeNgrokCarriesTrafficAndRecovers(t *testing.T) {
	quietDefaultLog(t)
	before := runtime.NumGoroutine()
	fake := newFakeNgrok(t, "https://calwatch-test.ngrok.app")
	const key = "whsec-verify-key"
	cfg := Config{Authtoken: token, Domain: "calwatch-test.ngrok.app", VerifyKey: []byte(key), LogPath: filepath.Join(t.TempDir(), "ngrok.log")}
	fake.configure(&cfg)
	tun, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, tun, 10*time.Second); ev != (tunnel.Online{URL: "https://calwatch-test.ngrok.app"}) {
		t.Fatalf("first event %#v, want Online", ev)
	}
	tokens, binds := fake.seen()
	if len(tokens) != 1 || tokens[0] != token {
		t.Errorf("ngrok got tokens %q, want the configured one once", tokens)
	}
	if len(binds) != 1 || binds[0]["URL"] != "https://calwatch-test.ngrok.app" {
		t.Fatalf("bind options %v, want the static domain's URL", binds)
	}
	policy, _ := binds[0]["TrafficPolicy"].(string)
	if !strings.Contains(policy, `"verify-webhook"`) || !strings.Contains(policy, `"calendly"`) || !strings.Contains(policy, key) {
		t.Errorf("the bind carries the policy %q, want verify-webhook for calendly with the key", policy)
	}

	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "reached "+r.URL.Path+" from "+r.RemoteAddr)
	})}
	go srv.Serve(tun.Listener())
	defer srv.Close()
	status, body, err := fake.get("/webhooks/calendly")
	if err != nil || status != http.StatusOK || body != "reached /webhooks/calendly from 203.0.113.9:40000" {
		t.Fatalf("through the tunnel: %d %q %v", status, body, err)
	}

	fake.dropAll()
	ev := nextEvent(t, tun, 10*time.Second)
	if _, ok := ev.(tunnel.Offline); !ok {
		t.Fatalf("after the drop: %#v, want Offline", ev)
	}
	if ev := nextEvent(t, tun, 15*time.Second); ev != (tunnel.Online{URL: "https://calwatch-test.ngrok.app"}) {
		t.Fatalf("after the drop: %#v, want Online again with the same URL", ev)
	}
	if status, _, err := fake.get("/again"); err != nil || status != http.StatusOK {
		t.Fatalf("through the tunnel after reconnecting: %d %v", status, err)
	}

	// ngrok ends the endpoint itself; it is bound again, at a new URL.
	if err := fake.stopTunnel("endpoint stopped by an administrator", "ERR_NGROK_3200", "https://second.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	ev = nextEvent(t, tun, 10*time.Second)
	if off, ok := ev.(tunnel.Offline); !ok || !strings.Contains(off.Err.Error(), "ERR_NGROK_3200") {
		t.Fatalf("after ngrok stopped the endpoint: %#v, want Offline with its code", ev)
	}
	if ev := nextEvent(t, tun, 15*time.Second); ev != (tunnel.URLChanged{Old: "https://calwatch-test.ngrok.app", New: "https://second.ngrok.app"}) {
		t.Fatalf("after binding again: %#v, want URLChanged", ev)
	}
	if ev := nextEvent(t, tun, 10*time.Second); ev != (tunnel.Online{URL: "https://second.ngrok.app"}) || tun.URL() != "https://second.ngrok.app" {
		t.Fatalf("after binding again: %#v (URL %s), want Online at the new URL", ev, tun.URL())
	}
	if status, _, err := fake.get("/third"); err != nil || status != http.StatusOK {
		t.Fatalf("through the new endpoint: %d %v", status, err)
	}

	if err := tun.Close(); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, tun, 10*time.Second); ev != (tunnel.Stopped{}) {
		t.Fatalf("after Close: %#v, want Stopped{}", ev)
	}
	srv.Close()
	fake.close()
	log, _ := os.ReadFile(cfg.LogPath)
	if strings.Contains(string(log), token) || strings.Contains(string(log), key) {
		t.Errorf("the ngrok log holds a secret:\n%s", log)
	}
	noGoroutinesLeft(t, before)
}

// ngrok's refusal of the token, as ngrok words it (quoting the token),
// ends the tunnel at once with the code, long before the watchdog.
func TestRealAgentTokenRefusedStopsAtOnce(t *testing.T) {
	quietDefaultLog(t)
	before := runtime.NumGoroutine()
	fake := newFakeNgrok(t, "https://unused.ngrok.app")
	fake.authError = "The authtoken you specified is properly formed, but it is invalid.\nYour authtoken: " + token + "\nThis usually happens when:\n  - You reset your authtoken\n\nERR_NGROK_107"
	cfg := Config{Authtoken: token, StuckAfter: time.Minute, LogPath: filepath.Join(t.TempDir(), "ngrok.log")}
	fake.configure(&cfg)
	tun, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, tun, 10*time.Second)
	stopped, ok := ev.(tunnel.Stopped)
	var p *Problem
	if !ok || !errors.As(stopped.Err, &p) || p.Kind != TokenRefused || p.Code != "ERR_NGROK_107" {
		t.Fatalf("event %#v, want Stopped with the refused token (ERR_NGROK_107)", ev)
	}
	if strings.Contains(p.Error(), token) {
		t.Errorf("the message quotes the token: %s", p.Error())
	}
	log, _ := os.ReadFile(cfg.LogPath)
	if strings.Contains(string(log), token) || !strings.Contains(string(log), "ERR_NGROK_107") {
		t.Errorf("the log should hold ngrok's refusal without the token:\n%s", log)
	}
	tun.Close()
	fake.close()
	noGoroutinesLeft(t, before)
}

// A static domain ngrok will not serve on this account ends the tunnel
// with the domain problem.
func TestRealAgentDomainRefusedStops(t *testing.T) {
	quietDefaultLog(t)
	fake := newFakeNgrok(t, "https://someone-else.ngrok.app")
	fake.bindError = "This domain is reserved for another account. Failed to create an endpoint with the domain someone-else.ngrok.app.\n\nERR_NGROK_320"
	cfg := Config{Authtoken: token, Domain: "someone-else.ngrok.app", StuckAfter: time.Minute}
	fake.configure(&cfg)
	tun, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	ev := nextEvent(t, tun, 10*time.Second)
	stopped, ok := ev.(tunnel.Stopped)
	var p *Problem
	if !ok || !errors.As(stopped.Err, &p) || p.Kind != DomainRefused || p.Code != "ERR_NGROK_320" {
		t.Fatalf("event %#v, want Stopped with the refused domain (ERR_NGROK_320)", ev)
	}
}
