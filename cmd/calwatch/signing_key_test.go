package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// shortKeyWarning is the start of the warning about a short signing key.
const shortKeyWarning = "Warning: the signing key is shorter than 16 bytes"

func TestShortSigningKeyWarnsOnce(t *testing.T) {
	const short = "abc123-15-bytes" // 15 bytes
	ep := newEndpoint(t, 0, "")
	for _, tc := range []struct {
		key      string
		wantWarn bool
	}{{short, true}, {short + "!", false}, {testSigningKey, false}} {
		r := runCLI(t, nil, "trigger", "invitee.created", "--to", ep.URL, "--signing-key", tc.key)
		if n := strings.Count(r.stderr, shortKeyWarning); n != map[bool]int{true: 1, false: 0}[tc.wantWarn] {
			t.Errorf("trigger with a %d-byte key: %d warnings in %q", len(tc.key), n, r.stderr)
		}
		if strings.Contains(r.stderr, tc.key) {
			t.Errorf("trigger printed the key: %q", r.stderr)
		}
	}

	l := startListen(t, t.TempDir(), "--no-tunnel", "--signing-key", short)
	l.stopListen(t)
	stderr := l.stderr.String()
	if strings.Count(stderr, shortKeyWarning) != 1 || strings.Contains(stderr, short) {
		t.Errorf("listen with a short key: stderr %q; want the warning once and no key", stderr)
	}
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, shortKeyWarning) && strings.Contains(line, "15") {
			t.Errorf("the warning names the key's length: %q", line)
		}
	}
}

// slowStdin stands for a payload piped in slowly: the clock has moved on
// by the time it is read to the end.
type slowStdin struct {
	r       io.Reader
	advance func()
}

func (s *slowStdin) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		s.advance()
	}
	return n, err
}

// TestTriggerSignsAfterReadingStdin: a payload that takes ten minutes to
// arrive on stdin is signed with the time it was read, not the time trigger
// started (which any receiver would refuse as stale).
func TestTriggerSignsAfterReadingStdin(t *testing.T) {
	start := time.Unix(1_780_000_000, 0)
	clock := start
	payload := `{"event":"invitee.created","payload":{}}`
	a := &app{streams: &streams{
		in:  &slowStdin{r: strings.NewReader(payload), advance: func() { clock = clock.Add(10 * time.Minute) }},
		out: io.Discard, errOut: io.Discard,
	}}
	opts := &triggerOptions{to: "http://127.0.0.1:8080/hook", signingKey: testSigningKey, payloadFile: "-", timeout: time.Second}
	req, err := buildTrigger(a, opts, func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := calendly.Verify(req.signature, req.body, []byte(testSigningKey), start.Add(10*time.Minute), 0); err != nil {
		t.Errorf("a receiver checking at the time the payload was read refuses it: %v", err)
	}
}
