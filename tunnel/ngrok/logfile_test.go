package ngrok

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogRedactsSecretsAndIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "ngrok.log")
	const key = "whsec-signing-key"
	log, closer, err := openLog(path, token, key)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("auth with "+token, "token", token, "err", errors.New("Your authtoken: "+token), "policy", []string{key})
	log.WithGroup("g").Warn("x", "key", key)
	log.Debug("debug is not written " + token)
	closer.Close()

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if strings.Contains(text, token) || strings.Contains(text, key) {
		t.Fatalf("the log holds a secret:\n%s", text)
	}
	if strings.Count(text, "[redacted]") != 5 || strings.Contains(text, "debug is not written") {
		t.Errorf("want 5 redactions and no debug line:\n%s", text)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestLogMovesAFullLogAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ngrok.log")
	if err := os.WriteFile(path, make([]byte, maxLogBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	_, closer, err := openLog(path)
	if err != nil {
		t.Fatal(err)
	}
	closer.Close()
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("the log was not started afresh: %v %v", fi, err)
	}
	if fi, err := os.Stat(path + ".1"); err != nil || fi.Size() != maxLogBytes+1 {
		t.Errorf("the old log was not kept as .1: %v %v", fi, err)
	}
}
