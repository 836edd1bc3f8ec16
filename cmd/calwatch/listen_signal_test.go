package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// brokenPipeNotice is what listen says once when its stdout goes away.
const brokenPipeNotice = "stdout was closed"

// TestListenSurvivesAClosedStdoutAndDrainsOnSIGHUP runs the real binary as
// `listen --json | head -c1` would: its stdout is a pipe nobody reads. The
// first delivery line used to kill it with SIGPIPE (exit 141, state file
// left behind). It must keep serving, say once that it stopped printing,
// and stop gracefully on SIGHUP.
func TestListenSurvivesAClosedStdoutAndDrainsOnSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals the calwatch binary; skipped with -short")
	}
	homeDir := t.TempDir()
	const key = "sigpipe-signing-key-long-enough"
	bin := calwatchBinary(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := startListenProcessWithStdout(t, bin, nil, homeDir, key, w, "--json")
	w.Close()
	r.Close() // the reader is gone: the next write to stdout is EPIPE

	var accepted []string
	for i := range 3 {
		d := loadgen.InviteeCreated("sigpipe", i, 3000)
		if code := postDelivery(t, p.state.WebhookURL, key, d.Body); code != http.StatusOK {
			t.Fatalf("delivery %d answered %d:\n%s", i, code, p.stderr)
		}
		accepted = append(accepted, d.InviteeURI)
		waitFor(t, "the delivery line to be attempted", func() bool {
			select {
			case <-p.exited:
				t.Fatalf("listen exited (%v) when its stdout was closed:\n%s", p.err, p.stderr)
			default:
			}
			return strings.Contains(p.stderr.String(), brokenPipeNotice)
		})
	}
	select {
	case <-p.exited:
		t.Fatalf("listen exited (%v) with its stdout closed:\n%s", p.err, p.stderr)
	default:
	}

	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("listen did not stop within 60 s of SIGHUP:\n%s", p.stderr)
	}
	if p.err != nil {
		t.Fatalf("listen exited with %v after SIGHUP:\n%s", p.err, p.stderr)
	}
	stderr := p.stderr.String()
	if n := strings.Count(stderr, brokenPipeNotice); n != 1 {
		t.Errorf("the closed stdout was reported %d times, want once:\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "Stopped") {
		t.Errorf("no drain message after SIGHUP:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(homeDir, "listen.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state file was left behind (%v)", err)
	}
	if missing := missingDeliveries(t, filepath.Join(homeDir, "calwatch.db"), accepted); len(missing) > 0 {
		t.Errorf("%d accepted deliveries are not in the database", len(missing))
	}
}

// waitFor polls cond until it holds, failing after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// failingWriter fails every write, as a pipe with no reader does.
type failingWriter struct{ writes atomic.Int32 }

func (w *failingWriter) Write([]byte) (int, error) {
	w.writes.Add(1)
	return 0, syscall.EPIPE
}

func TestPrinterStopsWritingToABrokenStdout(t *testing.T) {
	out := &failingWriter{}
	var errOut lockedBuffer
	p := newDeliveryPrinter(out, &errOut, true, 16)
	for i := range 5 {
		p.record(storage.DeliveryRecord{ID: int64(i + 1), Event: "invitee.created", Outcome: storage.OutcomeApplied})
	}
	p.close(10 * time.Second)
	if n := out.writes.Load(); n != 1 {
		t.Errorf("%d writes to the broken stdout, want 1 (then no more)", n)
	}
	if got := errOut.String(); strings.Count(got, brokenPipeNotice) != 1 || !strings.Contains(got, "broken pipe") || !strings.Contains(got, "deliveries list") {
		t.Errorf("stderr %q: want one notice naming the error and where the deliveries are", got)
	}
	if bytes.Contains([]byte(errOut.String()), []byte(`"id"`)) {
		t.Error("delivery JSON was moved to stderr")
	}
}
