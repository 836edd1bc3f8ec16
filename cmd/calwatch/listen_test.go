package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

func runListenCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &streams{in: strings.NewReader(""), out: &out, errOut: &errOut})
	return code, out.String(), errOut.String()
}

func TestListenUsageErrors(t *testing.T) {
	home := t.TempDir()
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want []string // parts of the one-line error
	}{
		{"no key", nil, []string{"--no-tunnel"}, []string{"CALWATCH_SIGNING_KEY", "--signing-key"}},
		{"no tunnel choice", nil, []string{"--signing-key", listenTestKey}, []string{"--no-tunnel", "--public-url"}},
		{"both tunnel choices", nil, []string{"--signing-key", listenTestKey, "--no-tunnel", "--public-url", "https://a.example"}, []string{"exclude"}},
		{"bad addr", nil, []string{"--signing-key", listenTestKey, "--no-tunnel", "--addr", "localhost"}, []string{"--addr", "HOST:PORT"}},
		{"bad port", nil, []string{"--signing-key", listenTestKey, "--no-tunnel", "--addr", "127.0.0.1:99999"}, []string{"--addr", "65535"}},
		{"bad path", nil, []string{"--signing-key", listenTestKey, "--no-tunnel", "--path", "hooks"}, []string{"--path", "start with /"}},
		{"path and random path", nil, []string{"--signing-key", listenTestKey, "--no-tunnel", "--path", "/a", "--random-path"}, []string{"--random-path"}},
		{"negative rate", nil, []string{"--signing-key", listenTestKey, "--no-tunnel", "--rate-limit", "-1"}, []string{"--rate-limit"}},
		{"public url with path", nil, []string{"--signing-key", listenTestKey, "--public-url", "https://a.example/hook"}, []string{"--public-url", "--path"}},
		{"unknown flag", nil, []string{"--signing-key", listenTestKey, "--no-tunnel", "--tunnel"}, []string{"unknown flag"}},
		{"no tunnel choice names all three", nil, []string{"--signing-key", listenTestKey}, []string{ngrokTokenEnv, "--public-url", "--no-tunnel"}},
		{"ngrok domain without a token", nil, []string{"--signing-key", listenTestKey, "--ngrok-domain", "me.ngrok.app"}, []string{ngrokTokenEnv, "dashboard.ngrok.com"}},
		{"ngrok domain and no tunnel", nil, []string{"--signing-key", listenTestKey, "--no-tunnel", "--ngrok-domain", "me.ngrok.app"}, []string{"exclude"}},
		{"bad ngrok domain", map[string]string{ngrokTokenEnv: "tok"}, []string{"--signing-key", listenTestKey, "--ngrok-domain", "https://me.ngrok.app"}, []string{"--ngrok-domain", "host name only"}},
		{"ngrok verify without ngrok", nil, []string{"--signing-key", listenTestKey, "--public-url", "https://a.example", "--ngrok-verify"}, []string{"--ngrok-verify", "ngrok tunnel only"}},
		{"ngrok verify with a key ngrok would read", map[string]string{ngrokTokenEnv: "tok"}, []string{"--signing-key", "k${x}", "--ngrok-verify"}, []string{"--ngrok-verify", "${"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(signingKeyEnv, "")
			t.Setenv(ngrokTokenEnv, "")
			code, stdout, stderr := runListenCLI(t, tc.env, append([]string{"listen", "--home", home}, tc.args...)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %s", code, exitUsage, stderr)
			}
			msg := strings.TrimSpace(stderr)
			if strings.Contains(msg, "\n") || stdout != "" {
				t.Errorf("want one line on stderr and nothing on stdout, got stdout %q stderr %q", stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if strings.Contains(stderr, listenTestKey) {
				t.Error("the signing key was printed")
			}
		})
	}
	if _, err := os.Stat(filepath.Join(home, "calwatch.db")); err == nil {
		t.Error("a usage error still created the database")
	}
}

func TestListenHelpDocumentsRateLimitAndKeyEnv(t *testing.T) {
	code, stdout, _ := runListenCLI(t, nil, "listen", "--help")
	if code != exitOK {
		t.Fatalf("listen --help exited %d", code)
	}
	for _, want := range []string{"--rate-limit", "429", "CALWATCH_SIGNING_KEY", "--no-tunnel", "--public-url", "--random-path"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("listen --help does not mention %s", want)
		}
	}
}

