package home

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func sampleState(pid int) ListenerState {
	return ListenerState{PID: pid, Addr: "127.0.0.1:8787", WebhookURL: "http://127.0.0.1:8787/webhooks/calendly", Database: "/d/calwatch.db", StartedAt: time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)}
}

func TestOneListenerPerHome(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	first, err := h.LockListener()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Publish(sampleState(os.Getpid())); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(h.StatePath()); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("state file: %v, want mode 0600", err)
	}
	s, running, err := h.Listener()
	if err != nil || !running || s != sampleState(os.Getpid()) {
		t.Fatalf("Listener() = %+v, %v, %v; want the published state, running", s, running, err)
	}

	_, err = h.LockListener()
	var busy *ListenerRunningError
	if !errors.As(err, &busy) || busy.State.PID != os.Getpid() || !strings.Contains(err.Error(), busy.State.WebhookURL) {
		t.Fatalf("second LockListener: %v; want ListenerRunningError naming the first", err)
	}

	first.Release()
	first.Release() // twice is harmless
	if _, running, err := h.Listener(); err != nil || running {
		t.Errorf("after Release: running %v, %v", running, err)
	}
	if _, err := os.Stat(h.StatePath()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Release left the state file (%v)", err)
	}
	again, err := h.LockListener()
	if err != nil {
		t.Fatalf("LockListener after Release: %v", err)
	}
	again.Release()
}

// TestConcurrentLockListenerLetsExactlyOneIn: the old check (read the state
// file, then write it) let two listeners start at once.
func TestConcurrentLockListenerLetsExactlyOneIn(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	const n = 16
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		locks []*ListenerLock
		busy  int
	)
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			l, err := h.LockListener()
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				locks = append(locks, l)
			case errors.As(err, new(*ListenerRunningError)):
				busy++
			default:
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(locks) != 1 || busy != n-1 {
		t.Errorf("%d took the lock and %d were told one runs; want 1 and %d", len(locks), busy, n-1)
	}
	for _, l := range locks {
		l.Release()
	}
}

// TestAStaleStateFileDoesNotBlock: after a crash or a reboot the state file
// stays, and its pid may be a live process by now (here: this test's own).
// Neither status nor a new listener may trust it.
func TestAStaleStateFileDoesNotBlock(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	writeStale(t, h, sampleState(os.Getpid()))
	if _, running, err := h.Listener(); err != nil || running {
		t.Fatalf("a state file with a live pid and no lock: running %v, %v; want not running", running, err)
	}
	l, err := h.LockListener()
	if err != nil {
		t.Fatalf("a stale state file blocked LockListener: %v", err)
	}
	defer l.Release()
	if err := l.Publish(sampleState(os.Getpid() + 1)); err != nil {
		t.Fatal(err)
	}
	if s, running, err := h.Listener(); err != nil || !running || s.PID != os.Getpid()+1 {
		t.Errorf("after taking over: %+v %v %v", s, running, err)
	}
}

func writeStale(t *testing.T, h Home, s ListenerState) {
	t.Helper()
	l, err := h.LockListener()
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Publish(s); err != nil {
		t.Fatal(err)
	}
	l.file.Close() // the lock goes with the file, as at a crash; the state stays
	l.file = nil
}

func TestADamagedStateFile(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	if err := os.WriteFile(h.StatePath(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, running, err := h.Listener(); err != nil || running {
		t.Errorf("damaged state, no lock: running %v, %v; want not running and no error", running, err)
	}
	l, err := h.LockListener()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if err := os.WriteFile(h.StatePath(), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, running, err := h.Listener()
	if err == nil || running || !strings.Contains(err.Error(), h.StatePath()) || strings.Contains(err.Error(), "\n") {
		t.Errorf("damaged state under a held lock: running %v, %v; want one line naming the file", running, err)
	}
}

func TestListenerWithNothingThereCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "absent")
	if _, running, err := (Home{Dir: dir}).Listener(); err != nil || running {
		t.Errorf("running %v, %v", running, err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Listener created %s", dir)
	}
}

// holdLockEnv makes the test binary a child that holds the lock of the
// home it names until it is killed.
const holdLockEnv = "CALWATCH_HOME_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdLockEnv); dir != "" {
		l, err := Home{Dir: dir}.LockListener()
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(3)
		}
		if err := l.Publish(sampleState(os.Getpid())); err != nil {
			os.Exit(4)
		}
		os.Stdout.WriteString("locked\n")
		// Until killed. Not select{}: with every goroutine blocked for good,
		// the runtime ends the program as deadlocked, releasing the lock early.
		time.Sleep(24 * time.Hour)
	}
	os.Exit(m.Run())
}

// TestTheLockDiesWithItsProcess: another process holding the lock is seen
// as running; once it is killed (no cleanup runs) the home is free.
func TestTheLockDiesWithItsProcess(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdLockEnv+"="+h.Dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, len("locked\n"))
	if _, err := out.Read(line); err != nil || string(line) != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child did not take the lock: %q %v", line, err)
	}
	s, running, err := h.Listener()
	if err != nil || !running || s.PID != cmd.Process.Pid {
		t.Errorf("with the child holding the lock: %+v %v %v", s, running, err)
	}
	if _, err := h.LockListener(); !errors.As(err, new(*ListenerRunningError)) {
		t.Errorf("LockListener while the child holds it: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if _, running, err := h.Listener(); err != nil || running {
		t.Errorf("after kill -9 of the holder: running %v, %v", running, err)
	}
	l, err := h.LockListener()
	if err != nil {
		t.Fatalf("LockListener after the holder died: %v", err)
	}
	l.Release()
}

// FuzzParseListenerState: whatever is in the state file, reading it never
// panics and never accepts a state without a real pid and URL.
func FuzzParseListenerState(f *testing.F) {
	f.Add([]byte(`{"pid":12,"addr":"127.0.0.1:1","webhook_url":"http://127.0.0.1:1/x","database":"/d","started_at":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"pid":12,"addr":"a","webhook_url":"u","tunnel":{"state":"online","url":"https://x.example/h","since":"2026-01-01T00:00:00Z"}}`))
	f.Add([]byte(`{"pid":12,"addr":"a","webhook_url":"u","tunnel":{"state":"sideways"}}`))
	f.Add([]byte(`{"pid":-1}`))
	f.Add([]byte(`{"pid":"12"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseListenerState(b)
		if err == nil && (s.PID <= 0 || s.WebhookURL == "" || s.Addr == "" || s.Tunnel != nil && !slices.Contains(tunnelStates, s.Tunnel.State)) {
			t.Fatalf("accepted %q as %+v", b, s)
		}
	})
}
