package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
)

// TestLoggedInTUISubscribesAndShowsWhatArrives: plain `calwatch` with a
// login runs the session behind the TUI: it subscribes the public URL,
// and a booking made at Calendly reaches the TUI as a stored delivery;
// closing it deletes the subscription.
func TestLoggedInTUISubscribesAndShowsWhatArrives(t *testing.T) {
	t.Setenv(envKeyring, "file")
	t.Setenv(signingKeyEnv, "")
	emu := newLoginEmulator(t, false)
	home := t.TempDir()
	runCLI(t, strings.NewReader(loginTestPAT+"\n"), "login", "--token", "-", "--api-url", emu.URL, "--home", home).wantExit(t, exitOK)

	addr := freeLocalAddr(t)
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: home}
	opts := &tuiOptions{listen: listenOptions{addr: addr, publicURL: "http://" + addr, path: "/webhooks/calendly", rateLimit: defaultRateLimit,
		session: sessionOptions{scope: "user", pollInterval: time.Minute}}}
	live, closeLive, err := a.startLiveTUI(context.Background(), opts, nil, opts.listen.path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if closeLive != nil {
			closeLive()
		}
	}()
	if live.hub.Connection().Mode != tui.ModeLive || live.hub.Connection().WebhookURL != "http://"+addr+"/webhooks/calendly" {
		t.Errorf("connection %+v; want live at the public URL", live.hub.Connection())
	}
	subscribed := func() int {
		store, err := a.openExistingStore(context.Background())
		if err != nil {
			return -1
		}
		defer store.Close()
		subs, err := store.Subscriptions(context.Background())
		if err != nil {
			return -1
		}
		return len(subs)
	}
	waitFor(t, "the subscription", func() bool { return subscribed() == 1 })

	booked, err := emu.Book(calendlytest.BookRequest{Email: "tui@example.com", Name: "Seen In The TUI"})
	if err != nil {
		t.Fatal(err)
	}
	// The TUI learns of the delivery either by name or, when its events
	// queued up during the backfill, folded into a StoreChanged after
	// which it re-reads the store: either way it must then show it.
	stored := func() bool {
		store, err := a.openExistingStore(context.Background())
		if err != nil {
			return false
		}
		defer store.Close()
		records, err := store.ListDeliveries(context.Background(), 100)
		return err == nil && slices.ContainsFunc(records, func(r storage.DeliveryRecord) bool { return r.Invitee == booked.Invitee })
	}
	timeout := time.After(30 * time.Second)
	for arrived := false; !arrived; {
		select {
		case ev := <-live.hub.Events():
			switch ev := ev.(type) {
			case tui.DeliveryCommitted:
				arrived = ev.Record.Invitee == booked.Invitee
			case tui.StoreChanged:
				arrived = stored()
			}
		case <-timeout:
			res, err := http.Get(emu.URL + "/_emulator/deliveries")
			if err == nil {
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				t.Logf("the emulator's attempts: %s", body)
			}
			t.Fatal("the booking did not reach the TUI within 30 s")
		}
	}
	closeLive()
	closeLive = nil
	if n := subscribed(); n != 0 {
		t.Errorf("after closing, calwatch remembers %d subscriptions; want its own deleted", n)
	}
}