// TestListenEndToEnd: a signed delivery is stored and printed as a JSON
// line; a forged one is refused and printed as refused; an exact repeat is
// a duplicate; status shows the URL while running and not after; Ctrl-C
// exits 0 and the database has it all.
func TestListenEndToEnd(t *testing.T) {
	home := t.TempDir()
	t.Setenv(signingKeyEnv, listenTestKey) // the key comes from the environment
	l := startListen(t, home, "--no-tunnel", "--json", "--random-path")

	if !strings.HasPrefix(l.webhookURL, "http://127.0.0.1:") || !strings.Contains(l.webhookURL, "/webhooks/calendly/") {
		t.Fatalf("webhook_url %q: want http://127.0.0.1:PORT/webhooks/calendly/<secret>", l.webhookURL)
	}
	if info, err := os.Stat((&app{home: home}).paths().StatePath()); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}

	d := loadgen.InviteeCreated("e2e", 1, 3000)
	if code := postDelivery(t, l.webhookURL, listenTestKey, d.Body); code != http.StatusOK {
		t.Fatalf("signed delivery answered %d", code)
	}
	if code := postDelivery(t, l.webhookURL, "forged", d.Body); code != http.StatusUnauthorized {
		t.Errorf("forged delivery answered %d, want 401", code)
	}
	base := l.webhookURL[:strings.Index(l.webhookURL, "/webhooks")]
	if code := postDelivery(t, base+"/webhooks/calendly", listenTestKey, d.Body); code != http.StatusNotFound {
		t.Errorf("the default path answered %d while a random path is in use, want 404", code)
	}

	if code := l.stopListen(t); code != exitOK {
		t.Fatalf("listen exited %d after Ctrl-C\nstderr: %s", code, l.stderr)
	}
	if st := statusJSON(t, home); st.Listening {
		t.Error("status still reports listening after the listener stopped")
	}
	if _, err := os.Stat((&app{home: home}).paths().StatePath()); err == nil {
		t.Error("the state file was left behind")
	}

	lines := jsonLines(t, l.stdout.String())
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines (applied, refused), got %d:\n%s", len(lines), l.stdout)
	}
	// A line is printed after its answer is sent, so the next request can
	// overtake it: order by the log's id.
	slices.SortFunc(lines, func(a, b map[string]any) int { return cmp.Compare(a["id"].(float64), b["id"].(float64)) })
	if lines[0]["outcome"] != "applied" || lines[0]["invitee"] != d.InviteeURI || lines[0]["event"] != "invitee.created" {
		t.Errorf("first line %v: want the applied invitee.created for %s", lines[0], d.InviteeURI)
	}
	if lines[1]["outcome"] != "refused" || !strings.Contains(lines[1]["reason"].(string), "signature") {
		t.Errorf("second line %v: want refused for its signature", lines[1])
	}
	for _, s := range []string{l.stdout.String(), l.stderr.String()} {
		if strings.Contains(s, listenTestKey) {
			t.Fatal("the signing key was printed")
		}
	}

	store, err := storage.Open(context.Background(), filepath.Join(home, "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	recs, err := store.ListDeliveries(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var applied, refused int
	for _, r := range recs {
		switch r.Outcome {
		case storage.OutcomeApplied:
			applied++
			if !bytes.Equal(r.Body, d.Body) {
				t.Error("stored body differs from the bytes sent")
			}
		case storage.OutcomeRefused:
			refused++
		}
	}
	if applied != 1 || refused != 1 {
		t.Errorf("database has %d applied, %d refused; want 1, 1", applied, refused)
	}
}

// TestListenRefusesASecondListenerOnTheSameHome: two listeners on one home
// would fight over the state file; the second says who runs, in one line.
func TestListenRefusesASecondListenerOnTheSameHome(t *testing.T) {
	home := t.TempDir()
	first := startListen(t, home, "--no-tunnel", "--signing-key", listenTestKey)
	code, _, stderr := runListenCLI(t, nil, "listen", "--home", home, "--no-tunnel", "--addr", "127.0.0.1:0", "--signing-key", listenTestKey)
	if code != exitFailure || !strings.Contains(stderr, "already running") || !strings.Contains(stderr, first.webhookURL) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("second listener: exit %d, %q; want 1 and the running one's URL", code, stderr)
	}
	if code := first.stopListen(t); code != exitOK {
		t.Fatalf("first listener exited %d", code)
	}
	again := startListen(t, home, "--no-tunnel", "--signing-key", listenTestKey)
	if code := again.stopListen(t); code != exitOK {
		t.Fatalf("restarted listener exited %d", code)
	}
}

