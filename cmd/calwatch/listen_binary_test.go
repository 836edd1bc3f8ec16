package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // for PRAGMA integrity_check on the listener's database

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/home"
)

// Helpers for tests and benchmarks that run the real calwatch binary.

// calwatchBinary builds calwatch into a temporary directory; the Go build
// cache makes every build after the first a link.
func calwatchBinary(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "calwatch")
	if out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build calwatch: %v\n%s", err, out)
	}
	return path
}

// listenProcess is a calwatch listen child process.
type listenProcess struct {
	cmd    *exec.Cmd
	home   string
	state  home.ListenerState
	stderr *lockedBuffer
	exited chan struct{} // closed when it has exited and been reaped
	err    error         // its exit status, after exited
}

// startListenProcess runs `[prefix…] calwatch listen --no-tunnel --addr
// 127.0.0.1:0 --home homeDir extra…` with the key in the environment and
// waits for its state file.
func startListenProcess(t testing.TB, bin string, prefix []string, homeDir, key string, extra ...string) *listenProcess {
	t.Helper()
	return startListenProcessWithStdout(t, bin, prefix, homeDir, key, nil, extra...)
}

// startListenProcessWithStdout is startListenProcess with the child's
// stdout given (nil: /dev/null).
func startListenProcessWithStdout(t testing.TB, bin string, prefix []string, homeDir, key string, stdout *os.File, extra ...string) *listenProcess {
	t.Helper()
	args := append(append([]string{}, prefix...), bin, "listen", "--no-tunnel", "--addr", "127.0.0.1:0", "--home", homeDir)
	args = append(args, extra...)
	p := &listenProcess{home: homeDir, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(args[0], args[1:]...)
	p.cmd.Env = append(os.Environ(), signingKeyEnv+"="+key)
	p.cmd.Stderr = p.stderr
	if stdout != nil {
		p.cmd.Stdout = stdout
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start calwatch listen: %v", err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.kill() })

	a := &app{home: homeDir}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.exited:
			t.Fatalf("calwatch listen exited (%v) before listening:\n%s", p.err, p.stderr)
		default:
		}
		if st, ok, err := a.paths().Listener(); err == nil && ok && st.PID == p.cmd.Process.Pid {
			p.state = st
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("calwatch listen wrote no state file within 30 s:\n%s", p.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *listenProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// stop sends SIGTERM and waits for a clean exit.
func (p *listenProcess) stop(t testing.TB) {
	t.Helper()
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("calwatch listen did not stop within 60 s of SIGINT:\n%s", p.stderr)
	}
	if p.err != nil {
		t.Fatalf("calwatch listen exited with %v after SIGINT:\n%s", p.err, p.stderr)
	}
}

// integrityCheck runs PRAGMA integrity_check on the database file.
func integrityCheck(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var verdict string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&verdict); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if verdict != "ok" {
		t.Fatalf("PRAGMA integrity_check = %q", verdict)
	}
}

// missingDeliveries returns the invitee URIs of accepted that the
// database has no applied or duplicate delivery for.
func missingDeliveries(t testing.TB, dbPath string, accepted []string) []string {
	t.Helper()
	store, err := storage.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatalf("open the database after the run: %v", err)
	}
	defer store.Close()
	recs, err := store.ListDeliveries(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	// An invitee is named by each of its deliveries (booked, canceled,
	// marked): it must be in the log at least as often as it was accepted.
	stored := make(map[string]int, len(recs))
	for _, r := range recs {
		if r.Outcome != storage.OutcomeRefused {
			stored[r.Invitee]++
		}
	}
	var missing []string
	for _, uri := range accepted {
		if stored[uri] == 0 {
			missing = append(missing, uri)
		}
		stored[uri]--
	}
	return missing
}

// statusOf runs the built binary's status --json for home.
func statusOf(t testing.TB, bin, home string) statusReport {
	t.Helper()
	out, err := exec.Command(bin, "status", "--json", "--home", home).Output()
	if err != nil {
		t.Fatalf("calwatch status --json: %v", err)
	}
	var st statusReport
	if err := json.Unmarshal(bytes.TrimSpace(out), &st); err != nil {
		t.Fatalf("calwatch status --json printed %q", out)
	}
	return st
}
