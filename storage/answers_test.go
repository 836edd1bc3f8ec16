package storage

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// deliveryWithHeaders is a signed invitee.created with the headers a
// tunnel would pass on, a credential among them.
func deliveryWithHeaders(t *testing.T, id string) IncomingDelivery {
	t.Helper()
	ev := newEvent(id, testT0, 1)
	inv := newInvitee(ev, id, id+"@example.com", "Person "+id, testT0)
	d := signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, inv, ev), testT0)
	d.Headers = http.Header{
		"user-agent":             {"Calendly-Webhook/1.0"},
		"Content-Type":           {"application/json; charset=utf-8"},
		calendly.SignatureHeader: {d.SignatureHeader},
		"X-Forwarded-For":        {"203.0.113.7", "10.0.0.1"},
		"Authorization":          {"Bearer do-not-keep"},
	}
	d.AnswerStatus = http.StatusOK
	return d
}

// TestAnswerHeadersAndLatencyReadBack: the answer, the headers (sorted,
// canonical, the signature header in its own field, a credential withheld)
// and the latency recorded after the commit read back through every read
// of the delivery log, and survive a reopen.
func TestAnswerHeadersAndLatencyReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rec := record(t, s, deliveryWithHeaders(t, "a"))[0]
	wantHeaders := []Header{
		{"Authorization", WithheldValue},
		{"Content-Type", "application/json; charset=utf-8"},
		{"User-Agent", "Calendly-Webhook/1.0"},
		{"X-Forwarded-For", "203.0.113.7"},
		{"X-Forwarded-For", "10.0.0.1"},
	}
	if rec.AnswerStatus != 200 || fmt.Sprint(rec.Headers) != fmt.Sprint(wantHeaders) || rec.HeadersCut != 0 {
		t.Errorf("RecordDelivery returned status %d, headers %v (cut %d); want 200 and %v", rec.AnswerStatus, rec.Headers, rec.HeadersCut, wantHeaders)
	}
	s.RecordAnswer(rec.ID, 200, 39*time.Millisecond+417*time.Microsecond)
	if err := s.Close(); err != nil { // Close writes the queued answer
		t.Fatal(err)
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Panes().Delivery(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AnswerStatus != 200 || got.Latency() != 39417*time.Microsecond || fmt.Sprint(got.Headers) != fmt.Sprint(wantHeaders) ||
		got.SignatureHeader != rec.SignatureHeader {
		t.Errorf("Delivery read back status %d, latency %v, headers %v, signature %q; want 200, 39.417ms, %v, %q",
			got.AnswerStatus, got.Latency(), got.Headers, got.SignatureHeader, wantHeaders, rec.SignatureHeader)
	}
	if strings.Contains(fmt.Sprint(got.Headers), "do-not-keep") {
		t.Error("the Authorization header's value was stored")
	}
	listed, err := s.ListDeliveries(ctx, 0)
	if err != nil || len(listed) != 1 || listed[0].LatencyMicros != 39417 || len(listed[0].Headers) != len(wantHeaders) {
		t.Errorf("ListDeliveries = %+v, %v; want the row with its latency and headers", listed, err)
	}
	feed, err := s.Panes().DeliveriesBefore(ctx, 0, 10)
	if err != nil || len(feed) != 1 || feed[0].AnswerStatus != 200 || feed[0].LatencyMicros != 39417 {
		t.Errorf("the feed reads %+v, %v; want status 200 and 39417µs", feed, err)
	}
}

// TestAnswerReachesAQuietStore: with no other write to carry it, an answer
// is written within about a second, not only at Close; a failed row's
// status comes with it.
func TestAnswerReachesAQuietStore(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	rec := record(t, s, deliveryWithHeaders(t, "q"))[0]
	s.RecordAnswer(rec.ID, 503, 4*time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := s.Panes().Delivery(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.LatencyMicros == 4000 && got.AnswerStatus == 503 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after RecordAnswer the row holds status %d, latency %dµs; want 503 and 4000", got.AnswerStatus, got.LatencyMicros)
		}
		time.Sleep(20 * time.Millisecond) // polling the database: no signal to wait on
	}
}

// TestStoredHeadersAreCapped: an accepted delivery keeps at most 4 KiB of
// headers and a refused request 512 bytes; what is left out is counted.
func TestStoredHeadersAreCapped(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	many := http.Header{}
	for i := range 100 {
		many.Set(fmt.Sprintf("X-Filler-%03d", i), strings.Repeat("v", 60))
	}
	d := deliveryWithHeaders(t, "big")
	d.Headers = many
	rec := record(t, s, d)[0]
	refused, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: testT0, Reason: "no signature", Body: []byte("{}"), Headers: many, AnswerStatus: 401})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id    int64
		limit int
	}{{rec.ID, MaxStoredHeaders}, {refused.ID, MaxStoredRefusedHeaders}} {
		var column string
		var status int
		if err := s.readDB.QueryRow(`SELECT headers, answer_status FROM deliveries WHERE id = ?`, c.id).Scan(&column, &status); err != nil {
			t.Fatal(err)
		}
		got, err := s.Panes().Delivery(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(column) > c.limit || len(got.Headers) == 0 || len(got.Headers)+got.HeadersCut != 100 {
			t.Errorf("row %d: %d bytes of headers stored (cap %d), %d kept + %d cut; want within the cap, some kept, 100 in all",
				c.id, len(column), c.limit, len(got.Headers), got.HeadersCut)
		}
		if got.Headers[0].Name != "X-Filler-000" {
			t.Errorf("row %d keeps %q first; want the headers in order from X-Filler-000", c.id, got.Headers[0].Name)
		}
	}
}

