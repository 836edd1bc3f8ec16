package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
)

// bookingsReader answers the two reads the demo actor makes from a fixed
// set of bookings, each with one active invitee.
type bookingsReader struct {
	tui.Reader
	rows     []storage.BookingRow
	invitees map[string]string // event URI → invitee URI
}

func (r bookingsReader) Bookings(context.Context, time.Time, time.Time) ([]storage.BookingRow, error) {
	return r.rows, nil
}

func (r bookingsReader) Event(_ context.Context, uri string) (storage.EventDetail, error) {
	for _, b := range r.rows {
		if b.EventURI == uri {
			start := b.Start
			return storage.EventDetail{EventView: storage.EventView{URI: uri, Status: b.Status, StartTime: &start,
				Invitees: []storage.InviteeView{{URI: r.invitees[uri], Name: b.Invitee, Status: "active"}}}}, nil
		}
	}
	return storage.EventDetail{}, storage.ErrNotFound
}

func TestDemoActorChangesTheEmulator(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{})
	defer emu.Close()
	now := time.Now()
	past, future := now.Add(-2*time.Hour).Truncate(time.Minute), now.Add(26*time.Hour).Truncate(time.Minute)
	reader := bookingsReader{invitees: map[string]string{}}
	for _, b := range []struct {
		name  string
		start time.Time
	}{{"Past Person", past}, {"Future Person", future}} {
		res, err := emu.Book(calendlytest.BookRequest{Email: strings.ReplaceAll(strings.ToLower(b.name), " ", ".") + "@example.com", Name: b.name, StartTime: b.start})
		if err != nil {
			t.Fatal(err)
		}
		reader.rows = append(reader.rows, storage.BookingRow{EventURI: res.Event, Start: b.start, Status: "active", Invitees: 1, Invitee: b.name})
		reader.invitees[res.Event] = res.Invitee
	}
	actor := newDemoActor(emu, reader, 1)
	ctx := context.Background()

	said, err := actor.Demo(ctx, tui.DemoNoShow, "")
	if err != nil || said != "Past Person marked a no-show" {
		t.Fatalf("no-show at random: %q, %v; want the booking that has started", said, err)
	}
	if err := emu.MarkNoShow(reader.invitees[reader.rows[0].EventURI]); err == nil {
		t.Error("the emulator let the same invitee be marked twice: the demo's mark did not happen")
	}
	// Cancel on the past booking does not fit: the upcoming one is chosen.
	said, err = actor.Demo(ctx, tui.DemoCancel, reader.rows[0].EventURI)
	if err != nil || said != "canceled Future Person" {
		t.Fatalf("cancel: %q, %v; want the upcoming booking", said, err)
	}
	err = emu.Cancel(calendlytest.CancelRequest{Invitee: reader.invitees[reader.rows[1].EventURI]})
	if !errors.Is(err, calendlytest.ErrWrongState) {
		t.Errorf("canceling again: %v, want ErrWrongState (already canceled by the demo)", err)
	}
	said, err = actor.Demo(ctx, tui.DemoBook, "")
	if err != nil || !strings.HasPrefix(said, "booked ") {
		t.Errorf("book: %q, %v", said, err)
	}
}

func TestDemoActorSaysWhenNothingFits(t *testing.T) {
	emu := calendlytest.NewServer(calendlytest.Options{})
	defer emu.Close()
	actor := newDemoActor(emu, bookingsReader{}, 1)
	if _, err := actor.Demo(context.Background(), tui.DemoReschedule, ""); err == nil || !strings.Contains(err.Error(), "press B") {
		t.Errorf("reschedule with no bookings: %v, want a hint to book first", err)
	}
}

// TestDemoKeysReachTheTUIThroughTheWebhook runs the demo's backend, waits
// for its first sync to say it caught up, then cancels a booking at random
// as the C key does and waits for the invitee.canceled delivery.
func TestDemoKeysReachTheTUIThroughTheWebhook(t *testing.T) {
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: t.TempDir()}
	ctx := context.Background()
	d, err := a.startDemo(ctx, 5, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	timeout := time.After(60 * time.Second)
	next := func(what string) tui.Event {
		select {
		case ev := <-d.hub.Events():
			return ev
		case <-timeout:
			t.Fatalf("no %s within 60 s", what)
		}
		return nil
	}
	for {
		if c, ok := next("catch-up").(tui.CaughtUp); ok {
			if !c.Since.IsZero() {
				t.Errorf("a fresh home caught up since %v, want zero (never ran)", c.Since)
			}
			break
		}
	}
	said, err := newDemoActor(d.emu, d.hub.Reader(), 1).Demo(ctx, tui.DemoCancel, "")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if c, ok := next("cancellation").(tui.DeliveryCommitted); ok && c.Record.Event == calendly.EventInviteeCanceled {
			if c.Record.Outcome != storage.OutcomeApplied {
				t.Errorf("the cancellation (%s) arrived as %+v", said, c.Record)
			}
			return
		}
	}
}
