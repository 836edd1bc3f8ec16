package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/home"
)

// hostile is a booked name that, printed raw, sets the terminal's title
// (OSC 0), clears the screen (CSI 2J), turns the line around (U+202E),
// breaks it (NEL, CR) and rings the bell.
const hostile = "Eve\x1b]0;owned\x07\x1b[2J\u202e\u0085\r\x07"

// hostileVisible is what of hostile must still be shown.
const hostileVisible = "Eve]0;owned[2J"

// wantNoControls fails when s holds anything that steers a terminal: a C0
// control but newline, DEL, a C1 control, a bidi override, or bytes that
// are not UTF-8.
func wantNoControls(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not UTF-8: %q", what, s)
	}
	for _, r := range s {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
			t.Errorf("%s carries %U: %q", what, r, s)
			return
		}
	}
}

// hostileStore stores one booking whose invitee name, timezone, event name
// and location are hostile, signed and recorded through the real path.
func hostileStore(t *testing.T) (db, email string) {
	t.Helper()
	rnd := rand.New(rand.NewPCG(7, 8))
	host := calendlytest.Host{URI: "https://api.calendly.com/users/" + calendlytest.RandomUUID(rnd), Name: "Acme", Email: "sales@acme.example.com"}
	eve := calendlytest.Person{Name: hostile, Email: "eve@example.com", Timezone: "Europe/Berlin" + hostile}
	booked := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	inv := calendlytest.SampleInvitee(rnd, booked, host, eve, time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC))
	inv.ScheduledEvent.Name = "Call " + hostile
	inv.ScheduledEvent.Location = &calendly.Location{Type: "physical", Location: "Room " + hostile}
	body := encodeSample(t, calendly.EventInviteeCreated, booked, host, inv)

	db = filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	store, err := storage.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	header := calendly.Sign([]byte(storeKey), now, body)
	sig, err := calendly.Verify(header, body, []byte(storeKey), now, 0)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := calendly.ParseDelivery(body)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := store.RecordDelivery(ctx, storage.IncomingDelivery{ReceivedAt: now, SignatureHeader: header, ReplayKey: sig.ReplayKey(), Body: body, Parsed: parsed}); err != nil || rec.Outcome != storage.OutcomeApplied {
		t.Fatalf("recording the hostile booking: %v, %q", err, rec.Outcome)
	}
	if _, err := store.RecordRefused(ctx, storage.RefusedDelivery{ReceivedAt: now, SignatureHeader: "t=1,v1=00", Body: []byte(hostile), Reason: "signature does not match the body"}); err != nil {
		t.Fatal(err)
	}
	return db, eve.Email
}

// TestTablesShowHostileTextInert: every read command prints the booking,
// minus what would steer the terminal.
func TestTablesShowHostileTextInert(t *testing.T) {
	db, email := hostileStore(t)
	for _, args := range [][]string{
		{"contacts", "list"},
		{"contacts", "show", email},
		{"events", "list"},
		{"deliveries", "list"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"--db", db}, args...)...).wantExit(t, exitOK)
			wantNoControls(t, "stdout", r.stdout)
			wantNoControls(t, "stderr", r.stderr)
			if args[0] != "deliveries" && !strings.Contains(r.stdout, hostileVisible) {
				t.Errorf("the name's printable part is not shown:\n%s", r.stdout)
			}
		})
	}
}

// TestJSONEscapesHostileText: --json is for programs: the text is kept
// whole, with its controls escaped by JSON itself.
func TestJSONEscapesHostileText(t *testing.T) {
	db, email := hostileStore(t)
	for _, args := range [][]string{{"contacts", "list", "--json"}, {"contacts", "show", email, "--json"}, {"events", "list", "--json"}} {
		r := runCLI(t, nil, append([]string{"--db", db}, args...)...).wantExit(t, exitOK)
		wantNoControls(t, strings.Join(args, " "), r.stdout)
		if !strings.Contains(r.stdout, `Eve\u001b]0;owned\u0007\u001b[2J\u202e\u0085\r\u0007`) {
			t.Errorf("%v: the name is not there with its controls escaped:\n%s", args, r.stdout)
		}
	}
	shown := decodeJSON[map[string]any](t, runCLI(t, nil, "--db", db, "contacts", "show", email, "--json"))
	if shown["name"] != hostile {
		t.Errorf("the name decodes to %q, want %q: escaping lost text", shown["name"], hostile)
	}
}