// TestMigration9ReadsOldRowsAsUnknown: a store from before 0009 opens, its
// deliveries read with no status, latency or headers, and new ones keep
// theirs.
func TestMigration9ReadsOldRowsAsUnknown(t *testing.T) {
	path := storeAtVersion6(t)
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open migrates a version 6 store: %v", err)
	}
	defer s.Close()
	old, err := s.ListDeliveries(ctx, 0)
	if err != nil || len(old) == 0 {
		t.Fatalf("ListDeliveries after migrating = %d rows, %v", len(old), err)
	}
	for _, r := range old {
		if r.AnswerStatus != 0 || r.LatencyMicros != 0 || r.Headers != nil || len(r.Body) == 0 && r.Outcome == OutcomeApplied {
			t.Errorf("old row %d reads status %d, latency %d, headers %v; want all unknown and its body kept", r.ID, r.AnswerStatus, r.LatencyMicros, r.Headers)
		}
	}
	rec := record(t, s, deliveryWithHeaders(t, "new"))[0]
	s.RecordAnswer(rec.ID, 200, time.Millisecond)
	got, err := s.Panes().Delivery(ctx, rec.ID)
	if err != nil || got.AnswerStatus != 200 || len(got.Headers) != 5 {
		t.Errorf("a delivery after the migration reads %+v, %v; want status 200 and its 5 headers", got, err)
	}
}

// FuzzDecodeHeaders: the headers column decoder refuses or reads anything
// without panicking, and what it reads encodes back to an equal list.
func FuzzDecodeHeaders(f *testing.F) {
	col, _, _ := encodeHeaders(http.Header{"A": {"1", "2"}, "B": {"\x00\"é"}}, MaxStoredHeaders)
	f.Add(col)
	f.Add(`{"h":[],"cut":3}`)
	f.Add(`{"h":[["A"]]}`)
	f.Add(`{"h":[["","x"]]}`)
	f.Add(`{"h":null,"cut":-1}`)
	f.Add(`{"h":[["A","b"]]} {}`)
	f.Fuzz(func(t *testing.T, column string) {
		headers, cut, err := DecodeHeaders(column)
		if err != nil {
			if headers != nil || cut != 0 {
				t.Fatalf("a refused column gave %v, %d", headers, cut)
			}
			return
		}
		h := http.Header{}
		for _, x := range headers {
			h[x.Name] = append(h[x.Name], x.Value)
		}
		if len(headers) == 0 {
			return
		}
		again, kept, _ := encodeHeaders(h, 1<<30)
		back, _, err := DecodeHeaders(again)
		if err != nil || len(back) != len(kept) {
			t.Fatalf("re-encoding %v gave %q, which reads back as %v, %v", headers, again, back, err)
		}
	})
}

// TestAnswersGoWithTheirDelivery: a delivery-log row that is pruned takes
// its answer with it, and an answer for a row already gone is not kept.
func TestAnswersGoWithTheirDelivery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	recs := record(t, s, deliveryWithHeaders(t, "x"), deliveryWithHeaders(t, "y"))
	for _, r := range recs {
		s.RecordAnswer(r.ID, 200, time.Millisecond)
	}
	s.RecordAnswer(recs[1].ID+100, 200, time.Millisecond) // never stored
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	conn := openRawConn(t, path)
	count := func() (n int) {
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM delivery_answers`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 2 {
		t.Fatalf("%d answers stored, want the 2 for stored rows", n)
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, recs[0].ID); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Errorf("after pruning a delivery %d answers are left, want 1", n)
	}
}
