package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

const testSigningKey = "whsec_trigger-test-key-never-printed"

// endpoint is a webhook receiver that checks every delivery the way a
// careful integration does and remembers what it got.
type endpoint struct {
	*httptest.Server
	mu       sync.Mutex
	received []received
	status   int    // what to answer; 200 when 0
	answer   string // the answer's body
}

type received struct {
	body      []byte
	verifyErr error
	delivery  *calendly.Delivery
	header    http.Header
}

func newEndpoint(t *testing.T, status int, answer string) *endpoint {
	t.Helper()
	e := &endpoint{status: status, answer: answer}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec := received{body: body, header: r.Header.Clone()}
		_, rec.verifyErr = calendly.Verify(r.Header.Get(calendly.SignatureHeader), body, []byte(testSigningKey), time.Now(), 0)
		if rec.verifyErr == nil {
			rec.delivery, _ = calendly.ParseDelivery(body)
		}
		e.mu.Lock()
		e.received = append(e.received, rec)
		e.mu.Unlock()
		if e.status != 0 {
			w.WriteHeader(e.status)
		}
		io.WriteString(w, e.answer)
	}))
	t.Cleanup(e.Close)
	return e
}

// only returns the one delivery the endpoint got.
func (e *endpoint) only(t *testing.T) received {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.received) != 1 {
		t.Fatalf("endpoint got %d deliveries, want 1", len(e.received))
	}
	return e.received[0]
}

func (e *endpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.received)
}

// noSecret fails when the signing key shows up in anything printed.
func (r cliResult) noSecret(t *testing.T) cliResult {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, testSigningKey) {
		t.Fatalf("the signing key was printed:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
	return r
}

func TestTriggerSendsEveryEventSignedAndParseable(t *testing.T) {
	for _, event := range calendly.KnownEvents {
		t.Run(event, func(t *testing.T) {
			ep := newEndpoint(t, 0, `{"ok":true}`)
			r := runCLI(t, nil, "trigger", event, "--to", ep.URL+"/hook", "--signing-key", testSigningKey).wantExit(t, exitOK).noSecret(t)
			got := ep.only(t)
			if got.verifyErr != nil {
				t.Fatalf("the endpoint could not verify the signature: %v", got.verifyErr)
			}
			if got.delivery == nil || got.delivery.Event != event {
				t.Fatalf("the endpoint got %s, want a parseable %s delivery", got.body, event)
			}
			if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if !strings.Contains(r.stdout, "200 OK") || !strings.Contains(r.stdout, `{"ok":true}`) {
				t.Errorf("stdout = %q, want the answer's status and body", r.stdout)
			}
		})
	}
}

func TestTriggerTakesTheKeyFromTheEnvironment(t *testing.T) {
	t.Setenv(signingKeyEnv, testSigningKey)
	ep := newEndpoint(t, http.StatusNoContent, "")
	runCLI(t, nil, "trigger", "invitee.created", "--to", ep.URL).wantExit(t, exitOK).noSecret(t)
	if err := ep.only(t).verifyErr; err != nil {
		t.Fatalf("signed with the wrong key: %v", err)
	}
}

func TestTriggerSendsAPayloadFileAsIs(t *testing.T) {
	// Spacing, key order and escapes that re-encoding would change.
	content := []byte("{ \"event\": \"invitee.created\",\n  \"payload\": {\"uri\": \"u\", \"event\": \"e\", \"name\": \"Zo\\u00eb\", \"n\": 1.50} }\n")
	file := filepath.Join(t.TempDir(), "delivery.json")
	if err := os.WriteFile(file, content, 0o600); err != nil {
		t.Fatal(err)
	}
	ep := newEndpoint(t, 0, "")
	runCLI(t, nil, "trigger", "--payload", file, "--to", ep.URL, "--signing-key", testSigningKey).wantExit(t, exitOK)
	got := ep.only(t)
	if string(got.body) != string(content) || got.verifyErr != nil {
		t.Fatalf("sent %q (verify: %v), want the file's bytes exactly, correctly signed", got.body, got.verifyErr)
	}
}

func TestTriggerSendsStdinAndEvenGarbage(t *testing.T) {
	ep := newEndpoint(t, http.StatusBadRequest, "bad json")
	r := runCLI(t, strings.NewReader("not json at all"), "trigger", "--payload", "-", "--to", ep.URL, "--signing-key", testSigningKey).wantExit(t, exitFailure)
	r.wantOneLineError(t, "400")
	got := ep.only(t)
	if string(got.body) != "not json at all" || got.verifyErr != nil {
		t.Fatalf("sent %q (verify: %v), want stdin as is, correctly signed", got.body, got.verifyErr)
	}
	if !strings.Contains(r.stdout, "400 Bad Request") || !strings.Contains(r.stdout, "bad json") {
		t.Errorf("stdout = %q, want the refusal's status and body", r.stdout)
	}
}

func TestTriggerSetEditsBeforeSigning(t *testing.T) {
	ep := newEndpoint(t, 0, "")
	runCLI(t, nil, "trigger", "invitee.created", "--to", ep.URL, "--signing-key", testSigningKey,
		"--set", "payload.email=x@y.z",
		"--set", `payload.questions_and_answers.0={"question":"Why?","answer":"old","position":0}`,
		"--set", "payload.questions_and_answers.0.answer=hi, there",
		"--set", "payload.rescheduled=true",
		"--set", "payload.scheduled_event.name=Café ☕",
	).wantExit(t, exitOK)
	got := ep.only(t)
	if got.verifyErr != nil || got.delivery == nil {
		t.Fatalf("edited delivery not verified (%v) or not parsed: %s", got.verifyErr, got.body)
	}
	inv := got.delivery.Invitee
	if inv.Email != "x@y.z" || inv.QuestionsAndAnswers[0].Answer != "hi, there" || !inv.Rescheduled || inv.ScheduledEvent.Name != "Café ☕" {
		t.Fatalf("edits not applied: email %q, answer %+v, rescheduled %v, name %q", inv.Email, inv.QuestionsAndAnswers, inv.Rescheduled, inv.ScheduledEvent.Name)
	}
}

func TestTriggerJSONPrintsOnlyStatusAndBody(t *testing.T) {
	ep := newEndpoint(t, http.StatusAccepted, `{"queued":1}`)
	r := runCLI(t, nil, "trigger", "invitee.canceled", "--to", ep.URL, "--signing-key", testSigningKey, "--json").wantExit(t, exitOK)
	var answer map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &answer); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, r.stdout)
	}
	if len(answer) != 2 || answer["status"] != float64(202) || answer["body"] != `{"queued":1}` {
		t.Fatalf("--json = %v, want exactly {status: 202, body: the answer}", answer)
	}
}

