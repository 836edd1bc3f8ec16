package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// TestTUIForwardsAndTheInspectorShowsTheAppsAnswer: the TUI with
// --forward-to sends a verified delivery on to the app, re-signed, and
// the inspector opened on it shows where it went and what the app answered.
func TestTUIForwardsAndTheInspectorShowsTheAppsAnswer(t *testing.T) {
	t.Setenv(signingKeyEnv, "")
	t.Setenv(forwardSigningKeyEnv, "")
	appURL, got := newTestApp(t, func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, "queued for the CRM\n")
	})
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: t.TempDir()}
	opts := &tuiOptions{listen: listenOptions{addr: "127.0.0.1:0", noTunnel: true, path: "/webhooks/calendly", rateLimit: defaultRateLimit,
		signingKey: listenTestKey, forward: forwardOptions{to: appURL, signingKey: forwardTestKey}}}
	live, closeLive, err := a.startLiveTUI(context.Background(), opts, []byte(listenTestKey), opts.listen.path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer closeLive()

	tm := teatest.NewTestModel(t, tui.New(live.hub, tui.Options{Dark: true, NoTicks: true}), teatest.WithInitialTermSize(88, 40))
	if code := postDelivery(t, live.localURL, listenTestKey, loadgen.InviteeCreated("tuifw", 1, 3000).Body); code != http.StatusOK {
		t.Fatalf("the delivery was answered %d", code)
	}
	if r := nextAppRequest(t, got); len(r.body) == 0 || r.signature == "" {
		t.Fatal("the app got no signed delivery")
	}
	tm.Type("3")
	// ⏎ opens the selected row: wait until the feed has one.
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("1 of 1")) },
		teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("queued for the CRM")) },
		teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	screen := ansi.Strip(tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).View().Content)
	if want := "Forward    → " + appURL + " · 202 in "; !strings.Contains(screen, want) || !strings.Contains(screen, "queued for the CRM") {
		t.Errorf("the inspector does not show %q and the app's answer:\n%s", want, screen)
	}
}

// TestTUIForwardFlags: the TUI takes listen's forward flags with their
// meaning, and refuses what cannot work.
func TestTUIForwardFlags(t *testing.T) {
	t.Setenv(signingKeyEnv, "")
	t.Setenv(forwardSigningKeyEnv, "")
	home := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--offline", "--forward-to", "http://127.0.0.1:3000/h"}, "--offline does not listen"},
		{[]string{"--no-tunnel", "--signing-key", listenTestKey, "--forward-to", "ftp://127.0.0.1/x"}, "http://"},
		{[]string{"--no-tunnel", "--signing-key", listenTestKey, "--forward-signing-key", "k"}, "needs --forward-to"},
		{[]string{"--demo", "--forward-to", "http://127.0.0.1:3000/h"}, "--forward-signing-key"},
	} {
		r := runCLI(t, nil, append([]string{"--home", home}, tc.args...)...).wantExit(t, exitUsage)
		r.wantOneLineError(t, tc.want)
		if strings.Contains(r.stderr, listenTestKey) {
			t.Errorf("the signing key was printed: %s", r.stderr)
		}
	}
}

// TestDemoForwardsWhatTheEmulatorDelivers: --demo --forward-to sends a
// booking made in the emulator on to the app, signed with the forward key,
// and the TUI hears what the app answered.
func TestDemoForwardsWhatTheEmulatorDelivers(t *testing.T) {
	appURL, got := newTestApp(t, func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) })
	plan, err := checkForwardOptions(forwardOptions{to: appURL, signingKey: forwardTestKey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: t.TempDir()}
	ctx := context.Background()
	d, err := a.startDemoForwarding(ctx, 3, slog.New(slog.NewTextHandler(io.Discard, nil)), plan)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	waitFor(t, "the demo's subscription", func() bool {
		subs, err := d.store.Subscriptions(ctx)
		return err == nil && len(subs) == 1
	})
	booked, err := d.emu.Book(calendlytest.BookRequest{Email: "forwarded@example.com", Name: "Forwarded Along"})
	if err != nil {
		t.Fatal(err)
	}
	sent := nextAppRequest(t, got)
	if !bytes.Contains(sent.body, []byte(booked.Invitee)) {
		t.Fatalf("the app got %d bytes without the booking's invitee", len(sent.body))
	}
	if _, err := calendly.Verify(sent.signature, sent.body, []byte(forwardTestKey), time.Now(), calendly.DefaultTolerance); err != nil {
		t.Errorf("the forwarded delivery does not verify with the forward key: %v", err)
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-d.hub.Events():
			if f, ok := ev.(tui.Forwarded); ok {
				if f.Result.Status != http.StatusOK || f.Result.URL != appURL {
					t.Fatalf("the TUI heard %+v; want the app's 200", f.Result)
				}
				return
			}
		case <-timeout:
			t.Fatal("the app's answer did not reach the TUI within 30 s")
		}
	}
}
