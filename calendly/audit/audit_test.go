package audit_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/audit"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener"
)

const testKey = "audit-test-signing-key"

// endpoint is a small webhook receiver written the way people write them,
// right or wrong: verify decides whether the request is accepted.
func endpoint(t *testing.T, verify func(header string, body []byte) bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		if !verify(r.Header.Get(calendly.SignatureHeader), body) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// correct verifies the raw bytes, in constant time, with the tolerance.
func correct(header string, body []byte) bool {
	_, err := calendly.Verify(header, body, []byte(testKey), time.Now(), 0)
	return err == nil
}

// reserialised verifies json.Marshal of the decoded body: the Go version
// of verifying JSON.stringify(req.body).
func reserialised(header string, body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	again, _ := json.Marshal(v)
	return correct(header, again)
}

// noTimestampCheck verifies the MAC over t + "." + body but never looks at
// how old t is.
func noTimestampCheck(header string, body []byte) bool {
	_, err := calendly.Verify(header, body, []byte(testKey), time.Now(), 100*365*24*time.Hour)
	return err == nil
}

// stringEquals compares hex strings with ==, leaking timing, but is
// otherwise right.
func stringEquals(header string, body []byte) bool {
	var ts string
	var v1s []string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1s = append(v1s, v)
		}
	}
	m := hmac.New(sha256.New, []byte(testKey))
	m.Write([]byte(ts + "." + string(body)))
	want := hex.EncodeToString(m.Sum(nil))
	if _, err := calendly.ParseSignature(header); err != nil {
		return false
	}
	if p, _ := calendly.ParseSignature(header); time.Since(p.Timestamp).Abs() > 3*time.Minute {
		return false
	}
	for _, v := range v1s {
		if v == want {
			return true
		}
	}
	return false
}

func audit1(t *testing.T, url string) *audit.Report {
	t.Helper()
	r, err := audit.Run(context.Background(), audit.Options{URL: url, SigningKey: []byte(testKey)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func failedNames(r *audit.Report) []string {
	var names []string
	for _, f := range r.Failed() {
		names = append(names, f.Name)
	}
	return names
}

func TestCorrectEndpointPasses(t *testing.T) {
	r := audit1(t, endpoint(t, correct))
	if !r.Pass || !strings.HasPrefix(r.Grade, "PASS") {
		t.Fatalf("a correct endpoint failed: %s\n%v", r.Grade, failedNames(r))
	}
}

func TestReserialisingEndpointFailsTheJSONFamily(t *testing.T) {
	r := audit1(t, endpoint(t, reserialised))
	if r.Pass {
		t.Fatal("an endpoint verifying re-serialised JSON passed")
	}
	for _, f := range r.Failed() {
		if !strings.HasPrefix(f.Name, "json: ") {
			t.Errorf("%q failed, but only the JSON re-serialisation family should: %s", f.Name, f.Verdict)
		}
	}
	if len(r.Failed()) < 5 {
		t.Errorf("only %v failed; the family has more members a Go re-serialiser changes", failedNames(r))
	}
	if !strings.Contains(r.Grade, "JSON.stringify") {
		t.Errorf("the grade does not name the bug: %s", r.Grade)
	}
}

func TestNoTimestampCheckFailsStaleProbes(t *testing.T) {
	r := audit1(t, endpoint(t, noTimestampCheck))
	got := strings.Join(failedNames(r), "|")
	if got != "stale t: 5 minutes old|stale t: 5 minutes ahead" {
		t.Fatalf("failed %q, want exactly the two stale probes; grade: %s", got, r.Grade)
	}
	if !strings.Contains(r.Grade, "timestamp") {
		t.Errorf("the grade does not say what is wrong: %s", r.Grade)
	}
}

func TestNonConstantTimeCompareStillPasses(t *testing.T) {
	r := audit1(t, endpoint(t, stringEquals))
	if !r.Pass {
		t.Fatalf("an == comparison that answers right failed: %s", r.Grade)
	}
	if !strings.Contains(r.Note, "out of scope") {
		t.Errorf("the report does not say timing is out of scope: %q", r.Note)
	}
}

func TestNeverChecksCatch410AndRedirects(t *testing.T) {
	for status, check := range map[int]string{http.StatusGone: "no 410 to a good delivery", http.StatusFound: "no redirect of a delivery"} {
		url := endpoint(t, correct)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get(calendly.SignatureHeader) != "" && correct(r.Header.Get(calendly.SignatureHeader), mustRead(r)) {
				w.Header().Set("Location", url)
				w.WriteHeader(status)
				return
			}
			w.WriteHeader(http.StatusUnauthorized)
		}))
		r := audit1(t, srv.URL)
		srv.Close()
		found := false
		for _, f := range r.Failed() {
			found = found || f.Name == check
		}
		if !found || r.Pass {
			t.Errorf("answering %d: %q did not fail; failed %v", status, check, failedNames(r))
		}
	}
}

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	return b
}

func TestCalwatchListenerPassesEveryProbe(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	h, err := listener.NewHandler(listener.Config{SigningKey: []byte(testKey), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	r := audit1(t, srv.URL+listener.DefaultPath)
	if !r.Pass {
		var b strings.Builder
		r.WriteText(&b, func(s string) string { return s })
		t.Fatalf("calwatch's own listener fails its audit:\n%s", b.String())
	}
}

func TestReportTextNamesFailures(t *testing.T) {
	r := audit1(t, endpoint(t, reserialised))
	var b strings.Builder
	if err := r.WriteText(&b, func(s string) string { return s }); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"FAIL must accept json: pretty-printed", "expected 2xx", "answered 401", r.Grade} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestSlowAnswersFailAndStandOut(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), "invitee.canceled") {
			select { // never answers in time
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		if correct(r.Header.Get(calendly.SignatureHeader), body) {
			if strings.Contains(string(body), "event_type.updated") {
				time.Sleep(400 * time.Millisecond) // the endpoint's own slowness, not the test's
			}
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(srv.Close)
	var probes []audit.Probe
	probes = append(probes, audit.Probes[:8]...) // one good delivery of each event
	r, err := audit.Run(context.Background(), audit.Options{URL: srv.URL, SigningKey: []byte(testKey), Probes: probes, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	failed := failedNames(r)
	if len(failed) != 1 || failed[0] != "invitee.canceled" || !strings.Contains(r.Failed()[0].Verdict, "no answer within 1s") {
		t.Errorf("failed %v (%v); want only invitee.canceled, unanswered in time", failed, r.Failed())
	}
	if len(r.Outliers) != 1 || r.Outliers[0].Probe != "event_type.updated" {
		t.Errorf("outliers %+v; want event_type.updated alone", r.Outliers)
	}
}

func TestGradeOfAnEndpointThatIsNotThereSaysSo(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	r := audit1(t, url)
	if r.Pass || !strings.Contains(r.Grade, "no probe was answered") || !strings.Contains(r.Grade, "is the endpoint running") {
		t.Errorf("grade %q", r.Grade)
	}
}
