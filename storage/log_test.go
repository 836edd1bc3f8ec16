package storage

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func TestDuplicatesAndRetriesChangeNothing(t *testing.T) {
	s := openTestStore(t)
	evA := newEvent("a", testT0, 1)
	body := inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(evA, "1", "jane@example.com", "Jane", testT0), evA)
	d := signedDelivery(t, body, testT0)
	first := record(t, s, d)[0]
	before := snapshot(t, s)

	again := record(t, s, d)[0] // the same signature: a replay
	if again.Outcome != OutcomeDuplicate || first.Outcome != OutcomeApplied || again.ID == first.ID {
		t.Errorf("outcomes %s (#%d) then %s (#%d), want applied then duplicate with its own log row", first.Outcome, first.ID, again.Outcome, again.ID)
	}
	retry := record(t, s, signedDelivery(t, body, testT0.Add(5*time.Minute)))[0] // Calendly's retry, signed anew
	if retry.Outcome != OutcomeApplied {
		t.Errorf("re-signed retry outcome = %s, want applied", retry.Outcome)
	}
	if after := snapshot(t, s); after != before {
		t.Errorf("state changed:\n%s\nwant\n%s", after, before)
	}
	log, err := s.ListDeliveries(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].ID != retry.ID || log[1].ID != again.ID || string(log[0].Body) != string(body) || log[1].SignatureHeader != d.SignatureHeader {
		t.Fatalf("log = %s", logSummary(log))
	}
	// The duplicate keeps no body: it points at the delivery that has it.
	if dup := log[1]; len(dup.Body) != 0 || !dup.BodyTruncated || dup.BodySize != int64(len(body)) || dup.DuplicateOf != first.ID {
		t.Errorf("duplicate row keeps %d body bytes (truncated %v, size %d), duplicate_of %d; want none, truncated, size %d, duplicate_of %d",
			len(dup.Body), dup.BodyTruncated, dup.BodySize, dup.DuplicateOf, len(body), first.ID)
	}
	if again.DuplicateOf != first.ID || len(again.Body) != 0 {
		t.Errorf("RecordDelivery returned duplicate_of %d with %d body bytes; want %d and none, as stored", again.DuplicateOf, len(again.Body), first.ID)
	}
	if !log[0].ReceivedAt.Equal(retry.ReceivedAt) || log[1].Outcome != OutcomeDuplicate || log[1].Invitee == "" || log[1].EventURI == "" {
		t.Errorf("logged %s, returned #%d %s: the log must read back what RecordDelivery returned", logSummary(log), retry.ID, retry.Outcome)
	}
}

func TestReplayKeysSurviveRestart(t *testing.T) {
	path := t.TempDir() + "/calwatch.db"
	ctx := context.Background()
	evA := newEvent("a", testT0, 1)
	d := signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(evA, "1", "jane@example.com", "Jane", testT0), evA), testT0)
	for i, want := range []Outcome{OutcomeApplied, OutcomeDuplicate} {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := s.RecordDelivery(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Outcome != want {
			t.Errorf("open #%d: outcome %s, want %s", i, rec.Outcome, want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRecordRefusedLogsWithoutEffect(t *testing.T) {
	s := openTestStore(t)
	rec, err := s.RecordRefused(context.Background(), RefusedDelivery{SignatureHeader: "t=1,v1=00", Body: []byte(`{"event":"invitee.created"}`), Reason: "signature does not match the body"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Outcome != OutcomeRefused || rec.ID == 0 || rec.ReceivedAt.IsZero() {
		t.Errorf("record = %+v", rec)
	}
	log, err := s.ListDeliveries(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1 || log[0].Reason != "signature does not match the body" || log[0].Outcome != OutcomeRefused {
		t.Errorf("log = %+v", log)
	}
	if evs := mustEvents(t, s, EventFilter{}); len(evs) != 0 {
		t.Errorf("a refused request changed bookings: %+v", evs)
	}
}

func TestListEventsFilters(t *testing.T) {
	s := openTestStore(t)
	_, oldCanceled, newCreated, _, _ := reschedulePair(t)
	record(t, s, signedDelivery(t, oldCanceled, testT0), signedDelivery(t, newCreated, testT0))
	evA, evB := eventURI("a"), eventURI("b")
	day := testT0.Add(24 * time.Hour) // event a starts at day, b an hour later
	for _, tc := range []struct {
		f    EventFilter
		want []string
	}{
		{EventFilter{}, []string{evA, evB}},
		{EventFilter{Status: "canceled"}, []string{evA}},
		{EventFilter{Status: "active"}, []string{evB}},
		{EventFilter{From: day.Add(time.Minute)}, []string{evB}},
		{EventFilter{To: day.Add(time.Minute)}, []string{evA}},
		{EventFilter{From: day, To: day.Add(2 * time.Hour)}, []string{evA, evB}},
	} {
		var got []string
		for _, ev := range mustEvents(t, s, tc.f) {
			got = append(got, ev.URI)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("ListEvents(%+v) = %v, want %v", tc.f, got, tc.want)
		}
	}
	if _, err := s.ListEvents(context.Background(), EventFilter{Status: "cancelled"}); err == nil || !strings.Contains(err.Error(), "active or canceled") {
		t.Errorf("unknown status: err = %v", err)
	}
}

func TestEmptyListsAreEmptyJSONArrays(t *testing.T) {
	s := openTestStore(t)
	if got := snapshot(t, s); !strings.Contains(got, `"events": []`) || !strings.Contains(got, `"contacts": []`) {
		t.Errorf("empty store reads back as %s", got)
	}
}

// logSummary shows log rows without their bodies.
func logSummary(log []DeliveryRecord) string {
	var b strings.Builder
	for _, r := range log {
		fmt.Fprintf(&b, "[#%d %s %s %s body %d/%d dup-of %d] ", r.ID, r.ReceivedAt.Format(time.RFC3339), r.Outcome, r.Reason, len(r.Body), r.BodySize, r.DuplicateOf)
	}
	return b.String()
}
