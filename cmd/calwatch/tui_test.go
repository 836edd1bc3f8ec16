package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTUIFlagsRefuseWhatCannotWork(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "calwatch --offline"},
		{[]string{"--offline", "--no-tunnel"}, "exclude each other"},
		{[]string{"--no-tunnel"}, "--signing-key KEY"},
		{[]string{"--no-tunnel", "--signing-key", "k", "--addr", "nowhere"}, "--addr"},
		{[]string{"--offline", "--tz", "Mars/Olympus"}, "not a time zone"},
	} {
		t.Setenv(signingKeyEnv, "")
		runCLI(t, nil, tc.args...).wantExit(t, exitUsage).wantOneLineError(t, tc.want)
	}
}

func TestTUINeedsATerminal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	r := runCLI(t, nil, "--db", db, "--offline").wantExit(t, exitFailure)
	if !strings.Contains(r.stderr, "needs a terminal") {
		t.Errorf("stderr %q, want it to say the TUI needs a terminal", r.stderr)
	}
}

func TestUnknownCommandStillSaysSoWithTheTUIAtTheRoot(t *testing.T) {
	runCLI(t, nil, "evnets").wantExit(t, exitUsage).wantOneLineError(t, `unknown command "evnets"`)
}
