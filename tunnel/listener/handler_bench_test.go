package listener

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// acceptingStore answers every delivery as applied and keeps nothing, so a
// benchmark measures the handler alone.
type acceptingStore struct{ id int64 }

func (s *acceptingStore) RecordDelivery(_ context.Context, d storage.IncomingDelivery) (storage.DeliveryRecord, error) {
	s.id++
	return storage.DeliveryRecord{ID: s.id, ReceivedAt: d.ReceivedAt, Event: d.Parsed.Event, Outcome: storage.OutcomeApplied}, nil
}

func (s *acceptingStore) RecordRefused(_ context.Context, r storage.RefusedDelivery) (storage.DeliveryRecord, error) {
	s.id++
	return storage.DeliveryRecord{ID: s.id, ReceivedAt: r.ReceivedAt, Outcome: storage.OutcomeRefused, Reason: r.Reason}, nil
}

func (s *acceptingStore) RecordAnswer(int64, int, time.Duration) {}

// BenchmarkServeDelivery is the handler's own cost for one valid delivery:
// verify, parse, hand-off, reply (storage and the network left out).
func BenchmarkServeDelivery(b *testing.B) {
	body := fixture(b, "invitee_created.json")
	h := newTestHandler(b, &acceptingStore{}, nil)
	req := signedRequest(body, testKey, testNow)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req.Body = io.NopCloser(bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("answered %d: %s", w.Code, w.Body)
		}
	}
}
