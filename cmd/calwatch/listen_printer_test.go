package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// TestListenHumanLineShowsAnswerAndLatency: listen's line per delivery
// carries the status calwatch answered and the latency, as the TUI feed's
// ST and MS columns do, "-" where the listener did not know them.
func TestListenHumanLineShowsAnswerAndLatency(t *testing.T) {
	at := time.Date(2026, 6, 18, 9, 30, 5, 0, time.Local)
	for _, tc := range []struct {
		name string
		rec  storage.DeliveryRecord
		want string
	}{
		{"applied, slow", storage.DeliveryRecord{ID: 7, ReceivedAt: at, Event: "invitee.created", Outcome: storage.OutcomeApplied,
			InviteeEmail: "ana@example.com", AnswerStatus: 200, LatencyMicros: 38_600},
			"09:30:05  #7      applied   200     39ms  invitee.created  ana@example.com"},
		{"duplicate, under 10 ms", storage.DeliveryRecord{ID: 8, ReceivedAt: at, Event: "invitee.canceled", Outcome: storage.OutcomeDuplicate,
			AnswerStatus: 200, LatencyMicros: 420},
			"09:30:05  #8      duplicate 200    0.4ms  invitee.canceled"},
		{"refused shows the reason", storage.DeliveryRecord{ID: 9, ReceivedAt: at, Outcome: storage.OutcomeRefused,
			Reason: "signature does not match", AnswerStatus: 401, LatencyMicros: 1_204_000},
			"09:30:05  #9      refused   401   1204ms  signature does not match"},
		{"answer not known", storage.DeliveryRecord{ID: 10, ReceivedAt: at, Event: "invitee.created", Outcome: storage.OutcomeFailed},
			"09:30:05  #10     failed      -        -  invitee.created"},
	} {
		var errOut bytes.Buffer
		p := newDeliveryPrinter(&bytes.Buffer{}, &errOut, false, 4)
		p.record(tc.rec)
		p.close(5 * time.Second)
		if got := strings.TrimSuffix(errOut.String(), "\n"); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestListenHumanLineKeepsOutsideTextInert: the reason and email come from
// the sender; their control characters never reach the terminal.
func TestListenHumanLineKeepsOutsideTextInert(t *testing.T) {
	var errOut bytes.Buffer
	p := newDeliveryPrinter(&bytes.Buffer{}, &errOut, false, 4)
	p.record(storage.DeliveryRecord{ID: 1, Outcome: storage.OutcomeRefused, Reason: "bad\x1b]52;c;aGk=\x07 body", AnswerStatus: 400, LatencyMicros: 900})
	p.close(5 * time.Second)
	if strings.ContainsAny(errOut.String(), "\x1b\x07") {
		t.Errorf("a control character reached the terminal: %q", errOut.String())
	}
}
