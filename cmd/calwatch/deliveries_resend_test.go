package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

func TestDeliveriesResendToAnAppVerifiesWithTheNewSignature(t *testing.T) {
	bk := newBookings(t)
	t.Setenv(signingKeyEnv, "")
	t.Setenv(forwardSigningKeyEnv, "")
	appURL, got := newTestApp(t, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte("\n  queued \x1b[31mjob 7\n second line\n"))
	})
	before := time.Now().Add(-time.Second)
	r := bk.cli(t, "deliveries", "resend", "2", "--to", appURL, "--signing-key", forwardTestKey).wantExit(t, exitOK)
	req := nextAppRequest(t, got)
	if !bytes.Equal(req.body, bk.sent[1]) {
		t.Error("the resent body is not delivery 2's bytes as received")
	}
	sig, err := calendly.Verify(req.signature, req.body, []byte(forwardTestKey), time.Now(), calendly.DefaultTolerance)
	if err != nil {
		t.Fatalf("the resent signature does not verify with the given key: %v", err)
	}
	if sig.Timestamp.Before(before.Truncate(time.Second)) || req.signature == bk.headers[1] {
		t.Errorf("the resend carries t=%v, want a fresh one", sig.Timestamp)
	}
	if !strings.HasPrefix(r.stdout, "202 Accepted in ") || !strings.HasSuffix(r.stdout, "  queued [31mjob 7\n") ||
		strings.Count(r.stdout, "\n") != 1 || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("stdout = %q; want one line: status, latency, the body's first line made safe", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, forwardTestKey) {
		t.Error("the signing key was printed")
	}

	// The key may come from the environment; the forward key first.
	t.Setenv(signingKeyEnv, "not-this-one")
	t.Setenv(forwardSigningKeyEnv, forwardTestKey)
	j := decodeJSON[map[string]any](t, bk.cli(t, "deliveries", "resend", "6", "--to", appURL, "--json").wantExit(t, exitOK))
	req = nextAppRequest(t, got)
	if _, err := calendly.Verify(req.signature, req.body, []byte(forwardTestKey), time.Now(), calendly.DefaultTolerance); err != nil {
		t.Errorf("with $%s set, the resend does not verify with it: %v", forwardSigningKeyEnv, err)
	}
	if string(req.body) != `{"event":"forged"}` {
		t.Errorf("the refused delivery was resent as %q, want its stored bytes", req.body)
	}
	wantKeys(t, "resend --json", j, "id", "event", "url", "status", "latency_ms", "body", "body_truncated")
	if j["id"] != float64(6) || j["status"] != float64(202) || j["url"] != appURL {
		t.Errorf("resend --json = %v", j)
	}
}

func TestDeliveriesResendFailures(t *testing.T) {
	bk := newBookings(t)
	t.Setenv(signingKeyEnv, "")
	t.Setenv(forwardSigningKeyEnv, "")
	failing, _ := newTestApp(t, func(w http.ResponseWriter) { http.Error(w, "boom", http.StatusInternalServerError) })
	// An address where nothing listens any more.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/webhooks/calendly"
	ln.Close()

	key := []string{"--signing-key", forwardTestKey}
	bk.cli(t, append([]string{"deliveries", "resend", "999", "--to", failing}, key...)...).
		wantExit(t, exitFailure).wantOneLineError(t, "no delivery 999", "deliveries list")
	bk.cli(t, append([]string{"deliveries", "resend", "1", "--to", failing}, key...)...).
		wantExit(t, exitFailure).wantOneLineError(t, "answered 500", "not 2xx")
	bk.cli(t, append([]string{"deliveries", "resend", "abc", "--to", failing}, key...)...).
		wantExit(t, exitUsage).wantOneLineError(t, `"abc" is not a delivery id`)
	bk.cli(t, append([]string{"deliveries", "resend", "1", "--to", "ftp://x/"}, key...)...).
		wantExit(t, exitUsage).wantOneLineError(t, "--to", "http://")
	bk.cli(t, "deliveries", "resend", "1", "--to", failing).
		wantExit(t, exitUsage).wantOneLineError(t, "--signing-key", forwardSigningKeyEnv)
	bk.cli(t, append([]string{"deliveries", "resend", "1", "--home", t.TempDir()}, key...)...).
		wantExit(t, exitUsage).wantOneLineError(t, "no calwatch listen is running", "--to URL")

	bk.cli(t, append([]string{"deliveries", "resend", "1", "--to", closed}, key...)...).
		wantExit(t, exitFailure).wantOneLineError(t, "cannot reach", "is it running?")
}

func TestDeliveriesResendRefusesABodyKeptInPart(t *testing.T) {
	bk := newBookings(t)
	store, err := storage.Open(context.Background(), bk.db)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.RecordRefused(context.Background(), storage.RefusedDelivery{Body: bytes.Repeat([]byte("x"), 2<<20),
		Reason: "body is larger than 1048576 bytes"})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	app, got := newTestApp(t, func(w http.ResponseWriter) {})
	bk.cli(t, "deliveries", "resend", "7", "--to", app, "--signing-key", forwardTestKey).
		wantExit(t, exitFailure).wantOneLineError(t, "delivery 7", "cannot be resent", "first")
	if rec.ID != 7 || len(got) != 0 {
		t.Errorf("refused id %d, app requests %d; want 7 and none", rec.ID, len(got))
	}
}

// TestDeliveriesResendDefaultsToTheRunningListener: without --to, resend
// goes to the running listener, which stores it again as a new delivery.
func TestDeliveriesResendDefaultsToTheRunningListener(t *testing.T) {
	home := t.TempDir()
	t.Setenv(signingKeyEnv, listenTestKey)
	l := startListen(t, home, "--no-tunnel", "--random-path")
	d := loadgen.InviteeCreated("resend", 1, 3000)
	if code := postDelivery(t, l.webhookURL, listenTestKey, d.Body); code != http.StatusOK {
		t.Fatalf("delivery answered %d", code)
	}
	r := runCLI(t, nil, "deliveries", "resend", "1", "--home", home).wantExit(t, exitOK)
	if !strings.HasPrefix(r.stdout, "200 OK in ") || !strings.Contains(r.stdout, `"outcome":"applied"`) {
		t.Errorf("stdout = %q; want the listener's 200 with the new row's outcome", r.stdout)
	}
	if code := l.stopListen(t); code != exitOK {
		t.Fatalf("listen exited %d", code)
	}
	log := decodeJSON[[]map[string]any](t, runCLI(t, nil, "deliveries", "list", "--json", "--show-signatures", "--home", home).wantExit(t, exitOK))
	if len(log) != 2 || log[0]["body"] != string(d.Body) || log[0]["outcome"] != "applied" || log[0]["signature_header"] == log[1]["signature_header"] {
		t.Errorf("after the resend the log holds %d rows; want the resend as a new applied row with a new signature", len(log))
	}
}
