package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

const listenTestKey = "whsec-listen-test-key-never-printed"

// lockedBuffer is a bytes.Buffer the listener's handlers may write to
// while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runningListen is `calwatch listen` running in-process.
type runningListen struct {
	stop           context.CancelFunc
	done           chan int // the exit code, once it has stopped
	stdout, stderr *lockedBuffer
	home           string
	webhookURL     string
}

// startListen runs calwatch listen with args in-process and waits until
// `calwatch status --json` reports its webhook URL.
func startListen(t *testing.T, home string, args ...string) *runningListen {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	l := &runningListen{stop: stop, done: make(chan int, 1), stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, home: home}
	full := append([]string{"listen", "--home", home, "--addr", "127.0.0.1:0"}, args...)
	go func() { l.done <- run(ctx, full, &streams{in: strings.NewReader(""), out: l.stdout, errOut: l.stderr}) }()
	t.Cleanup(func() {
		stop()
		select {
		case <-l.done:
		case <-time.After(30 * time.Second):
			t.Error("calwatch listen did not stop within 30 s of its context ending")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case code := <-l.done:
			t.Fatalf("calwatch listen exited %d before listening\nstderr: %s", code, l.stderr)
		default:
		}
		if st := statusJSON(t, home); st.Listening {
			l.webhookURL = st.WebhookURL
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("calwatch status never reported the listener\nstderr: %s", l.stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// stopListen cancels the listener's context (as SIGINT does) and returns
// its exit code.
func (l *runningListen) stopListen(t *testing.T) int {
	t.Helper()
	l.stop()
	select {
	case code := <-l.done:
		l.done <- code // for Cleanup
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("calwatch listen did not stop within 30 s")
		return -1
	}
}

func statusJSON(t *testing.T, home string) statusReport {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"status", "--json", "--home", home}, &streams{in: strings.NewReader(""), out: &out, errOut: &errOut})
	if code != exitOK {
		t.Fatalf("calwatch status --json exited %d: %s", code, errOut.String())
	}
	var st statusReport
	if err := json.Unmarshal(out.Bytes(), &st); err != nil {
		t.Fatalf("calwatch status --json printed %q: %v", out.String(), err)
	}
	return st
}

// postDelivery sends body to url signed with key now, and returns the status.
func postDelivery(t *testing.T, url, key string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(calendly.SignatureHeader, calendly.Sign([]byte(key), time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// jsonLines decodes one JSON object per line, failing on anything else.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stdout line is not a JSON object: %q", line)
		}
		lines = append(lines, m)
	}
	return lines
}
