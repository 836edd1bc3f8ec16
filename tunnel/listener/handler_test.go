package listener

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

const testKey = "whsec-test-signing-key-do-not-print"

var testNow = time.Date(2026, 3, 2, 9, 15, 2, 0, time.UTC)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestHandler(t testing.TB, store DeliveryStore, mutate func(*Config)) *Handler {
	t.Helper()
	cfg := Config{SigningKey: []byte(testKey), Store: store, Now: func() time.Time { return testNow }}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func signedRequest(body []byte, key string, at time.Time) *http.Request {
	req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(calendly.SignatureHeader, calendly.Sign([]byte(key), at, body))
	return req
}

func serve(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// checkAnswer asserts the status, that the body is a short JSON object and
// that nothing secret leaks into it.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, want int) map[string]any {
	t.Helper()
	if rec.Code != want {
		t.Fatalf("status %d, want %d; body %s", rec.Code, want, rec.Body)
	}
	if strings.Contains(rec.Body.String(), testKey) {
		t.Fatalf("answer leaks the signing key: %s", rec.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("answer is not a JSON object: %q", rec.Body)
	}
	if want >= 400 && got["error"] == "" {
		t.Fatalf("error answer without an error message: %s", rec.Body)
	}
	return got
}

func TestValidDeliveryIsStoredThenAnswered200(t *testing.T) {
	store := newFakeStore()
	var records []storage.DeliveryRecord
	h := newTestHandler(t, store, func(c *Config) { c.OnRecord = func(r storage.DeliveryRecord) { records = append(records, r) } })
	body := fixture(t, "invitee_created.json")

	got := checkAnswer(t, serve(h, signedRequest(body, testKey, testNow.Add(-time.Second))), http.StatusOK)

	if got["outcome"] != string(storage.OutcomeApplied) {
		t.Errorf("outcome %v, want applied", got["outcome"])
	}
	if len(store.delivered) != 1 {
		t.Fatalf("store has %d deliveries, want 1", len(store.delivered))
	}
	d := store.delivered[0]
	if !bytes.Equal(d.Body, body) {
		t.Error("stored body differs from the raw bytes received")
	}
	if d.Parsed.Invitee == nil || d.Parsed.Invitee.Email != "Ada.Lovelace@example.com" {
		t.Errorf("parsed delivery not passed to storage: %+v", d.Parsed)
	}
	if d.ReplayKey == "" || !d.ReceivedAt.Equal(testNow) || d.SignatureHeader == "" {
		t.Errorf("incoming delivery incomplete: key %q at %v header %q", d.ReplayKey, d.ReceivedAt, d.SignatureHeader)
	}
	if len(records) != 1 || records[0].Outcome != storage.OutcomeApplied {
		t.Errorf("OnRecord got %+v, want one applied record", records)
	}
}

func TestExactRepeatIs200AndChangesNothing(t *testing.T) {
	store := newFakeStore()
	h := newTestHandler(t, store, nil)
	body := fixture(t, "invitee_created.json")
	sig := calendly.Sign([]byte(testKey), testNow, body)
	send := func() map[string]any {
		req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(calendly.SignatureHeader, sig)
		return checkAnswer(t, serve(h, req), http.StatusOK)
	}
	first, second := send(), send()
	if first["outcome"] != "applied" || second["outcome"] != "duplicate" {
		t.Errorf("outcomes %v then %v, want applied then duplicate", first["outcome"], second["outcome"])
	}
	if applied, _ := store.counts(); applied != 1 {
		t.Errorf("%d deliveries applied, want 1", applied)
	}
	// A retry, signed anew at another second, is a new delivery to storage.
	checkAnswer(t, serve(h, signedRequest(body, testKey, testNow.Add(-time.Minute))), http.StatusOK)
	if applied, _ := store.counts(); applied != 2 {
		t.Errorf("a re-signed retry was not passed on as new: %d applied", applied)
	}
}

func TestRefusals(t *testing.T) {
	valid := fixture(t, "invitee_created.json")
	deep := []byte(`{"event":"invitee.created","payload":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `}`)
	cases := []struct {
		name   string
		req    func() *http.Request
		want   int
		logged bool // kept in the delivery log as refused
	}{
		{"other path", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, "/webhooks/other", bytes.NewReader(valid))
		}, http.StatusNotFound, false},
		{"trailing slash", func() *http.Request {
			r := signedRequest(valid, testKey, testNow)
			r.URL.Path += "/"
			return r
		}, http.StatusNotFound, false},
		{"GET", func() *http.Request { return httptest.NewRequest(http.MethodGet, DefaultPath, nil) }, http.StatusMethodNotAllowed, false},
		{"missing signature", func() *http.Request {
			r := signedRequest(valid, testKey, testNow)
			r.Header.Del(calendly.SignatureHeader)
			return r
		}, http.StatusUnauthorized, true},
		{"malformed signature", func() *http.Request {
			r := signedRequest(valid, testKey, testNow)
			r.Header.Set(calendly.SignatureHeader, "t=abc,v1=zz")
			return r
		}, http.StatusUnauthorized, true},
		{"wrong key", func() *http.Request { return signedRequest(valid, "another-key", testNow) }, http.StatusUnauthorized, true},
		{"stale", func() *http.Request { return signedRequest(valid, testKey, testNow.Add(-4*time.Minute)) }, http.StatusUnauthorized, true},
		{"from the future", func() *http.Request { return signedRequest(valid, testKey, testNow.Add(4*time.Minute)) }, http.StatusUnauthorized, true},
		{"body changed after signing", func() *http.Request {
			r := signedRequest(valid, testKey, testNow)
			r.Body = httptestBody(bytes.Replace(valid, []byte("Ada"), []byte("Eve"), 1))
			return r
		}, http.StatusUnauthorized, true},
		{"two signature headers", func() *http.Request {
			r := signedRequest(valid, testKey, testNow)
			r.Header.Add(calendly.SignatureHeader, calendly.Sign([]byte(testKey), testNow, valid))
			return r
		}, http.StatusUnauthorized, true},
		{"unsigned garbage is 401 not 400", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, DefaultPath, strings.NewReader("not json"))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, http.StatusUnauthorized, true},
		{"signed, JSON with a UTF-8 charset", func() *http.Request {
			r := signedRequest([]byte("hello"), testKey, testNow)
			r.Header.Set("Content-Type", "Application/JSON ; charset=UTF-8")
			return r
		}, http.StatusBadRequest, true}, // past the 415 check: the body was read
		{"text/plain, as any web page can post", withContentType(valid, "text/plain;charset=UTF-8"), http.StatusUnsupportedMediaType, false},
		{"a form", withContentType(valid, "application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType, false},
		{"multipart", withContentType(valid, "multipart/form-data; boundary=x"), http.StatusUnsupportedMediaType, false},
		{"no Content-Type", withContentType(valid, ""), http.StatusUnsupportedMediaType, false},
		{"JSON in UTF-16", withContentType(valid, "application/json; charset=utf-16"), http.StatusUnsupportedMediaType, false},
		{"JSON with a broken parameter", withContentType(valid, "application/json; charset"), http.StatusUnsupportedMediaType, false},
		{"application/jsonx", withContentType(valid, "application/jsonx"), http.StatusUnsupportedMediaType, false},
		{"two Content-Types", func() *http.Request {
			r := signedRequest(valid, testKey, testNow)
			r.Header.Add("Content-Type", "text/plain")
			return r
		}, http.StatusUnsupportedMediaType, false},
		{"signed, not JSON", func() *http.Request { return signedRequest([]byte("hello"), testKey, testNow) }, http.StatusBadRequest, true},
		{"signed, not an object", func() *http.Request { return signedRequest([]byte(`[1,2]`), testKey, testNow) }, http.StatusBadRequest, true},
		{"signed, wrong field type", func() *http.Request {
			return signedRequest([]byte(`{"event":42,"payload":{}}`), testKey, testNow)
		}, http.StatusBadRequest, true},
		{"signed, no payload", func() *http.Request {
			return signedRequest([]byte(`{"event":"invitee.created"}`), testKey, testNow)
		}, http.StatusBadRequest, true},
		{"signed, nested too deep", func() *http.Request { return signedRequest(deep, testKey, testNow) }, http.StatusBadRequest, true},
		{"over the size limit", func() *http.Request {
			return signedRequest(bytes.Repeat([]byte("a"), DefaultMaxBodyBytes+1), testKey, testNow)
		}, http.StatusRequestEntityTooLarge, true},
		{"over the size limit, no Content-Length", func() *http.Request {
			r := signedRequest(bytes.Repeat([]byte("a"), DefaultMaxBodyBytes+1), testKey, testNow)
			r.ContentLength = -1
			return r
		}, http.StatusRequestEntityTooLarge, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := newFakeStore()
			h := newTestHandler(t, store, nil)
			rec := serve(h, tc.req())
			checkAnswer(t, rec, tc.want)
			applied, refused := store.counts()
			if applied != 0 {
				t.Errorf("a refused request reached storage as a delivery")
			}
			if logged := refused == 1; logged != tc.logged {
				t.Errorf("logged as refused: %v, want %v", logged, tc.logged)
			}
			if tc.logged && store.lastRefused().Reason == "" {
				t.Error("refusal logged without a reason")
			}
			if strings.Contains(store.lastRefused().Reason, testKey) {
				t.Error("refusal reason contains the signing key")
			}
			if rec.Header().Get("Connection") != "close" {
				t.Errorf("a %d answer keeps the connection open", tc.want)
			}
			if tc.want == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
				t.Errorf("405 without Allow: POST (got %q)", rec.Header().Get("Allow"))
			}
		})
	}
}

// withContentType is a request signed with the key whose Content-Type is
// ct (none when empty).
func withContentType(body []byte, ct string) func() *http.Request {
	return func() *http.Request {
		r := signedRequest(body, testKey, testNow)
		r.Header.Del("Content-Type")
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		return r
	}
}

func httptestBody(b []byte) *readCloser { return &readCloser{bytes.NewReader(b)} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func TestRateLimitAnswers429(t *testing.T) {
	store := newFakeStore()
	h := newTestHandler(t, store, func(c *Config) { c.RateLimit, c.Burst = 0.001, 2 })
	body := fixture(t, "invitee_created.json")
	for i := range 2 {
		checkAnswer(t, serve(h, signedRequest(body, testKey, testNow.Add(-time.Duration(i)*time.Second))), http.StatusOK)
	}
	rec := serve(h, signedRequest(body, testKey, testNow.Add(-5*time.Second)))
	checkAnswer(t, rec, http.StatusTooManyRequests)
	if rec.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if applied, refused := store.counts(); applied != 2 || refused != 0 {
		t.Errorf("after the limit: %d applied, %d refused; want 2, 0", applied, refused)
	}
}

func TestJunkFloodLeavesSignedDeliveriesAnswered(t *testing.T) {
	store := newFakeStore()
	// The request limit, before any body is read, is one bucket for every
	// sender; here it is set out of the way to see the two after it.
	h := newTestHandler(t, store, func(c *Config) { c.RateLimit, c.Burst, c.RequestLimit, c.RequestBurst = 0.001, 2, 0.001, 100 })
	body := fixture(t, "invitee_created.json")
	const junk = 50
	var tooMany int
	for range junk {
		rec := serve(h, signedRequest(body, "not-the-signing-key", testNow))
		switch rec.Code {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			tooMany++
			if rec.Header().Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Fatalf("junk answered %d, want 401 or 429", rec.Code)
		}
	}
	if tooMany != junk-2 {
		t.Errorf("%d of %d junk requests answered 429, want %d (burst 2)", tooMany, junk, junk-2)
	}
	if _, refused := store.counts(); refused != 2 {
		t.Errorf("%d junk requests logged, want only the 2 within the limit", refused)
	}
	for i := range 2 {
		checkAnswer(t, serve(h, signedRequest(body, testKey, testNow.Add(-time.Duration(i)*time.Second))), http.StatusOK)
	}
	if applied, _ := store.counts(); applied != 2 {
		t.Errorf("%d signed deliveries applied after the flood, want 2", applied)
	}
}

func TestAnswerIsSentWhileOnRecordBlocks(t *testing.T) {
	store := newFakeStore()
	reported := make(chan storage.DeliveryRecord, 2)
	release := make(chan struct{})
	h := newTestHandler(t, store, func(c *Config) {
		c.OnRecord = func(r storage.DeliveryRecord) {
			reported <- r
			<-release // a printer stuck on a terminal nobody reads
		}
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	// The deadline only turns a hang into a failure; it is not a timing.
	// A new connection per request, as Calendly's do: the first one is
	// still held by the blocked OnRecord.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	post := func(key string) int {
		t.Helper()
		req := signedRequest(fixture(t, "invitee_created.json"), key, testNow)
		req.RequestURI, req.URL.Scheme, req.URL.Host = "", "http", srv.Listener.Addr().String()
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("no answer while OnRecord blocks: %v", err)
		}
		defer resp.Body.Close()
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Fatalf("answer body not delivered while OnRecord blocks: %v", err)
		}
		return resp.StatusCode
	}
	if code := post(testKey); code != http.StatusOK {
		t.Fatalf("signed delivery answered %d, want 200", code)
	}
	if r := <-reported; r.Outcome != storage.OutcomeApplied {
		t.Errorf("OnRecord got %+v, want the applied row", r)
	}
	if code := post("not-the-signing-key"); code != http.StatusUnauthorized {
		t.Fatalf("bad signature answered %d, want 401", code)
	}
	if r := <-reported; r.Outcome != storage.OutcomeRefused {
		t.Errorf("OnRecord got %+v, want the refused row", r)
	}
}

func TestStorageFailureIs5xxSoCalendlyRetries(t *testing.T) {
	store := newFakeStore()
	store.fail = errors.New("disk I/O error")
	var reported []error
	h := newTestHandler(t, store, func(c *Config) { c.OnError = func(err error) { reported = append(reported, err) } })
	rec := serve(h, signedRequest(fixture(t, "invitee_created.json"), testKey, testNow))
	checkAnswer(t, rec, http.StatusInternalServerError)
	if strings.Contains(rec.Body.String(), "disk I/O") {
		t.Errorf("storage internals leak to the caller: %s", rec.Body)
	}
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "disk I/O error") {
		t.Errorf("storage failure not reported to the operator: %v", reported)
	}
}

func TestDrainingAnswers503(t *testing.T) {
	store := newFakeStore()
	h := newTestHandler(t, store, nil)
	h.Drain()
	rec := serve(h, signedRequest(fixture(t, "invitee_created.json"), testKey, testNow))
	checkAnswer(t, rec, http.StatusServiceUnavailable)
	if applied, _ := store.counts(); applied != 0 {
		t.Error("a delivery was applied while draining")
	}
}

func TestCustomPathOnly(t *testing.T) {
	store := newFakeStore()
	secret := DefaultPath + "/0123456789abcdef"
	h := newTestHandler(t, store, func(c *Config) { c.Path = secret })
	body := fixture(t, "invitee_created.json")
	checkAnswer(t, serve(h, signedRequest(body, testKey, testNow)), http.StatusNotFound)
	req := signedRequest(body, testKey, testNow)
	req.URL.Path = secret
	checkAnswer(t, serve(h, req), http.StatusOK)
}

func TestNewHandlerRefusesBadConfig(t *testing.T) {
	store := newFakeStore()
	for name, cfg := range map[string]Config{
		"no key":        {Store: store},
		"no store":      {SigningKey: []byte("k")},
		"bad path":      {SigningKey: []byte("k"), Store: store, Path: "webhooks"},
		"negative rate": {SigningKey: []byte("k"), Store: store, RateLimit: -1},
	} {
		if _, err := NewHandler(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRealCalendlyDeliveriesAreAccepted: every captured or documented
// Calendly delivery in the shared reference, signed as Calendly signs it,
// is verified, parsed and stored byte for byte.
func TestRealCalendlyDeliveriesAreAccepted(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "reference", "calendly", "payloads")
	captured, _ := filepath.Glob(filepath.Join(dir, "webhook_*.json"))
	documented, _ := filepath.Glob(filepath.Join(dir, "doc-example_webhook_*.json"))
	paths := append(captured, documented...)
	if len(paths) == 0 {
		t.Skipf("no reference deliveries in %s", dir)
	}
	// SOURCES.md: this third-party sample had its "event" key trimmed, so
	// it is not a delivery and must be refused as one.
	const trimmed = "webhook_invitee.created.2023-01-sample.activepieces.json"
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			store := newFakeStore()
			h := newTestHandler(t, store, nil)
			rec := serve(h, signedRequest(body, testKey, testNow))
			if filepath.Base(path) == trimmed {
				checkAnswer(t, rec, http.StatusBadRequest)
				return
			}
			checkAnswer(t, rec, http.StatusOK)
			if len(store.delivered) != 1 || !bytes.Equal(store.delivered[0].Body, body) {
				t.Fatal("the delivery was not stored byte for byte")
			}
			var envelope struct{ Event string }
			_ = json.Unmarshal(body, &envelope)
			if got := store.delivered[0].Parsed.Event; got == "" || got != envelope.Event {
				t.Errorf("parsed event %q, file says %q", got, envelope.Event)
			}
		})
	}
}