func TestListenPublicURLIsTheWebhookURL(t *testing.T) {
	home := t.TempDir()
	l := startListen(t, home, "--public-url", "https://hooks.example.com", "--path", "/in/calendly", "--signing-key", listenTestKey)
	if l.webhookURL != "https://hooks.example.com/in/calendly" {
		t.Errorf("webhook_url %q, want https://hooks.example.com/in/calendly", l.webhookURL)
	}
	if !strings.Contains(l.stderr.String(), "https://hooks.example.com/in/calendly") {
		t.Errorf("the webhook URL is not shown to the user: %s", l.stderr)
	}
}

func TestListenHumanOutputGoesToStderr(t *testing.T) {
	home := t.TempDir()
	l := startListen(t, home, "--no-tunnel", "--signing-key", listenTestKey)
	d := loadgen.InviteeCreated("human", 1, 0)
	if code := postDelivery(t, l.webhookURL, listenTestKey, d.Body); code != http.StatusOK {
		t.Fatalf("signed delivery answered %d", code)
	}
	if code := l.stopListen(t); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if l.stdout.String() != "" {
		t.Errorf("without --json stdout must stay empty, got %q", l.stdout)
	}
	if !strings.Contains(l.stderr.String(), "applied") || !strings.Contains(l.stderr.String(), "invitee.created") {
		t.Errorf("stderr does not show the applied delivery:\n%s", l.stderr)
	}
	// The line says what calwatch answered and how fast, as the TUI's feed.
	if !regexp.MustCompile(`#1 +applied +200 +[0-9.]+ms  invitee\.created`).MatchString(l.stderr.String()) {
		t.Errorf("stderr does not show the answer code and latency of the delivery:\n%s", l.stderr)
	}
}

func TestListenOnABusyPortSaysWhatToDo(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	home := t.TempDir()
	code, _, stderr := runListenCLI(t, nil, "listen", "--home", home, "--no-tunnel", "--signing-key", listenTestKey, "--addr", busy.Addr().String())
	msg := strings.TrimSpace(stderr)
	if code != exitFailure || strings.Contains(msg, "\n") || !strings.Contains(msg, busy.Addr().String()) || !strings.Contains(msg, "--addr") {
		t.Errorf("exit %d, %q; want 1 and one line naming the address and --addr", code, msg)
	}
	if st := statusJSON(t, home); st.Listening {
		t.Error("a listener that never started is reported as listening")
	}
}

// stalledWriter is a reader that has stopped reading: Write blocks until
// release is closed. entered gets a signal on the first Write.
type stalledWriter struct {
	entered chan struct{}
	release chan struct{}
	buf     lockedBuffer
}

