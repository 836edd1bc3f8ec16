package main

import (
	"crypto/sha256"
	"fmt"
	"github.com/calwatch/calwatch/tunnel/home"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/tunnel/forward"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

const forwardTestKey = "whsec-forward-test-key-for-the-app"

// appRequest is one request the developer's fake app received.
type appRequest struct {
	body      []byte
	signature string
}

// newTestApp is the developer's app: every request goes to the test on the
// returned channel; answer writes the reply.
func newTestApp(t *testing.T, answer func(w http.ResponseWriter)) (string, chan appRequest) {
	t.Helper()
	got := make(chan appRequest, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- appRequest{body: body, signature: r.Header.Get(calendly.SignatureHeader)}
		answer(w)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks/calendly", got
}

func nextAppRequest(t *testing.T, got chan appRequest) appRequest {
	t.Helper()
	select {
	case r := <-got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the app received nothing within 10s")
		return appRequest{}
	}
}

// TestListenForwardToTheApp: with --forward-to, the listener answers
// Calendly while the app is stuck, forwards the raw bytes re-signed with the
// forward key, never forwards a forged request, and the app's 500 shows in
// deliveries list (table and JSON).
func TestListenForwardToTheApp(t *testing.T) {
	home := t.TempDir()
	release := make(chan struct{})
	appURL, got := newTestApp(t, func(w http.ResponseWriter) {
		<-release
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "\x1b]0;pwned\x07TypeError: email of undefined\nat handler.js:3\n")
	})
	t.Setenv(forwardSigningKeyEnv, forwardTestKey)
	l := startListen(t, home, "--no-tunnel", "--signing-key", listenTestKey, "--forward-to", appURL)

	first, second := loadgen.InviteeCreated("fw", 1, 3000), loadgen.InviteeCreated("fw", 2, 3000)
	if code := postDelivery(t, l.webhookURL, listenTestKey, first.Body); code != http.StatusOK {
		t.Fatalf("first delivery answered %d", code)
	}
	sent := nextAppRequest(t, got) // the app now holds it and does not answer
	answered := make(chan int, 1)
	go func() { answered <- postDelivery(t, l.webhookURL, listenTestKey, second.Body) }()
	select {
	case code := <-answered:
		if code != http.StatusOK {
			t.Fatalf("second delivery answered %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the listener did not answer Calendly while the app was stuck")
	}
	if code := postDelivery(t, l.webhookURL, "forged", loadgen.InviteeCreated("fw", 3, 3000).Body); code != http.StatusUnauthorized {
		t.Fatalf("forged delivery answered %d", code)
	}
	close(release)

	if sha256.Sum256(sent.body) != sha256.Sum256(first.Body) {
		t.Error("the forwarded body does not hash equal to the received one")
	}
	if _, err := calendly.Verify(sent.signature, sent.body, []byte(forwardTestKey), time.Now(), calendly.DefaultTolerance); err != nil {
		t.Errorf("the forwarded signature does not verify with the forward key: %v", err)
	}
	if again := nextAppRequest(t, got); sha256.Sum256(again.body) != sha256.Sum256(second.Body) {
		t.Error("the app's second request is not the second delivery")
	}

	// Both answers are stored before listen has stopped.
	if code := l.stopListen(t); code != exitOK {
		t.Fatalf("listen exited %d\nstderr: %s", code, l.stderr)
	}
	select {
	case r := <-got:
		t.Fatalf("the app got a third request (%d bytes); the forged delivery must never be forwarded", len(r.body))
	default:
	}
	if strings.Contains(l.stderr.String(), "\x1b") || !strings.Contains(l.stderr.String(), "→ app 500 Internal Server Error in") {
		t.Errorf("listen's stderr should show the app's 500, sanitised:\n%q", l.stderr)
	}

	log := decodeJSON[[]map[string]any](t, runCLI(t, nil, "deliveries", "list", "--json", "--home", home).wantExit(t, exitOK))
	if len(log) != 3 {
		t.Fatalf("%d deliveries listed, want 3", len(log))
	}
	if log[0]["outcome"] != "refused" || log[0]["forward"] != nil {
		t.Errorf("the refused delivery's forward = %v, want null", log[0]["forward"])
	}
	for _, d := range log[1:] {
		f, ok := d["forward"].(map[string]any)
		if !ok || f["status"] != float64(500) || f["url"] != appURL || !strings.Contains(f["answer"].(string), "TypeError") ||
			f["latency_ms"].(float64) <= 0 {
			t.Errorf("delivery %v forward = %v; want the app's 500, its answer and a latency", d["id"], d["forward"])
		}
	}
	table := runCLI(t, nil, "deliveries", "list", "--home", home).wantExit(t, exitOK).stdout
	if !strings.Contains(table, "FORWARD") || strings.Count(table, "500 in ") != 2 {
		t.Errorf("deliveries list should show a FORWARD column with two 500s:\n%s", table)
	}
}

func TestListenForwardUsageErrors(t *testing.T) {
	home := t.TempDir()
	t.Setenv(signingKeyEnv, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--forward-to", "ftp://127.0.0.1/x"}, "http://"},
		{[]string{"--forward-to", "http://user:pw@127.0.0.1/x"}, "credentials"},
		{[]string{"--forward-to", "127.0.0.1:3000"}, "--forward-to"},
		{[]string{"--forward-signing-key", "k"}, "needs --forward-to"},
	} {
		args := append([]string{"listen", "--home", home, "--no-tunnel", "--signing-key", listenTestKey}, tc.args...)
		r := runCLI(t, nil, args...).wantExit(t, exitUsage)
		r.wantOneLineError(t, tc.want)
		if strings.Contains(r.stderr, "pw@") || strings.Contains(r.stderr, listenTestKey) {
			t.Errorf("a secret was printed: %s", r.stderr)
		}
	}
}

func TestCheckForwardOptionsWarnsOfPlainHTTPToAnotherMachine(t *testing.T) {
	t.Setenv(forwardSigningKeyEnv, "")
	for raw, warn := range map[string]bool{
		"http://127.0.0.1:3000/hook":      false,
		"http://localhost:3000/hook":      false,
		"https://staging.example.com/h":   false,
		"http://staging.example.com/hook": true,
	} {
		p, err := checkForwardOptions(forwardOptions{to: raw}, []byte("k"))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if (p.warning != "") != warn {
			t.Errorf("%s: warning %q, want one: %v", raw, p.warning, warn)
		}
		if string(p.key) != "k" {
			t.Errorf("%s: key %q, want the signing key by default", raw, p.key)
		}
	}
	p, err := checkForwardOptions(forwardOptions{to: "http://127.0.0.1/", signingKey: "fk"}, []byte("k"))
	if err != nil || string(p.key) != "fk" {
		t.Errorf("--forward-signing-key: key %q, %v; want fk", p.key, err)
	}
}

func TestShownTargetNeverEchoesCredentials(t *testing.T) {
	for _, raw := range []string{"http://user:pw@127.0.0.1/x", "http://user:pw@h:99999/x", "https://a:pw@b@h?q#f", "http://user:pw@"} {
		if got := shownTarget(raw); strings.Contains(got, "pw") {
			t.Errorf("shownTarget(%q) = %q", raw, got)
		}
	}
	if got := shownTarget("http://127.0.0.1:3000/a@b"); got != "http://127.0.0.1:3000/a@b" {
		t.Errorf("an @ in the path was cut: %q", got)
	}
}

func FuzzShownTarget(f *testing.F) {
	f.Add("http://user:secret@127.0.0.1/x")
	f.Add("https://a:secret@b@h:1/p?q@r#f")
	f.Fuzz(func(t *testing.T, raw string) {
		shown := shownTarget(raw)
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			// The password's text may also be in what is shown on purpose.
			shownParts := u.Host + u.Path + u.EscapedPath() + u.RawQuery + u.Fragment + u.EscapedFragment()
			if p, ok := u.User.Password(); ok && len(p) > 3 && strings.Contains(shown, p) && !strings.Contains(shownParts, p) {
				t.Fatalf("shownTarget(%q) = %q shows the password %q", raw, shown, p)
			}
		}
	})
}

func TestForwardAndResendHelp(t *testing.T) {
	listen := runCLI(t, nil, "listen", "--help").wantExit(t, exitOK).stdout
	for _, want := range []string{"--forward-to", "--forward-signing-key", forwardSigningKeyEnv, "fresh"} {
		if !strings.Contains(listen, want) {
			t.Errorf("listen --help does not mention %s", want)
		}
	}
	resend := runCLI(t, nil, "deliveries", "resend", "--help").wantExit(t, exitOK).stdout
	for _, want := range []string{"--to", "--signing-key", "running 'calwatch listen'", forwardSigningKeyEnv, "Exit code"} {
		if !strings.Contains(resend, want) {
			t.Errorf("deliveries resend --help does not mention %s", want)
		}
	}
}

// FuzzListenerLocalURL: whatever a state file says, resend's default target
// is refused or is a URL ParseTarget accepts, on this machine.
func FuzzListenerLocalURL(f *testing.F) {
	f.Add("127.0.0.1:8787", "http://127.0.0.1:8787/webhooks/calendly")
	f.Add("[::]:8787", "https://abc.ngrok.app/webhooks/calendly/s3cret")
	f.Add("0.0.0.0:1", "http://x/%zz")
	f.Fuzz(func(t *testing.T, addr, webhookURL string) {
		u, err := listenerLocalURL(home.ListenerState{PID: 1, Addr: addr, WebhookURL: webhookURL})
		if err != nil {
			return
		}
		if _, err := forward.ParseTarget(u.String()); err != nil || u.Scheme != "http" {
			t.Fatalf("listenerLocalURL(%q, %q) = %v, which ParseTarget refuses: %v", addr, webhookURL, u, err)
		}
	})
}
