package main

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
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
	if code != exitOK || !strings.Contains(stdout, "Not running") || !strings.Contains(stdout, "calwatch listen") {
		t.Errorf("status: exit %d, %q; want 0 and how to start listening", code, stdout)
	}
}

// TestStatusIgnoresTheStateOfADeadListener: after kill -9 or a reboot the
// state file stays, and its pid may be free or, after a reboot, belong to
// another live process (here: the test itself). Only the listener lock
// tells whether a listener runs.
func TestStatusIgnoresTheStateOfADeadListener(t *testing.T) {
	for name, pid := range map[string]int{"dead pid": deadPID(t), "reused pid": os.Getpid()} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			state := `{"pid":` + strconv.Itoa(pid) + `,"addr":"127.0.0.1:1","webhook_url":"http://127.0.0.1:1/webhooks/calendly"}`
			if err := os.WriteFile((&app{home: home}).paths().StatePath(), []byte(state), 0o600); err != nil {
				t.Fatal(err)
			}
			if st := statusJSON(t, home); st.Listening {
				t.Errorf("status reports a listener that holds no lock as listening: %+v", st)
			}
		})
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

// TestStatusRefusesADamagedStateFile: a running listener (it holds the
// lock) whose state file cannot be read is an error naming the file; the
// same file with no listener running is just stale.
func TestStatusRefusesADamagedStateFile(t *testing.T) {
	dir := t.TempDir()
	paths := (&app{home: dir}).paths()
	if err := os.WriteFile(paths.StatePath(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if st := statusJSON(t, dir); st.Listening {
		t.Errorf("a damaged state file with no listener: %+v", st)
	}
	lock, err := paths.LockListener()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if err := os.WriteFile(paths.StatePath(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runListenCLI(t, nil, "status", "--json", "--home", dir)
	if code != exitFailure || stdout != "" {
		t.Fatalf("exit %d stdout %q; want 1 and nothing on stdout", code, stdout)
	}
	msg := strings.TrimSpace(stderr)
	if strings.Contains(msg, "\n") || !strings.Contains(msg, paths.StatePath()) || !strings.Contains(msg, "start it again") {
		t.Errorf("error %q: want one line naming the file and what to do", msg)
	}
}

// TestStatusReportsWhatItCanOfAnUnreadableDatabase: while a starting
// listener is still preparing its database (or the file is not calwatch's),
// status still answers, and says why the account is unknown.
func TestStatusReportsWhatItCanOfAnUnreadableDatabase(t *testing.T) {
	home := t.TempDir()
	db, err := sql.Open("sqlite3", filepath.Join(home, "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE t (x)"); err != nil { // a database, schema version 0
		t.Fatal(err)
	}
	db.Close()
	code, stdout, _ := runListenCLI(t, nil, "status", "--json", "--home", home)
	var report statusReport
	if err := json.Unmarshal([]byte(stdout), &report); code != exitOK || err != nil {
		t.Fatalf("status --json: exit %d, %q (%v)", code, stdout, err)
	}
	if report.Listening || report.Account != nil || !strings.Contains(report.AccountError, "schema version 0") {
		t.Errorf("report %+v; want not listening, and why the account is unknown", report)
	}
	code, stdout, _ = runListenCLI(t, nil, "status", "--home", home)
	if code != exitOK || !strings.Contains(stdout, "Calendly account unknown") || !strings.Contains(stdout, "Not running") {
		t.Errorf("status: exit %d, %q", code, stdout)
	}
}
