package calendlytest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// A no-show's mark and its removal are changes like any other: the
// invitee's and the event's updated_at move to when they happened, in the
// API and in the delivery, so a client that re-reads what moved sees them.
func TestNoShowMarkAndRemovalMoveUpdatedAt(t *testing.T) {
	clock := &authClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	s, outbox := startEmulator(t, Options{Now: clock.Now})
	subscribe(t, s, userSubscription(s, "https://hooks.example.com/n",
		calendly.EventInviteeNoShowCreated, calendly.EventInviteeNoShowDeleted))
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})

	check := func(step string) {
		t.Helper()
		now := clock.Now()
		if inv := getInviteeByURI(t, s, booked.Invitee); !inv.UpdatedAt.Equal(now) {
			t.Errorf("%s: invitee updated_at %s, want %s", step, inv.UpdatedAt, now)
		}
		if ev := getEventByURI(t, s, booked.Event); !ev.UpdatedAt.Equal(now) {
			t.Errorf("%s: event updated_at %s, want %s", step, ev.UpdatedAt, now)
		}
		sent := outbox.all()
		d, err := calendly.ParseDelivery(sent[len(sent)-1].body)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Invitee.UpdatedAt.Equal(now) || !d.Invitee.ScheduledEvent.UpdatedAt.Equal(now) {
			t.Errorf("%s: the delivery says invitee updated_at %s, event %s; want %s", step,
				d.Invitee.UpdatedAt, d.Invitee.ScheduledEvent.UpdatedAt, now)
		}
	}

	clock.Advance(time.Hour)
	var made resource[calendly.InviteeNoShow]
	call(t, http.MethodPost, s.URL+"/invitee_no_shows", testPAT, jsonText(t, map[string]string{"invitee": booked.Invitee})).
		want(t, http.StatusCreated, &made)
	check("after the mark")

	clock.Advance(time.Hour)
	if a := call(t, http.MethodDelete, made.Resource.URI, testPAT, ""); a.status != http.StatusNoContent {
		t.Fatalf("DELETE no-show = %d %s", a.status, a.body)
	}
	check("after the removal")

	clock.Advance(time.Hour)
	if err := s.MarkNoShow(booked.Invitee); err != nil {
		t.Fatal(err)
	}
	check("after a scenario mark")
	clock.Advance(time.Hour)
	if err := s.RemoveNoShow(booked.Invitee); err != nil {
		t.Fatal(err)
	}
	check("after a scenario removal")
}

// On a plan without webhooks, creating a subscription answers Calendly's
// 403, word for word, and makes nothing; the rest of the API works, so a
// client can fall back to polling.
func TestFreePlanRefusesSubscriptionsWithCalendlys403(t *testing.T) {
	s, _ := startEmulator(t, Options{Plan: PlanFree})
	body := call(t, http.MethodPost, s.URL+"/webhook_subscriptions", testPAT,
		jsonText(t, userSubscription(s, "https://hooks.example.com/free"))).wantError(t, http.StatusForbidden, "Permission Denied")
	if body.Message != "Please upgrade your Calendly account to Professional" {
		t.Errorf("403 message %q, want Calendly's upgrade message", body.Message)
	}
	var list struct {
		Collection []calendly.WebhookSubscription
	}
	apiGet(t, s, "/webhook_subscriptions?scope=organization&organization="+s.Organization()).want(t, http.StatusOK, &list)
	if len(list.Collection) != 0 {
		t.Errorf("the refused creation left %d subscriptions", len(list.Collection))
	}
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	if ev := getEventByURI(t, s, booked.Event); ev.URI != booked.Event {
		t.Errorf("scheduled events are not readable on the free plan: %+v", ev)
	}

	paid, _ := startEmulator(t, Options{Plan: PlanStandard})
	subscribe(t, paid, userSubscription(paid, "https://hooks.example.com/paid"))
}

// GET /_emulator/deliveries names, for every attempt, the SHA-256 of the
// bytes sent and the invitee and event the delivery is about.
func TestDeliveryLogCarriesBodyHashInviteeAndEvent(t *testing.T) {
	s := NewServer(Options{Tokens: []string{"tok"}})
	t.Cleanup(s.Close)
	rc := newReceiver(t, always(http.StatusOK))
	apiSubscription(t, s, rc.URL, "k")

	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	first := rc.next(t)
	if err := s.Cancel(CancelRequest{Invitee: booked.Invitee}); err != nil {
		t.Fatal(err)
	}
	second := rc.next(t)

	var listed []DeliveryAttempt
	eventually(t, func() bool {
		listed = nil
		doJSON(t, http.MethodGet, s.URL+"/_emulator/deliveries", nil, &listed)
		return len(listed) == 2
	}, "two attempts listed")
	var raw []map[string]any
	doJSON(t, http.MethodGet, s.URL+"/_emulator/deliveries", nil, &raw)
	for _, key := range []string{"body_sha256", "invitee", "scheduled_event"} {
		if _, ok := raw[0][key]; !ok {
			t.Errorf("an attempt in /_emulator/deliveries has no %q: %v", key, raw[0])
		}
	}
	for i, got := range []receivedRequest{first, second} {
		sum := sha256.Sum256([]byte(got.body))
		a := listed[i]
		if a.BodySHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("attempt %d body_sha256 %q, want the hash of the %d bytes received", i+1, a.BodySHA256, len(got.body))
		}
		if a.Invitee != booked.Invitee || a.ScheduledEvent != booked.Event {
			t.Errorf("attempt %d is about invitee %q event %q, want %q and %q", i+1, a.Invitee, a.ScheduledEvent, booked.Invitee, booked.Event)
		}
	}
}
