package storage

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func TestPanesFeedMarksBothHalvesOfAReschedule(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	oldCreated, oldCanceled, newCreated, _, _ := reschedulePair(t)
	other := newEvent("c", testT0, 1)
	plain := inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(other, "9", "li@example.com", "Li Wei", testT0), other)
	record(t, s, signedDelivery(t, oldCreated, testT0), signedDelivery(t, plain, testT0.Add(time.Second)),
		signedDelivery(t, newCreated, testT0.Add(2*time.Second)), signedDelivery(t, oldCanceled, testT0.Add(3*time.Second)))
	if _, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: testT0.Add(4 * time.Second), Body: oldCanceled, Reason: "signature mismatch"}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Panes().DeliveriesAfter(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %v", r.Event, r.Outcome, r.Rescheduled))
	}
	// The first booking is not a half of the move: only its cancel is; a
	// refused request proves nothing.
	want := []string{"invitee.created applied false", "invitee.created applied false",
		"invitee.created applied true", "invitee.canceled applied true", " refused false"}
	if !slices.Equal(got, want) {
		t.Errorf("feed rows = %q, want %q", got, want)
	}
}

func TestPanesReplayOfIsReadFromTheStoredHeader(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("a", testT0, 1)
	for i, value := range []string{"88", "", "-3", "0", "12abc", "99999999999999999999", " 7", "007"} {
		d := signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(ev, fmt.Sprint(i), "jane@example.com", "Jane Doe", testT0), ev),
			testT0.Add(time.Duration(i)*time.Second))
		d.Headers = http.Header{"Content-Type": {"application/json"}, ReplayOfHeader: {value}}
		record(t, s, d)
	}
	twice := signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, newInvitee(ev, "x", "jane@example.com", "Jane Doe", testT0), ev),
		testT0.Add(time.Minute))
	twice.Headers = http.Header{"calwatch-replay-of": {"nope", "5", "6"}}
	record(t, s, twice)
	if _, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: testT0.Add(2 * time.Minute), Body: []byte("{}"),
		Reason: "signature mismatch", Headers: http.Header{ReplayOfHeader: {"42"}}}); err != nil {
		t.Fatal(err)
	}
	p := s.Panes()
	rows, err := p.DeliveriesAfter(ctx, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range rows {
		got = append(got, r.ReplayOf)
	}
	// Only a positive id as calwatch writes it counts, the first one when sent twice; a
	// refused request keeps its hint too (it is only ever shown).
	if want := []int64{88, 0, 0, 0, 0, 0, 0, 0, 5, 42}; !slices.Equal(got, want) {
		t.Errorf("ReplayOf per row = %v, want %v", got, want)
	}
	one, err := p.Delivery(ctx, rows[0].ID)
	if err != nil || one.ReplayOf != 88 {
		t.Errorf("Delivery(%d).ReplayOf = %d, %v; want 88", rows[0].ID, one.ReplayOf, err)
	}
	if _, err := s.PruneDeliveries(ctx, testT0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.readDB.QueryRowContext(ctx, `SELECT count(*) FROM delivery_replays WHERE delivery_id <= ?`, rows[7].ID).Scan(&left); err != nil || left != 0 {
		t.Errorf("pruned deliveries' hints stay: %d rows, %v", left, err)
	}
}

// FuzzReplayOfHeader: whatever a request's Calwatch-Replay-Of says, the
// stored hint is the id it names when it is written as calwatch writes a
// positive id, else none, and the request is stored either way.
func FuzzReplayOfHeader(f *testing.F) {
	for _, seed := range []string{"88", "", "0", "-1", "+5", "1e3", " 7", "007", "9223372036854775807", "9223372036854775808", "٣", "12\x00"} {
		f.Add(seed)
	}
	s := openTestStore(f)
	ctx := context.Background()
	at := testT0
	f.Fuzz(func(t *testing.T, value string) {
		at = at.Add(time.Second)
		rec, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: at, Body: []byte("{}"), Reason: "signature mismatch",
			Headers: http.Header{ReplayOfHeader: {value}}})
		if err != nil {
			t.Fatalf("RecordRefused with %s %q: %v", ReplayOfHeader, value, err)
		}
		got, err := s.Panes().Delivery(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		var want int64
		if n, err := strconv.ParseInt(value, 10, 64); err == nil && n > 0 && strconv.FormatInt(n, 10) == value {
			want = n
		}
		if got.ReplayOf != want {
			t.Errorf("%s %q stored as %d, want %d", ReplayOfHeader, value, got.ReplayOf, want)
		}
	})
}
