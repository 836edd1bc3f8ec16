package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// auditEndpoint answers 200 to what verify accepts and 401 to the rest.
func auditEndpoint(t *testing.T, verify func(header string, body []byte) bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil || !verify(r.Header.Get(calendly.SignatureHeader), body) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func verifyRaw(header string, body []byte) bool {
	_, err := calendly.Verify(header, body, []byte(testSigningKey), time.Now(), 0)
	return err == nil
}

func TestAuditPassesACorrectEndpoint(t *testing.T) {
	url := auditEndpoint(t, verifyRaw)
	r := runCLI(t, nil, "audit", "--to", url, "--signing-key", testSigningKey).wantExit(t, exitOK)
	if !strings.Contains(r.stdout, "PASS: all") || !strings.Contains(r.stdout, "timing attacks are out of scope") {
		t.Errorf("no passing grade and timing note:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, testSigningKey) {
		t.Error("the signing key was printed")
	}
}

func TestAuditJSONFailsAReserialisingEndpoint(t *testing.T) {
	url := auditEndpoint(t, func(header string, body []byte) bool {
		var v any
		if json.Unmarshal(body, &v) != nil {
			return false
		}
		again, _ := json.Marshal(v)
		return verifyRaw(header, again)
	})
	t.Setenv(signingKeyEnv, testSigningKey)
	r := runCLI(t, nil, "audit", "--to", url, "--json").wantExit(t, exitFailure)
	var report struct {
		Pass   bool   `json:"pass"`
		Grade  string `json:"grade"`
		Probes []struct {
			Name string `json:"name"`
			Pass bool   `json:"pass"`
		} `json:"probes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("--json printed more than JSON: %v\n%s", err, r.stdout)
	}
	if report.Pass || !strings.Contains(report.Grade, "JSON.stringify") {
		t.Errorf("grade %q does not fail on the JSON.stringify bug", report.Grade)
	}
	r.wantOneLineError(t, "musts fail")
}

func TestAuditUsageErrors(t *testing.T) {
	t.Setenv(signingKeyEnv, "")
	runCLI(t, nil, "audit", "--to", "http://127.0.0.1:1/x").wantExit(t, exitUsage).wantOneLineError(t, "--signing-key")
	runCLI(t, nil, "audit", "--signing-key", "k").wantExit(t, exitUsage).wantOneLineError(t, "--to URL")
	runCLI(t, nil, "audit", "--signing-key", "k", "--to", "ftp://x").wantExit(t, exitUsage).wantOneLineError(t, "not an http(s) URL")
}

// calwatch's own 'listen', as configured by the command (its limits and
// rate limits included), passes every probe.
func TestAuditPassesCalwatchListen(t *testing.T) {
	l := startListen(t, t.TempDir(), "--no-tunnel", "--signing-key", listenTestKey)
	r := runCLI(t, nil, "audit", "--to", l.webhookURL, "--signing-key", listenTestKey)
	if r.code != exitOK {
		t.Fatalf("calwatch listen fails its own audit (exit %d):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
