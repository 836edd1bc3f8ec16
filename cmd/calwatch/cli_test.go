package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// cliResult is what one calwatch run left behind.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs calwatch in-process with args and stdin.
func runCLI(t *testing.T, stdin io.Reader, args ...string) cliResult {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &streams{in: stdin, out: &out, errOut: &errOut})
	return cliResult{code: code, stdout: out.String(), stderr: errOut.String()}
}

// wantExit fails the test when the run did not end with code.
func (r cliResult) wantExit(t *testing.T, code int) cliResult {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

// wantOneLineError checks stderr holds exactly one error line, and that it
// contains every part.
func (r cliResult) wantOneLineError(t *testing.T, parts ...string) {
	t.Helper()
	var errLines []string
	for line := range strings.SplitSeq(r.stderr, "\n") {
		if strings.HasPrefix(line, "Error:") {
			errLines = append(errLines, line)
		}
	}
	if len(errLines) != 1 {
		t.Fatalf("want one error line, got %d in stderr:\n%s", len(errLines), r.stderr)
	}
	for _, p := range parts {
		if !strings.Contains(errLines[0], p) {
			t.Errorf("error %q does not mention %q", errLines[0], p)
		}
	}
}
