package listener

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
	"pgregory.net/rapid"
)

// TestReplyIsWhatTheHandlerSends checks, for every outcome the log keeps,
// that the handler's real answer is Reply of the row it reported: the
// inspector shows Reply from the log, so it shows what the sender got.
func TestReplyIsWhatTheHandlerSends(t *testing.T) {
	valid := fixture(t, "invitee_created.json")
	cases := []struct {
		name    string
		outcome storage.Outcome
		code    int
		setup   func(*fakeStore, *Config)
		request func() *http.Request
		twice   bool // the answer to a second, identical request is the one checked
	}{
		{name: "applied", outcome: storage.OutcomeApplied, code: http.StatusOK,
			request: func() *http.Request { return signedRequest(valid, testKey, testNow) }},
		{name: "duplicate", outcome: storage.OutcomeDuplicate, code: http.StatusOK,
			twice: true, request: func() *http.Request { return signedRequest(valid, testKey, testNow) }},
		{name: "bad signature", outcome: storage.OutcomeRefused, code: http.StatusUnauthorized,
			request: func() *http.Request { return signedRequest(valid, "another key", testNow) }},
		{name: "stale timestamp", outcome: storage.OutcomeRefused, code: http.StatusUnauthorized,
			request: func() *http.Request { return signedRequest(valid, testKey, testNow.Add(-time.Hour)) }},
		{name: "bad shape", outcome: storage.OutcomeRefused, code: http.StatusBadRequest,
			request: func() *http.Request { return signedRequest([]byte(`{"event":"<b>&"}`), testKey, testNow) }},
		{name: "too large", outcome: storage.OutcomeRefused, code: http.StatusRequestEntityTooLarge,
			setup:   func(_ *fakeStore, c *Config) { c.MaxBodyBytes = 64 },
			request: func() *http.Request { return signedRequest(valid, testKey, testNow) }},
		{name: "not stored", outcome: storage.OutcomeFailed, code: http.StatusInternalServerError,
			setup:   func(s *fakeStore, _ *Config) { s.fail, s.failLogged = errors.New("disk I/O error"), true },
			request: func() *http.Request { return signedRequest(valid, testKey, testNow) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := newFakeStore()
			var rows []storage.DeliveryRecord
			h := newTestHandler(t, store, func(cfg *Config) {
				if c.setup != nil {
					c.setup(store, cfg)
				}
				cfg.OnRecord = func(r storage.DeliveryRecord) { rows = append(rows, r) }
			})
			answer := serve(h, c.request())
			if c.twice {
				answer, rows = serve(h, c.request()), rows[1:]
			}
			if answer.Code != c.code || len(rows) != 1 || rows[0].Outcome != c.outcome {
				t.Fatalf("answered %d with %d rows (%+v); want %d and one %s row", answer.Code, len(rows), rows, c.code, c.outcome)
			}
			contentType, body := Reply(answer.Code, rows[0])
			if got := answer.Header().Get("Content-Type"); got != contentType {
				t.Errorf("Content-Type %q, Reply says %q", got, contentType)
			}
			if !bytes.Equal(answer.Body.Bytes(), body) {
				t.Errorf("answered %q, Reply says %q", answer.Body, body)
			}
			if strings.Contains(string(body), "disk I/O") {
				t.Errorf("Reply shows storage's error to the sender: %s", body)
			}
		})
	}
}

// acceptedByEncodingJSON is the 2xx answer as it was built before: a map
// through encoding/json.
func acceptedByEncodingJSON(rec storage.DeliveryRecord) []byte {
	return encodeReply(map[string]any{"id": rec.ID, "outcome": rec.Outcome})
}

// TestAcceptedReplyMatchesEncodingJSON: the 2xx answer keeps its bytes for
// every id and outcome, storage's own and odd ones (which need escapes).
func TestAcceptedReplyMatchesEncodingJSON(t *testing.T) {
	outcomes := []storage.Outcome{storage.OutcomeApplied, storage.OutcomeDuplicate, storage.OutcomeRefused, storage.OutcomeFailed, ""}
	rapid.Check(t, func(t *rapid.T) {
		rec := storage.DeliveryRecord{ID: rapid.Int64().Draw(t, "id"),
			Outcome: rapid.OneOf(rapid.SampledFrom(outcomes), rapid.Map(rapid.String(), func(s string) storage.Outcome { return storage.Outcome(s) })).Draw(t, "outcome")}
		for _, code := range []int{http.StatusOK, http.StatusAccepted} {
			if _, got := Reply(code, rec); !bytes.Equal(got, acceptedByEncodingJSON(rec)) {
				t.Fatalf("Reply(%d, %+v) = %q, encoding/json writes %q", code, rec, got, acceptedByEncodingJSON(rec))
			}
		}
	})
}

func FuzzAcceptedReply(f *testing.F) {
	f.Add(int64(1), "applied")
	f.Add(int64(-9223372036854775808), "du<p>&\"\u2028")
	f.Add(int64(0), "\xff")
	f.Fuzz(func(t *testing.T, id int64, outcome string) {
		rec := storage.DeliveryRecord{ID: id, Outcome: storage.Outcome(outcome)}
		if _, got := Reply(http.StatusOK, rec); !bytes.Equal(got, acceptedByEncodingJSON(rec)) {
			t.Fatalf("Reply(200, %+v) = %q, encoding/json writes %q", rec, got, acceptedByEncodingJSON(rec))
		}
	})
}