func TestTriggerFailsOnNon2xxAndRedirects(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusUnauthorized, http.StatusFound, http.StatusGone} {
		ep := newEndpoint(t, status, "nope")
		r := runCLI(t, nil, "trigger", "invitee.created", "--to", ep.URL, "--signing-key", testSigningKey).wantExit(t, exitFailure).noSecret(t)
		r.wantOneLineError(t, http.StatusText(status), ep.URL)
		if ep.count() != 1 {
			t.Errorf("status %d: endpoint got %d requests, want 1 (redirects not followed)", status, ep.count())
		}
	}
}

func TestTriggerFailsWhenTheEndpointIsDown(t *testing.T) {
	ep := newEndpoint(t, 0, "")
	url := ep.URL
	ep.Close()
	runCLI(t, nil, "trigger", "invitee.created", "--to", url, "--signing-key", testSigningKey).
		wantExit(t, exitFailure).noSecret(t).wantOneLineError(t, "cannot reach", url)
}

func TestTriggerGivesUpAfterTimeout(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	runCLI(t, nil, "trigger", "invitee.created", "--to", slow.URL, "--signing-key", testSigningKey, "--timeout", "50ms").
		wantExit(t, exitFailure).wantOneLineError(t, "no answer within 50ms")
}

func TestTriggerUsageErrorsSendNothing(t *testing.T) {
	t.Setenv(signingKeyEnv, "")
	ep := newEndpoint(t, 0, "")
	file := filepath.Join(t.TempDir(), "d.json")
	os.WriteFile(file, []byte(`{"event":"invitee.canceled","payload":{}}`), 0o600)
	key := []string{"--signing-key", testSigningKey}
	tests := []struct {
		name  string
		args  []string
		parts []string
	}{
		{"unknown event", append([]string{"invitee.updated", "--to", ep.URL}, key...), []string{"invitee.updated", "invitee.created"}},
		{"no event", append([]string{"--to", ep.URL}, key...), []string{"EVENT", "--payload"}},
		{"two events", append([]string{"invitee.created", "invitee.canceled", "--to", ep.URL}, key...), []string{"one EVENT"}},
		{"no --to", append([]string{"invitee.created"}, key...), []string{"--to"}},
		{"bad --to", append([]string{"invitee.created", "--to", "localhost:8080"}, key...), []string{"--to", "http"}},
		{"--to port 0", append([]string{"invitee.created", "--to", "http://127.0.0.1:0/hook"}, key...), []string{"--to", "port 0", "1 and 65535"}},
		{"--to port 65536", append([]string{"invitee.created", "--to", "http://127.0.0.1:65536/hook"}, key...), []string{"--to", "port 65536", "1 and 65535"}},
		{"--to port 99999", append([]string{"invitee.created", "--to", "https://[::1]:99999/"}, key...), []string{"--to", "port 99999"}},
		{"no key", []string{"invitee.created", "--to", ep.URL}, []string{"--signing-key", signingKeyEnv}},
		{"bad --set", append([]string{"invitee.created", "--to", ep.URL, "--set", "payload.email"}, key...), []string{"path=value"}},
		{"--set into a string", append([]string{"invitee.created", "--to", ep.URL, "--set", "payload.email.x=1"}, key...), []string{"payload.email"}},
		{"event contradicts file", append([]string{"invitee.created", "--payload", file, "--to", ep.URL}, key...), []string{"invitee.canceled"}},
		{"bad --timeout", append([]string{"invitee.created", "--to", ep.URL, "--timeout", "soon"}, key...), []string{"--timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, nil, append([]string{"trigger"}, tt.args...)...).wantExit(t, exitUsage).noSecret(t)
			r.wantOneLineError(t, tt.parts...)
		})
	}
	if ep.count() != 0 {
		t.Fatalf("usage errors sent %d deliveries", ep.count())
	}
}

