package listener

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
)

// TestClaimedLengthIsNotAllocatedAhead: requests that claim the largest
// body allowed but send a few bytes make the handler hold what arrived,
// not what was claimed (300 such connections once held 303 MiB).
func TestClaimedLengthIsNotAllocatedAhead(t *testing.T) {
	h := newTestHandler(t, newFakeStore(), nil)
	const requests = 50
	sent := []byte(`{"event":"invitee.created"`)
	lying := func() *http.Request {
		r := signedRequest(sent, testKey, testNow)
		r.ContentLength = DefaultMaxBodyBytes
		return r
	}
	// Warm up once, so lazily built state is not counted.
	checkAnswer(t, serve(h, lying()), http.StatusBadRequest)

	reqs := make([]*http.Request, requests)
	for i := range reqs {
		reqs[i] = lying()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, r := range reqs {
		if rec := serve(h, r); rec.Code != http.StatusBadRequest {
			t.Fatalf("a body shorter than its Content-Length answered %d, want 400", rec.Code)
		}
	}
	runtime.ReadMemStats(&after)
	perRequest := (after.TotalAlloc - before.TotalAlloc) / requests
	// Claimed: 1 MiB each. What is allowed: the first buffer and the answer.
	if limit := uint64(4 * bodyChunk); perRequest > limit {
		t.Errorf("each request claiming %d bytes and sending %d allocated %d bytes, want under %d",
			DefaultMaxBodyBytes, len(sent), perRequest, limit)
	}
}

// TestBodyGrowsAsItArrives: the buffer offered to the connection is never
// much larger than what has arrived, whatever Content-Length claims, and a
// real body is read whole however it is cut into pieces.
func TestBodyGrowsAsItArrives(t *testing.T) {
	for _, tc := range []struct {
		name    string
		size    int
		claimed int64
	}{
		{"small, honest length", 3000, 3000},
		{"large, honest length", 300_000, 300_000},
		{"large, no length (chunked)", 300_000, -1},
		{"empty", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := bytes.Repeat([]byte("x"), tc.size)
			src := &tricklingReader{data: want, piece: 1000}
			got, err := readBody(src, tc.claimed, DefaultMaxBodyBytes)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("read %d bytes, %v; want %d bytes, nil", len(got), err, len(want))
			}
			if limit := bodyChunk + 2*src.maxBefore; src.maxOffered > limit {
				t.Errorf("offered a %d-byte buffer with %d bytes read; want at most %d", src.maxOffered, src.maxBefore, limit)
			}
		})
	}
	if _, err := readBody(strings.NewReader("abc"), 10, 100); err != io.ErrUnexpectedEOF {
		t.Errorf("a body shorter than claimed: %v, want io.ErrUnexpectedEOF", err)
	}
	got, err := readBody(strings.NewReader(strings.Repeat("y", 200)), -1, 100)
	var tooLarge *http.MaxBytesError
	if !errors.As(err, &tooLarge) || len(got) != 100 {
		t.Errorf("an unannounced body over the limit: %d bytes, %v; want the first 100 and *http.MaxBytesError", len(got), err)
	}
	src := &tricklingReader{data: []byte("never read"), piece: 1}
	if got, err := readBody(src, 101, 100); !errors.As(err, &tooLarge) || got != nil || src.reads != 0 {
		t.Errorf("a claim over the limit: %q, %v after %d reads; want nothing read and *http.MaxBytesError", got, err, src.reads)
	}
}

// tricklingReader hands out data a piece at a time and remembers the
// largest buffer it was offered and how much it had given by then.
type tricklingReader struct {
	data                  []byte
	piece                 int
	given, reads          int
	maxOffered, maxBefore int
}

func (r *tricklingReader) Read(p []byte) (int, error) {
	r.reads++
	if len(p) > r.maxOffered {
		r.maxOffered, r.maxBefore = len(p), r.given
	}
	if r.given == len(r.data) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.piece)], r.data[r.given:])
	r.given += n
	return n, nil
}

// TestNonJSONIsNotReadNorLogged: a request a web page could make the
// developer's browser send (no preflight) is answered 415 before a byte
// of its body is read, and leaves nothing in the delivery log.
func TestNonJSONIsNotReadNorLogged(t *testing.T) {
	store := newFakeStore()
	h := newTestHandler(t, store, nil)
	body := &tricklingReader{data: fixture(t, "invitee_created.json"), piece: 100}
	req := httptest.NewRequest(http.MethodPost, DefaultPath, body)
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set(calendly.SignatureHeader, calendly.Sign([]byte(testKey), testNow, body.data))
	rec := serve(h, req)
	checkAnswer(t, rec, http.StatusUnsupportedMediaType)
	if body.reads != 0 {
		t.Errorf("the body was read %d times before the 415", body.reads)
	}
	if applied, refused := store.counts(); applied+refused != 0 {
		t.Errorf("a text/plain request was stored (%d applied, %d refused)", applied, refused)
	}
	if !strings.Contains(rec.Body.String(), "application/json") {
		t.Errorf("the 415 does not say what to send: %s", rec.Body)
	}
}

// TestRequestLimitComesFirst: every request, whatever its path, method or
// type, is charged to one bucket before anything else; past it even a
// correctly signed delivery is 429 (Calendly retries it), unread.
func TestRequestLimitComesFirst(t *testing.T) {
	store := newFakeStore()
	h := newTestHandler(t, store, func(c *Config) { c.RequestLimit, c.RequestBurst = 0.001, 3 })
	valid := fixture(t, "invitee_created.json")
	checkAnswer(t, serve(h, httptest.NewRequest(http.MethodPost, "/elsewhere", nil)), http.StatusNotFound)
	checkAnswer(t, serve(h, httptest.NewRequest(http.MethodGet, DefaultPath, nil)), http.StatusMethodNotAllowed)
	checkAnswer(t, serve(h, withContentType(valid, "text/plain")()), http.StatusUnsupportedMediaType)
	for _, r := range []*http.Request{
		httptest.NewRequest(http.MethodPost, "/elsewhere", nil),
		signedRequest(valid, testKey, testNow),
	} {
		rec := serve(h, r)
		checkAnswer(t, rec, http.StatusTooManyRequests)
		if rec.Header().Get("Retry-After") == "" || rec.Header().Get("Connection") != "close" {
			t.Errorf("429 without Retry-After or Connection: close: %v", rec.Header())
		}
	}
	if applied, refused := store.counts(); applied+refused != 0 {
		t.Errorf("past the request limit something was stored (%d applied, %d refused)", applied, refused)
	}
}

// TestRequestLimitFollowsRateLimit: with only --rate-limit given, the
// request limit is requestLimitFactor times it; with no rate limit there
// is none.
func TestRequestLimitFollowsRateLimit(t *testing.T) {
	h := newTestHandler(t, newFakeStore(), func(c *Config) { c.RateLimit, c.Burst = 0.001, 2 })
	var tooMany int
	for range 3 * requestLimitFactor * 2 {
		if serve(h, httptest.NewRequest(http.MethodGet, "/", nil)).Code == http.StatusTooManyRequests {
			tooMany++
		}
	}
	if want := 2 * requestLimitFactor * 2; tooMany != want {
		t.Errorf("%d requests answered 429, want %d (burst %d)", tooMany, want, requestLimitFactor*2)
	}
	h = newTestHandler(t, newFakeStore(), nil)
	for range 1000 {
		if code := serve(h, httptest.NewRequest(http.MethodGet, "/", nil)).Code; code != http.StatusNotFound {
			t.Fatalf("with no limit set a request was answered %d", code)
		}
	}
}
