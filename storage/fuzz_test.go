package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// FuzzRecordDelivery: any body the listener would accept (it verifies and
// parses) is stored without error, reads back, and applying it again as a
// re-signed retry changes nothing.
func FuzzRecordDelivery(f *testing.F) {
	for _, pattern := range []string{
		filepath.Join("testdata", "deliveries", "*.json"),
		filepath.Join(referencePayloads, "webhook_*.json"),
		filepath.Join(referencePayloads, "doc-example_webhook_*.json"),
	} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{"event":"invitee.created","created_at":null,"payload":{"uri":"u","event":"e","email":"","status":""}}`))
	f.Add([]byte(`{"event":"invitee.canceled","payload":{"uri":"u","event":"e","rescheduled":true,"new_invitee":"u","old_invitee":"u"}}`))
	f.Add([]byte(`{"event":"invitee_no_show.deleted","payload":{"uri":"u","event":"e","email":"A@B","no_show":{"uri":"","created_at":null}}}`))
	f.Add([]byte(`{"event":"who.knows","payload":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := calendly.ParseDelivery(body); err != nil {
			return // the listener refuses it; RecordRefused stores bytes only
		}
		s := openTestStore(t)
		ctx := context.Background()
		rec, err := s.RecordDelivery(ctx, signedDelivery(t, body, testT0))
		if err != nil || rec.Outcome != OutcomeApplied {
			t.Fatalf("RecordDelivery = %+v, %v", rec, err)
		}
		once := snapshot(t, s)
		if _, err := s.RecordDelivery(ctx, signedDelivery(t, body, testT0.Add(time.Minute))); err != nil {
			t.Fatalf("retry: %v", err)
		}
		if twice := snapshot(t, s); twice != once {
			t.Fatalf("a retry changed the state:\n%s\nvs\n%s", twice, once)
		}
		log, err := s.ListDeliveries(ctx, 0)
		if err != nil || len(log) != 2 || string(log[1].Body) != string(body) {
			t.Fatalf("log = %d rows, %v; want both deliveries with their raw bytes", len(log), err)
		}
	})
}
