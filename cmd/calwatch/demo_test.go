package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
)

// TestDemoLogsInBackfillsGoesLiveAndCleansUp: --demo's backend logs in to
// its emulator through OAuth, backfills the seeded month, receives a
// booking made while it runs as a verified delivery, and deletes its
// subscription when it stops.
func TestDemoLogsInBackfillsGoesLiveAndCleansUp(t *testing.T) {
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: t.TempDir()}
	ctx := context.Background()
	d, err := a.startDemo(ctx, 3, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()

	deadline := time.Now().Add(30 * time.Second)
	for {
		events, err := d.store.ListEvents(ctx, storage.EventFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) >= demoHistory/5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo backfilled %d events within 30 s; want the seeded history (%d changes)", len(events), demoHistory)
		}
		time.Sleep(20 * time.Millisecond)
	}

	booked, err := d.emu.Book(calendlytest.BookRequest{Email: "newcomer@example.com", Name: "Demo Newcomer"})
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(30 * time.Second)
	var sub tui.Subscription // what the TUI's status details (i) learn
	for arrived := false; !arrived; {
		select {
		case ev := <-d.hub.Events():
			if s, ok := ev.(tui.Subscription); ok {
				sub = s
			}
			if c, ok := ev.(tui.DeliveryCommitted); ok && c.Record.Invitee == booked.Invitee {
				if c.Record.Outcome != storage.OutcomeApplied || c.Record.Event != calendly.EventInviteeCreated {
					t.Fatalf("the booking arrived as %+v", c.Record)
				}
				arrived = true
			}
		case <-timeout:
			t.Fatal("the booking made in the emulator did not reach the TUI within 30 s")
		}
	}

	subs, err := d.store.Subscriptions(ctx)
	if err != nil || len(subs) != 1 {
		t.Fatalf("while running, calwatch remembers %d subscriptions (%v); want the one it made", len(subs), err)
	}
	if sub.State != "active" || sub.URI != subs[0].URI || len(sub.Events) == 0 {
		t.Errorf("the TUI heard of the subscription as %+v; want active, %s, with its events", sub, subs[0].URI)
	}
	if acct := d.hub.Connection().Account; acct != "Avery Emulator <avery@calwatch.test>" {
		t.Errorf("the TUI's account line is %q", acct)
	}
	d.stopSession()
	// A subscription is forgotten only once Calendly deleted it.
	if subs, err := d.store.Subscriptions(ctx); err != nil || len(subs) != 0 {
		t.Errorf("after stopping, calwatch remembers %d subscriptions (%v); want its own deleted", len(subs), err)
	}
}

// TestAKeptDemoHomeGetsTheSameURIsAgain: with --home, a second demo runs its
// emulator on the same origin, so the same seed's people and bookings are
// the same URIs and the store does not fill with strangers.
func TestAKeptDemoHomeGetsTheSameURIsAgain(t *testing.T) {
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: t.TempDir()}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	first, err := a.startDemo(context.Background(), 5, logger)
	if err != nil {
		t.Fatal(err)
	}
	origin := first.emu.URL
	first.close()
	second, err := a.startDemo(context.Background(), 5, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer second.close()
	if second.emu.URL != origin {
		t.Errorf("the second demo's emulator is at %s, the first's at %s: the seed's URIs differ", second.emu.URL, origin)
	}
}

// TestDemoDeliversAtOnceAfterSubscribing: the demo's emulator makes its
// first live change demoFirstChange after calwatch subscribes, so the first
// delivery reaches the TUI within a few seconds, not after the live pace's
// first gap.
func TestDemoDeliversAtOnceAfterSubscribing(t *testing.T) {
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: t.TempDir()}
	d, err := a.startDemo(context.Background(), 1, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	const within = demoFirstChange + 4*time.Second // the delivery's own way, on a busy machine
	timeout := time.After(60 * time.Second)
	var active time.Time
	for {
		select {
		case ev := <-d.hub.Events():
			if s, ok := ev.(tui.Subscription); ok && s.State == "active" && active.IsZero() {
				active = time.Now()
			}
			if c, ok := ev.(tui.DeliveryCommitted); ok {
				if active.IsZero() {
					t.Fatalf("a delivery (%s) arrived before the subscription was active", c.Record.Event)
				}
				if took := time.Since(active); took > within {
					t.Errorf("the first delivery arrived %s after the subscription, want within %s", took, within)
				}
				return
			}
		case <-timeout:
			t.Fatal("no delivery reached the TUI within 60 s of starting the demo")
		}
	}
}
