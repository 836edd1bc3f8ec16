package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest/story"
)

// The shipped stories, played against a running 'calwatch listen' with its
// stored events as the status JSON: calwatch passes what it ships.
func TestScenarioRunAgainstTheRunningListener(t *testing.T) {
	home := t.TempDir()
	startListen(t, home, "--no-tunnel", "--signing-key", listenTestKey)
	shipped, err := story.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"scenario", "run", "--home", home, "--signing-key", listenTestKey}
	for _, sc := range shipped {
		args = append(args, sc.Name)
	}
	// One store for all: no shipped story may depend on starting empty.
	r := runCLI(t, nil, args...).wantExit(t, exitOK)
	if n := strings.Count(r.stdout, "PASS "); n != len(shipped) {
		t.Errorf("%d of %d scenarios passed:\n%s", n, len(shipped), r.stdout)
	}
	if strings.Contains(r.stdout, "skipped") || strings.Contains(r.stdout, " 0 checks hold") {
		t.Errorf("checks did not read the stored events:\n%s", r.stdout)
	}
}

func TestScenarioRunFailsAndNamesTheStep(t *testing.T) {
	ep := newEndpoint(t, http.StatusInternalServerError, "")
	dir := t.TempDir()
	file := filepath.Join(dir, "story.yaml")
	os.WriteFile(file, []byte("steps:\n  - book: a\n    email: a@example.com\n"), 0o600)
	r := runCLI(t, nil, "scenario", "run", file, "--to", ep.URL, "--signing-key", testSigningKey, "--json").wantExit(t, exitFailure)
	var res struct {
		Pass     bool `json:"pass"`
		Failures []struct {
			Step     int    `json:"step"`
			Expected string `json:"expected"`
			Got      string `json:"got"`
		} `json:"failures"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("--json printed more than JSON: %v\n%s", err, r.stdout)
	}
	if res.Pass || len(res.Failures) != 1 || res.Failures[0].Step != 1 || res.Failures[0].Got != "500" ||
		res.Failures[0].Expected != calendly.EventInviteeCreated+" answered 2xx" {
		t.Errorf("result %+v: want step 1 failing, invitee.created answered 500", res)
	}
	if len(ep.received) != 1 || ep.received[0].verifyErr != nil {
		t.Errorf("the endpoint got %d deliveries; want one that verifies with the key", len(ep.received))
	}
}

func TestScenarioNewWritesAStarterThatRuns(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	runCLI(t, nil, "scenario", "new", "my-story").wantExit(t, exitOK)
	runCLI(t, nil, "scenario", "new", "my-story").wantExit(t, exitFailure).wantOneLineError(t, "exists already")
	runCLI(t, nil, "scenario", "new", "../x").wantExit(t, exitUsage).wantOneLineError(t, "scenario name")
	ep := newEndpoint(t, http.StatusOK, "")
	r := runCLI(t, nil, "scenario", "run", "my-story.yaml", "--to", ep.URL, "--signing-key", testSigningKey).wantExit(t, exitOK)
	if !strings.Contains(r.stdout, "PASS my-story (my-story.yaml): 4 of 4 deliveries answered 2xx") {
		t.Errorf("the starter did not run as written:\n%s", r.stdout)
	}
}

func TestScenarioListAndUsage(t *testing.T) {
	r := runCLI(t, nil, "scenario", "list", "--json").wantExit(t, exitOK)
	var list []struct{ Name string }
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) < 6 {
		t.Fatalf("list --json: %v, %d scenarios\n%s", err, len(list), r.stdout)
	}
	t.Setenv(signingKeyEnv, "")
	runCLI(t, nil, "scenario", "run", list[0].Name).wantExit(t, exitUsage).wantOneLineError(t, "--signing-key")
	runCLI(t, nil, "scenario", "run", "--signing-key", "k").wantExit(t, exitUsage).wantOneLineError(t, "FILE")
	runCLI(t, nil, "scenario", "run", "missing.yaml", "--signing-key", "k").wantExit(t, exitUsage).wantOneLineError(t, "no file missing.yaml")
	runCLI(t, nil, "scenario", "run", list[0].Name, "--signing-key", "k", "--home", t.TempDir()).wantExit(t, exitUsage).wantOneLineError(t, "no calwatch listen is running")
}
