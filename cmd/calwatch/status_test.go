package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStatusWhenNotListening(t *testing.T) {
	home := t.TempDir()
	code, stdout, _ := runListenCLI(t, nil, "status", "--json", "--home", home)
	if code != exitOK || strings.TrimSpace(stdout) != `{"listening":false}` {
		t.Errorf("status --json: exit %d, %q; want 0, {\"listening\":false}", code, stdout)
	}
	code, stdout, _ = runListenCLI(t, nil, "status", "--home", home)
	if code != exitOK || !strings.Contains(stdout, "Not listening") || !strings.Contains(stdout, "calwatch listen") {
		t.Errorf("status: exit %d, %q; want 0 and how to start listening", code, stdout)
	}
}

// TestStatusIgnoresTheStateOfADeadListener: after kill -9 the state file
// stays; status must not claim a dead process is listening.
func TestStatusIgnoresTheStateOfADeadListener(t *testing.T) {
	home := t.TempDir()
	a := &app{home: home}
	if err := a.writeListenState(listenState{PID: deadPID(t), Addr: "127.0.0.1:1", WebhookURL: "http://127.0.0.1:1/webhooks/calendly"}); err != nil {
		t.Fatal(err)
	}
	if st := statusJSON(t, home); st.Listening {
		t.Errorf("status reports a dead listener as listening: %+v", st)
	}
}

// deadPID is the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Skipf("cannot start /bin/true for a dead pid: %v", err)
	}
	if _, err := p.Wait(); err != nil {
		t.Fatal(err)
	}
	return p.Pid
}

func TestStatusWhileListeningHumanForm(t *testing.T) {
	home := t.TempDir()
	l := startListen(t, home, "--no-tunnel", "--signing-key", listenTestKey)
	code, stdout, _ := runListenCLI(t, nil, "status", "--home", home)
	if code != exitOK || !strings.Contains(stdout, "Listening") || !strings.Contains(stdout, l.webhookURL) {
		t.Errorf("status: exit %d, %q; want the webhook URL", code, stdout)
	}
	st := statusJSON(t, home)
	if st.PID != os.Getpid() || st.Database != filepath.Join(home, "calwatch.db") || st.Addr == "" {
		t.Errorf("status --json %+v: want this pid, the database and the address", st)
	}
	if strings.Contains(stdout, listenTestKey) {
		t.Error("status printed the signing key")
	}
}

func TestStatusRefusesADamagedStateFile(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, listenStateFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runListenCLI(t, nil, "status", "--json", "--home", home)
	if code != exitFailure || stdout != "" {
		t.Fatalf("exit %d stdout %q; want 1 and nothing on stdout", code, stdout)
	}
	msg := strings.TrimSpace(stderr)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, listenStateFile) || !strings.Contains(msg, "delete it") {
		t.Errorf("error %q: want one line naming the file and what to do", msg)
	}
}

// FuzzParseListenState: whatever is in the state file, status never panics
// and never accepts a state without a real pid and URL.
func FuzzParseListenState(f *testing.F) {
	f.Add([]byte(`{"pid":12,"addr":"127.0.0.1:1","webhook_url":"http://127.0.0.1:1/x","database":"/d","started_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"pid":-1}`))
	f.Add([]byte(`{"pid":"12"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseListenState(b)
		if err == nil && (s.PID <= 0 || s.WebhookURL == "" || s.Addr == "") {
			t.Fatalf("accepted %q as %+v", b, s)
		}
	})
}