func TestTriggerMissingPayloadFileFails(t *testing.T) {
	ep := newEndpoint(t, 0, "")
	runCLI(t, nil, "trigger", "--payload", filepath.Join(t.TempDir(), "missing.json"), "--to", ep.URL, "--signing-key", testSigningKey).
		wantExit(t, exitFailure).wantOneLineError(t, "missing.json")
	if ep.count() != 0 {
		t.Fatal("sent a delivery without a payload")
	}
}

// FuzzBuildTrigger feeds trigger's outside inputs (the --to URL, EVENT, a
// --set and a payload on stdin) and checks what it makes of them: either a
// refusal that names no secret, or a delivery whose signature verifies and,
// without --set, whose body is the payload byte for byte.
func FuzzBuildTrigger(f *testing.F) {
	f.Add("http://127.0.0.1:8080/webhooks/calendly", "", "", `{"event":"invitee.created","payload":{}}`)
	f.Add("https://example.com/hook", "invitee.created", "payload.email=x@y.z", `{"event":"invitee.created","payload":{"email":"a"}}`)
	f.Add("ftp://example.com", "", "", "x")
	f.Add("http://[::1]:8080/", "invitee.canceled", "", `{"event":"invitee.created"}`)
	f.Add("http://h/", "", "a.0=1", `{"a":[]}`)
	now := time.Unix(1_780_000_000, 0)
	f.Fuzz(func(t *testing.T, to, event, set, payload string) {
		opts := &triggerOptions{event: event, to: to, signingKey: testSigningKey, payloadFile: "-", timeout: time.Second}
		if set != "" {
			opts.sets = []string{set}
		}
		a := &app{streams: &streams{in: strings.NewReader(payload), out: io.Discard, errOut: io.Discard}}
		req, err := buildTrigger(a, opts, func() time.Time { return now })
		if err != nil {
			if strings.Contains(err.Error(), testSigningKey) {
				t.Fatalf("refusal names the signing key: %v", err)
			}
			return
		}
		if req.target.Scheme != "http" && req.target.Scheme != "https" || req.target.Host == "" {
			t.Fatalf("accepted --to %q, which is not an http(s) URL", to)
		}
		if p := req.target.Port(); p != "" {
			if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
				t.Fatalf("accepted --to %q, whose port is not 1–65535", to)
			}
		}
		if _, err := calendly.Verify(req.signature, req.body, []byte(testSigningKey), now, 0); err != nil {
			t.Fatalf("the signature does not verify: %v", err)
		}
		if set == "" && string(req.body) != payload {
			t.Fatalf("without --set the body changed: %q → %q", payload, req.body)
		}
	})
}
