package home

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// The running listener's files, in the state folder.
const (
	stateFileName = "listen.json"
	lockFileName  = "listen.lock"
)

// maxStateBytes bounds what is read of a state file: it is a few lines.
const maxStateBytes = 64 << 10

// lockRetry is how long LockListener keeps trying while the lock is busy:
// a status probe holds it for an instant, a running listener for good.
const (
	lockRetry     = 250 * time.Millisecond
	lockRetryStep = 10 * time.Millisecond
)

// ListenerState says where a running listener is; status prints it.
type ListenerState struct {
	PID        int       `json:"pid"`
	Addr       string    `json:"addr"`
	WebhookURL string    `json:"webhook_url"`
	Database   string    `json:"database"`
	StartedAt  time.Time `json:"started_at"`
	// Tunnel is how Calendly reaches it now; nil from a calwatch that
	// does not say.
	Tunnel *TunnelStatus `json:"tunnel,omitempty"`
}

// StatePath is the running listener's state file.
func (h Home) StatePath() string { return filepath.Join(h.Dirs().State, stateFileName) }

// LockPath is the file whose exclusive lock a running listener holds.
func (h Home) LockPath() string { return filepath.Join(h.Dirs().State, lockFileName) }

// ListenerRunningError says another listener holds the lock for this home.
type ListenerRunningError struct {
	State ListenerState // zero when its state file could not be read
}

func (e *ListenerRunningError) Error() string {
	if e.State.PID == 0 {
		return "calwatch listen is already running for this home"
	}
	return fmt.Sprintf("calwatch listen is already running for this home (pid %d, %s)", e.State.PID, e.State.WebhookURL)
}

// ListenerLock is the one-listener lock, held until Release (or until the
// process ends, however it ends: the operating system drops the lock with
// the process, so a listener killed with kill -9 blocks nobody).
type ListenerLock struct {
	home Home
	file *os.File
}

// LockListener takes the one-listener lock for h, or returns a
// *ListenerRunningError when another process (or another LockListener in
// this one) holds it.
func (h Home) LockListener() (*ListenerLock, error) {
	if err := h.EnsureDir(h.Dirs().State); err != nil {
		return nil, err
	}
	path := h.LockPath()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the listener lock %s: %w", path, err)
	}
	deadline := time.Now().Add(lockRetry)
	for {
		err = lockFile(f, true)
		if err == nil {
			return &ListenerLock{home: h, file: f}, nil
		}
		if !errors.Is(err, errLockBusy) || time.Now().After(deadline) {
			break
		}
		time.Sleep(lockRetryStep)
	}
	f.Close()
	if !errors.Is(err, errLockBusy) {
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	running := &ListenerRunningError{}
	if s, err := h.readState(); err == nil {
		running.State = s
	}
	return nil, running
}

// Publish writes the state file for status and the TUI: atomically, 0600.
func (l *ListenerLock) Publish(s ListenerState) error {
	dir := l.home.Dirs().State
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	fail := func(err error) error { return fmt.Errorf("cannot write the listener state in %s: %w", dir, err) }
	tmp, err := os.CreateTemp(dir, ".listen-*.json") // created 0600
	if err != nil {
		return fail(err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp.Name(), l.home.StatePath()); err != nil {
		return fail(err)
	}
	return nil
}

// Release removes the state file and lets go of the lock. The lock file
// stays: removing it would let a process that opened it just before lock
// a file nobody else can see. Release is safe to call more than once.
func (l *ListenerLock) Release() {
	if l.file == nil {
		return
	}
	_ = os.Remove(l.home.StatePath())
	_ = unlockFile(l.file)
	_ = l.file.Close()
	l.file = nil
}

// Listener returns the running listener's state, with running=false when
// none runs for h. Whether one runs is decided by the lock, not by the
// state file or its pid: after a crash or a reboot the file may stay and
// its pid may belong to another process by now.
func (h Home) Listener() (s ListenerState, running bool, err error) {
	held, err := h.lockHeld()
	if err != nil || !held {
		return s, false, err
	}
	s, err = h.readState()
	if errors.Is(err, fs.ErrNotExist) {
		// It holds the lock but has not said where it is yet.
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	return s, true, nil
}

// lockHeld reports whether some process holds the listener lock, by trying
// to take it shared for an instant. Nothing is created when there is no
// lock file.
func (h Home) lockHeld() (bool, error) {
	path := h.LockPath()
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot open the listener lock %s: %w", path, err)
	}
	defer f.Close()
	switch err := lockFile(f, false); {
	case errors.Is(err, errLockBusy):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("cannot check the listener lock %s: %w", path, err)
	}
	_ = unlockFile(f)
	return false, nil
}

// readState reads and checks the state file.
func (h Home) readState() (ListenerState, error) {
	path := h.StatePath()
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ListenerState{}, err
		}
		return ListenerState{}, fmt.Errorf("cannot read %s: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxStateBytes+1))
	if err != nil {
		return ListenerState{}, fmt.Errorf("cannot read %s: %w", path, err)
	}
	s, err := ParseListenerState(b)
	if err != nil {
		return s, fmt.Errorf("%s is damaged (%v); stop the running calwatch listen and start it again", path, err)
	}
	return s, nil
}

// ParseListenerState reads a state file's bytes, refusing what listen
// never writes.
func ParseListenerState(b []byte) (ListenerState, error) {
	var s ListenerState
	if len(b) > maxStateBytes {
		return s, fmt.Errorf("it is more than %d bytes, more than a state file ever is", maxStateBytes)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("it is not JSON: %v", err)
	}
	switch {
	case s.PID <= 0:
		return s, fmt.Errorf("its pid %d is not a process id", s.PID)
	case s.WebhookURL == "" || s.Addr == "":
		return s, errors.New("it lacks webhook_url or addr")
	}
	if s.Tunnel != nil {
		if err := s.Tunnel.check(); err != nil {
			return s, err
		}
	}
	return s, nil
}
