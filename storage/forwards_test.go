package storage

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDeliveryReadsOneRowWithItsRawBody(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("1", testT0, 1)
	body := inviteeBody(t, "invitee.created", testT0, newInvitee(ev, "1", "jo@example.com", "Jo", testT0), ev)
	rec := record(t, s, signedDelivery(t, body, testT0))[0]

	got, err := s.Delivery(ctx, rec.ID)
	if err != nil {
		t.Fatalf("Delivery(%d): %v", rec.ID, err)
	}
	if !bytes.Equal(got.Body, body) || got.SignatureHeader != rec.SignatureHeader || got.Outcome != OutcomeApplied {
		t.Errorf("Delivery(%d) = outcome %s, header %q, %d body bytes; want the applied row with the %d bytes received",
			rec.ID, got.Outcome, got.SignatureHeader, len(got.Body), len(body))
	}
	if got.BodyPartial || got.Forward != nil {
		t.Errorf("a fresh applied delivery: BodyPartial = %v, Forward = %+v; want false, nil", got.BodyPartial, got.Forward)
	}

	if _, err := s.Delivery(ctx, rec.ID+100); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delivery of a missing id: err = %v, want ErrNotFound", err)
	}
}

func TestDeliveryMarksACutRefusedBodyPartial(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	small, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: testT0, Body: []byte(`{"x":1}`), Reason: "bad signature"})
	if err != nil {
		t.Fatal(err)
	}
	big, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: testT0, Body: bytes.Repeat([]byte("a"), RefusedBodyPrefix+10), Reason: "bad signature"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id      int64
		partial bool
	}{{small.ID, false}, {big.ID, true}} {
		d, err := s.Delivery(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if d.BodyPartial != c.partial {
			t.Errorf("refused delivery %d with %d stored bytes: BodyPartial = %v, want %v", c.id, len(d.Body), d.BodyPartial, c.partial)
		}
	}
}

func TestRecordForwardIsReadBackAndReplaced(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("1", testT0, 1)
	body := inviteeBody(t, "invitee.created", testT0, newInvitee(ev, "1", "jo@example.com", "Jo", testT0), ev)
	recs := record(t, s, signedDelivery(t, body, testT0), signedDelivery(t, body, testT0.Add(time.Second)))

	long := bytes.Repeat([]byte("x"), MaxForwardAnswer+1)
	first := ForwardResult{DeliveryID: recs[0].ID, URL: "http://127.0.0.1:3000/hook", At: testT0, Status: 500,
		Latency: 1500 * time.Microsecond, Answer: long}
	if err := s.RecordForward(ctx, first); err != nil {
		t.Fatalf("RecordForward: %v", err)
	}
	got, err := s.ForwardResults(ctx, []int64{recs[0].ID, recs[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("ForwardResults = %d results, want 1 (the second delivery was not forwarded)", len(got))
	}
	f := got[recs[0].ID]
	if f.Status != 500 || f.Latency != first.Latency || f.URL != first.URL || !f.At.Equal(testT0) ||
		len(f.Answer) != MaxForwardAnswer || !f.AnswerTruncated {
		t.Errorf("read back %+v (answer %d bytes); want status 500, 1.5ms, the URL, a %d-byte truncated answer",
			f, len(f.Answer), MaxForwardAnswer)
	}

	second := ForwardResult{DeliveryID: recs[0].ID, URL: first.URL, At: testT0.Add(time.Minute),
		Error: "no answer within 10s " + strings.Repeat("é", 400)}
	if err := s.RecordForward(ctx, second); err != nil {
		t.Fatal(err)
	}
	d, err := s.Delivery(ctx, recs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Forward == nil || d.Forward.Status != 0 || !strings.HasPrefix(d.Forward.Error, "no answer within 10s") ||
		len(d.Forward.Error) > maxForwardError || len(d.Forward.Answer) != 0 {
		t.Errorf("after a second forward, Delivery().Forward = %+v; want the latest (no status, its error cut to %d bytes)", d.Forward, maxForwardError)
	}
}

func TestRecordForwardRefusesAnUnknownDelivery(t *testing.T) {
	s := openTestStore(t)
	if err := s.RecordForward(context.Background(), ForwardResult{DeliveryID: 42, URL: "http://127.0.0.1/"}); err == nil {
		t.Error("RecordForward for a delivery not in the log succeeded; want a foreign-key error")
	}
	if err := s.RecordForward(context.Background(), ForwardResult{}); err == nil {
		t.Error("RecordForward with no delivery id succeeded")
	}
}