// TestListenLinesShowHostileTextInert: a signed delivery whose invitee
// email is hostile is printed, inert, on listen's stderr.
func TestListenLinesShowHostileTextInert(t *testing.T) {
	l := startListen(t, t.TempDir(), "--no-tunnel", "--signing-key", listenTestKey)
	rnd := rand.New(rand.NewPCG(9, 10))
	host := calendlytest.Host{URI: "https://api.calendly.com/users/" + calendlytest.RandomUUID(rnd), Name: "Acme", Email: "sales@acme.example.com"}
	booked := time.Now().UTC()
	inv := calendlytest.SampleInvitee(rnd, booked, host, calendlytest.Person{Name: "Eve", Email: "eve" + hostile + "@example.com"}, booked.Add(24*time.Hour))
	body := encodeSample(t, calendly.EventInviteeCreated, booked, host, inv)
	if code := postDelivery(t, l.webhookURL, listenTestKey, body); code != http.StatusOK {
		t.Fatalf("delivery answered %d\n%s", code, l.stderr)
	}
	waitFor(t, "the delivery line", func() bool { return strings.Contains(l.stderr.String(), "applied") })
	l.stopListen(t)
	wantNoControls(t, "listen's stderr", l.stderr.String())
	if !strings.Contains(l.stderr.String(), "eveEve]0;owned[2J") {
		t.Errorf("the email is not shown:\n%s", l.stderr)
	}
}

// TestTriggerEchoesAHostileAnswerInert: an endpoint's status text and body
// are the endpoint's to choose; trigger prints them without their controls,
// and so does its error line.
func TestTriggerEchoesAHostileAnswerInert(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		answer := "refused " + hostile + "\nsecond line"
		fmt.Fprintf(buf, "HTTP/1.1 400 Bad %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", strings.ReplaceAll(hostile, "\r", ""), len(answer), answer)
		buf.Flush()
	}))
	defer srv.Close()
	r := runCLI(t, nil, "trigger", "invitee.created", "--to", srv.URL, "--signing-key", listenTestKey).wantExit(t, exitFailure)
	wantNoControls(t, "stdout", r.stdout)
	wantNoControls(t, "stderr", r.stderr)
	if !strings.Contains(r.stdout, "refused "+hostileVisible) || !strings.Contains(r.stdout, "\nsecond line") {
		t.Errorf("the answer is not shown, lines kept:\n%s", r.stdout)
	}
	r.wantOneLineError(t, "400 Bad "+hostileVisible)
}

// TestStatusShowsAHostileStateInert: the state file is calwatch's own, but
// status still treats what it reads as text from outside.
func TestStatusShowsAHostileStateInert(t *testing.T) {
	dir := t.TempDir()
	lock, err := home.Resolve(dir, "").LockListener()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if err := lock.Publish(home.ListenerState{PID: 1, Addr: "127.0.0.1:1" + hostile, WebhookURL: "http://x/" + hostile, Database: "/db" + hostile, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "status", "--home", dir).wantExit(t, exitOK)
	wantNoControls(t, "status", r.stdout)
	if !strings.Contains(r.stdout, "http://x/"+hostileVisible) {
		t.Errorf("status does not show the URL:\n%s", r.stdout)
	}
}

// TestErrorLinesQuotingOutsideTextAreInert: an error that quotes what it
// was given (here an unknown flag, which the flag parser quotes raw) cannot
// steer the terminal either.
func TestErrorLinesQuotingOutsideTextAreInert(t *testing.T) {
	r := runCLI(t, nil, "events", "list", "--"+hostile).wantExit(t, exitUsage)
	wantNoControls(t, "stderr", r.stderr)
	r.wantOneLineError(t, "unknown flag", hostileVisible)
}
