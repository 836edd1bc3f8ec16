package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// listenStateFile is where a running `calwatch listen` says where it is.
const listenStateFile = "listen.json"

// maxListenStateBytes bounds what status reads: the file is a few lines.
const maxListenStateBytes = 64 << 10

// listenState is the state file's content; `calwatch status` prints it.
type listenState struct {
	PID        int       `json:"pid"`
	Addr       string    `json:"addr"`
	WebhookURL string    `json:"webhook_url"`
	Database   string    `json:"database"`
	StartedAt  time.Time `json:"started_at"`
}

func (a *app) listenStatePath() string { return filepath.Join(a.dirs().state, listenStateFile) }

// parseListenState reads a state file, refusing one that is not what listen writes.
func parseListenState(b []byte) (listenState, error) {
	var s listenState
	if len(b) > maxListenStateBytes {
		return s, fmt.Errorf("it is %d bytes, more than a state file ever is", len(b))
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
	return s, nil
}

// readListenState returns the running listener's state, or ok=false when
// none is running (no file, or the file of a listener that died, e.g. by
// kill -9).
func (a *app) readListenState() (s listenState, ok bool, err error) {
	path := a.listenStatePath()
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("cannot read %s: %w", path, err)
	}
	s, err = parseListenState(b)
	if err != nil {
		return s, false, fmt.Errorf("%s is damaged (%v); delete it if no calwatch listen is running", path, err)
	}
	return s, processAlive(s.PID), nil
}

// writeListenState writes the state file atomically, 0600, in a 0700 dir.
func (a *app) writeListenState(s listenState) error {
	dir := a.dirs().state
	if err := ensureDir(dir); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".listen-*.json") // created 0600
	if err != nil {
		return fmt.Errorf("cannot write the listener state in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the listener state in %s: %w", dir, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write the listener state in %s: %w", dir, err)
	}
	if err := os.Rename(tmp.Name(), a.listenStatePath()); err != nil {
		return fmt.Errorf("cannot write the listener state in %s: %w", dir, err)
	}
	return nil
}

// removeListenState deletes the state file if it is still this process's.
func (a *app) removeListenState(pid int) {
	b, err := os.ReadFile(a.listenStatePath())
	if err != nil {
		return
	}
	if s, err := parseListenState(b); err == nil && s.PID != pid {
		return // another listener has taken over the file since
	}
	_ = os.Remove(a.listenStatePath())
}

// processAlive reports whether pid is a running process (signal 0 checks
// without signalling; EPERM means it exists but belongs to someone else).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
