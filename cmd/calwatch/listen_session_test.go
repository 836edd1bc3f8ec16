package main

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// freeLocalAddr is a loopback address free right now.
func freeLocalAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestListenWithALoginSubscribesBackfillsFollowsAndCleansUp: after
// `calwatch login --token -`, `calwatch listen` needs no signing key: it
// subscribes its public URL with Calendly (here the emulator), backfills
// what was booked before, stores what is booked, canceled and marked while
// it runs, and deletes its subscription on exit, leaving another app's alone.
func TestListenWithALoginSubscribesBackfillsFollowsAndCleansUp(t *testing.T) {
	t.Setenv(envKeyring, "file")
	t.Setenv(signingKeyEnv, "")
	emu := newLoginEmulator(t, false)
	home := t.TempDir()
	runCLI(t, strings.NewReader(loginTestPAT+"\n"), "login", "--token", "-", "--api-url", emu.URL, "--home", home).wantExit(t, exitOK)
	client, err := calendly.NewClient(calendly.StaticToken(loginTestPAT), calendly.WithBaseURL(emu.URL))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	user := emu.DefaultUser()
	foreign, _, err := client.WebhookSubscriptions.Create(ctx, calendly.CreateWebhookSubscriptionRequest{
		URL: "https://someone-else.example/hook", Events: []string{calendly.EventInviteeCreated},
		Organization: user.CurrentOrganization, User: user.URI, Scope: calendly.ScopeUser, SigningKey: "another-apps-key",
	})
	if err != nil {
		t.Fatal(err)
	}
	before, err := emu.Book(calendlytest.BookRequest{Email: "before@example.com", Name: "Booked Before"})
	if err != nil {
		t.Fatal(err)
	}

	addr := freeLocalAddr(t)
	l := startListen(t, home, "--addr", addr, "--public-url", "http://"+addr)
	waitFor(t, "the booking made before the start is backfilled", func() bool { return hasInvitee(t, home, before.Invitee) })

	live, err := emu.Book(calendlytest.BookRequest{Email: "live@example.com", Name: "Booked Live"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a live booking is delivered", func() bool { return hasInvitee(t, home, live.Invitee) })
	if err := emu.MarkNoShow(live.Invitee); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the no-show is delivered", func() bool {
		return strings.Contains(runCLI(t, nil, "contacts", "show", "live@example.com", "--json", "--home", home).stdout, `"no_show"`)
	})
	if err := emu.Cancel(calendlytest.CancelRequest{Invitee: before.Invitee, Reason: "conflict"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the cancellation is delivered", func() bool {
		return strings.Contains(runCLI(t, nil, "events", "list", "--status", "canceled", "--json", "--home", home).stdout, before.Invitee)
	})
	if n := strings.Count(l.stderr.String(), "data key is in the file"); n > 1 {
		t.Errorf("the key-file warning came %d times", n)
	}
	if strings.Contains(l.stderr.String(), "refused") {
		t.Errorf("listen refused a delivery:\n%s", l.stderr)
	}

	st := statusJSON(t, home)
	if len(st.Subscriptions) != 1 || st.Subscriptions[0].CallbackURL != "http://"+addr+"/webhooks/calendly" || st.LastSync == nil || st.LastDelivery == nil {
		t.Errorf("status while listening: %d subscriptions %+v, last sync %v, last delivery %v; want ours, a sync and a delivery",
			len(st.Subscriptions), st.Subscriptions, st.LastSync, st.LastDelivery)
	}
	human := runCLI(t, nil, "status", "--home", home).wantExit(t, exitOK).stdout
	for _, want := range []string{"Subscribed http", "Last synced with Calendly: 20", "Last delivery: 20"} {
		if !strings.Contains(human, want) {
			t.Errorf("status does not say %q:\n%s", want, human)
		}
	}
	if code := l.stopListen(t); code != exitOK {
		t.Fatalf("listen exited %d:\n%s", code, l.stderr)
	}
	var ours, theirs int
	for sub, err := range client.WebhookSubscriptions.All(ctx, calendly.ListWebhookSubscriptionsOptions{Organization: user.CurrentOrganization, User: user.URI, Scope: calendly.ScopeUser}) {
		if err != nil {
			t.Fatal(err)
		}
		switch sub.URI {
		case foreign.URI:
			theirs++
		default:
			ours++
		}
	}
	if ours != 0 || theirs != 1 {
		t.Errorf("after exit: %d of calwatch's subscriptions left, %d of the other app's; want 0 and 1\n%s", ours, theirs, l.stderr)
	}
}

// hasInvitee reports whether events list --json names the invitee.
func hasInvitee(t *testing.T, home, inviteeURI string) bool {
	t.Helper()
	r := runCLI(t, nil, "events", "list", "--json", "--home", home)
	return r.code == exitOK && strings.Contains(r.stdout, fmt.Sprintf("%q", inviteeURI))
}

// TestListenWithALoginRefusesWhatCannotWork: a logged-in listen's own
// flags are checked, as usage errors.
func TestListenWithALoginRefusesWhatCannotWork(t *testing.T) {
	t.Setenv(envKeyring, "file")
	t.Setenv(signingKeyEnv, "")
	emu := newLoginEmulator(t, false)
	home := t.TempDir()
	runCLI(t, strings.NewReader(loginTestPAT+"\n"), "login", "--token", "-", "--api-url", emu.URL, "--home", home).wantExit(t, exitOK)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--scope", "team"}, "--scope"},
		{[]string{"--poll-interval", "1s"}, "--poll-interval"},
		{[]string{"--events", "invitee.exploded"}, "--events"},
		{[]string{"--since", "yesterday-ish"}, "--since"},
	} {
		args := append([]string{"listen", "--no-tunnel", "--addr", "127.0.0.1:0", "--home", home}, c.args...)
		runCLI(t, nil, args...).wantExit(t, exitUsage).wantOneLineError(t, c.says)
	}
	runCLI(t, nil, "listen", "--no-tunnel", "--addr", "127.0.0.1:0", "--home", t.TempDir()).
		wantExit(t, exitUsage).wantOneLineError(t, "no signing key and no Calendly login")
}