func newStalledWriter() *stalledWriter {
	return &stalledWriter{entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (w *stalledWriter) Write(p []byte) (int, error) {
	select {
	case w.entered <- struct{}{}:
	default:
	}
	<-w.release
	return w.buf.Write(p)
}

// within fails the test unless done is closed before the deadline; the
// deadline only turns a hang into a failure.
func within(t *testing.T, what string, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s is blocked by a reader that does not read", what)
	}
}

func TestPrinterDoesNotWaitForAStalledReader(t *testing.T) {
	out, errOut := newStalledWriter(), &lockedBuffer{}
	const queued, overflow = 8, 5
	p := newDeliveryPrinter(out, errOut, true, queued)
	t.Cleanup(func() { close(out.release); <-p.done })
	p.record(storage.DeliveryRecord{ID: 1, Outcome: storage.OutcomeApplied})
	<-out.entered // the writer is now stuck on stdout

	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		for i := range queued + overflow {
			p.record(storage.DeliveryRecord{ID: int64(i + 2), Outcome: storage.OutcomeApplied})
		}
	}()
	within(t, "record", recorded)

	closed := make(chan struct{})
	go func() { defer close(closed); p.close(time.Millisecond) }()
	within(t, "close", closed)
	want := fmt.Sprintf("%d delivery lines were not printed: stdout was not being read", queued+overflow)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr %q does not say %q", errOut, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPrinterCountsDropsOnceTheReaderCatchesUp(t *testing.T) {
	out, errOut := newStalledWriter(), &lockedBuffer{}
	const queued, overflow = 8, 5
	p := newDeliveryPrinter(out, errOut, true, queued)
	p.record(storage.DeliveryRecord{ID: 1, Outcome: storage.OutcomeApplied})
	<-out.entered
	for i := range queued + overflow {
		p.record(storage.DeliveryRecord{ID: int64(i + 2), Outcome: storage.OutcomeApplied})
	}
	close(out.release)
	p.close(time.Minute) // returns as soon as the queue is printed
	if got := len(jsonLines(t, out.buf.String())); got != 1+queued {
		t.Errorf("%d lines printed, want %d (the stuck one and the queue)", got, 1+queued)
	}
	want := fmt.Sprintf("%d delivery lines were not printed: stdout was not being read", overflow)
	if n := strings.Count(errOut.String(), "were not printed"); n != 1 || !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q, want %q once", errOut, want)
	}
}

func TestListenAcknowledgesAndStopsWhileStdoutIsNotRead(t *testing.T) {
	home := t.TempDir()
	stdout, stderr := newStalledWriter(), &lockedBuffer{}
	t.Cleanup(func() { close(stdout.release) })
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		run(ctx, []string{"listen", "--json", "--home", home, "--addr", "127.0.0.1:0", "--no-tunnel", "--signing-key", listenTestKey},
			&streams{in: strings.NewReader(""), out: stdout, errOut: stderr})
	}()
	deadline := time.Now().Add(20 * time.Second)
	var url string
	for url == "" {
		if st := statusJSON(t, home); st.Listening {
			url = st.WebhookURL
		} else if time.Now().After(deadline) {
			t.Fatalf("listen never started\nstderr: %s", stderr)
		} else {
			time.Sleep(5 * time.Millisecond)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	body := []byte(`{"event":"invitee.created","created_at":"2026-03-02T09:15:00.000000Z","created_by":"https://api.calendly.com/users/U1","payload":{"uri":"https://api.calendly.com/scheduled_events/E1/invitees/I1","email":"a@example.com","event":"https://api.calendly.com/scheduled_events/E1","status":"active","created_at":"2026-03-02T09:15:00.000000Z","updated_at":"2026-03-02T09:15:00.000000Z"}}`)
	for i := range 3 {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(calendly.SignatureHeader, calendly.Sign([]byte(listenTestKey), time.Now(), body))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("delivery %d not acknowledged while stdout is not read: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("delivery %d answered %d, want 200", i+1, resp.StatusCode)
		}
	}
	stop()
	within(t, "stopping listen", exited)
	if !strings.Contains(stderr.String(), "were not printed: stdout was not being read") {
		t.Errorf("stderr does not say lines were lost to the stalled stdout:\n%s", stderr)
	}
}
