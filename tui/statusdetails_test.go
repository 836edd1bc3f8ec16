package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

const (
	longURL = "https://a-rather-long-reserved-subdomain-for-calwatch.ngrok-free.app/hooks/calendly?team=growth-and-onboarding"
	subURI  = "https://api.calendly.com/webhook_subscriptions/AAAAAAAAAAAAAAAA-0123456789-BBBBBBBBBBBBBBBB-ZZZZ"
)

func detailsModel(t *testing.T, w, h int) *Model {
	t.Helper()
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeLive, KeySet: true, WebhookURL: "http://127.0.0.1:8787/hooks/calendly",
		Database: "/home/avery/.local/share/calwatch/calwatch.db", Account: "Avery Emulator · Acme"}, w, h)
	send(t, m, eventMsg{ev: TunnelState{State: "online", URL: longURL}})
	send(t, m, eventMsg{ev: Subscription{State: "active", URI: subURI, Scope: "organization",
		Events: []string{"invitee.created", "invitee.canceled", "invitee_no_show.created", "invitee_no_show.deleted", "routing_form_submission.created"}}})
	return m
}

// unboxed is the screen with the borders' side bars taken off each line.
func unboxed(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		b.WriteString(strings.TrimSpace(strings.Trim(strings.TrimSpace(l), "│")))
		b.WriteString("\n")
	}
	return b.String()
}

func TestIShowsTheStatusDetailsWithTheURLInFull(t *testing.T) {
	for _, size := range []struct{ w, h int }{{120, 36}, {80, 24}} {
		m := detailsModel(t, size.w, size.h)
		if s := screen(m); strings.Contains(s, longURL) || strings.Contains(s, "Status details") {
			t.Fatalf("%dx%d: details before i:\n%s", size.w, size.h, s)
		}
		keys(t, m, "i")
		s := screen(m)
		checkShape(t, "details", s, size.w, size.h)
		// At 120 columns the URL fits a line; at 80 it wraps, whole.
		joined := strings.ReplaceAll(unboxed(s), "\n", "")
		if !strings.Contains(joined, "● online · "+longURL) || !strings.Contains(s, "routing_form_submission.created") {
			t.Errorf("%dx%d: the URL or the last event is not there in full:\n%s", size.w, size.h, s)
		}
		for _, want := range []string{"Status details", "✓ active · organization · https://api.cal", "…",
			"invitee.created, invitee.canceled", "✓ signing key set (never shown)",
			"/home/avery/.local/share/calwatch/calwatch.db", "Avery Emulator · Acme"} {
			if !strings.Contains(s, want) {
				t.Errorf("%dx%d: the details lack %q:\n%s", size.w, size.h, want, s)
			}
		}
		if strings.Contains(s, subURI) && size.w < 120 {
			t.Errorf("%dx%d: the subscription URI is not cut in the middle", size.w, size.h)
		}
		if !strings.Contains(s, "ZZZZ") {
			t.Errorf("%dx%d: the URI's end is cut off rather than its middle:\n%s", size.w, size.h, s)
		}
		keys(t, m, "i")
		if s := screen(m); strings.Contains(s, "Status details") {
			t.Errorf("%dx%d: i again did not close them", size.w, size.h)
		}
		keys(t, m, "i", "esc")
		if s := screen(m); strings.Contains(s, "Status details") {
			t.Errorf("%dx%d: esc did not close them", size.w, size.h)
		}
	}
}

func TestStatusDetailsSayWhatIsMissing(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeLocal, WebhookURL: "http://127.0.0.1:8787/hooks/calendly"}, 120, 36)
	keys(t, m, "i")
	s := screen(m)
	for _, want := range []string{"● local (no tunnel) · http://127.0.0.1:8787/hooks/calendly", "— none (no Calendly login here)",
		"✗ no signing key", "— none in use (calwatch login connects one)"} {
		if !strings.Contains(s, want) {
			t.Errorf("the details lack %q:\n%s", want, s)
		}
	}
	send(t, m, eventMsg{ev: Subscription{State: "polling"}})
	if s := screen(m); !strings.Contains(s, "◐ polling — no webhook can reach calwatch") {
		t.Errorf("polling is not said:\n%s", s)
	}
}

func TestStatusDetailsBeforeTheSubscription(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeLive, Demo: true, KeySet: true, WebhookURL: "http://127.0.0.1:8787/webhooks/calendly"}, 120, 36)
	keys(t, m, "i")
	if s := screen(m); !strings.Contains(s, "… not subscribed yet") {
		t.Errorf("a live session not yet subscribed does not say so:\n%s", s)
	}
}

func TestStatusDetailsOffline(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeOffline, Database: "/srv/calwatch/calwatch.db"}, 120, 36)
	keys(t, m, "i")
	s := screen(m)
	for _, want := range []string{"○ offline — reading the store; no listener here", "— none from here (offline: calwatch listen subscribes)",
		"/srv/calwatch/calwatch.db", "— none in use (offline)"} {
		if !strings.Contains(s, want) {
			t.Errorf("the offline details lack %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "signing key") {
		t.Errorf("offline, there is no listener whose key could matter:\n%s", s)
	}
}

// TestStatusBarSaysTheSubscriptionAndAccount: a live session's status bar
// says it is still subscribing, then how many events Calendly sends, and
// whose account it is when the width allows; polling says so.
func TestStatusBarSaysTheSubscriptionAndAccount(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeLive, KeySet: true, WebhookURL: "http://127.0.0.1:8787/hooks/calendly",
		Account: "Avery Emulator · Acme"}, 160, 48)
	bar := func() string { return strings.SplitN(screen(m), "\n", 2)[0] }
	if !strings.Contains(bar(), "sub pending") {
		t.Errorf("before the subscription the bar should say it is pending: %q", bar())
	}
	send(t, m, eventMsg{ev: Subscription{State: "active", Events: []string{"invitee.created", "invitee.canceled", "invitee_no_show.created", "invitee_no_show.deleted"}}})
	if b := bar(); !strings.Contains(b, "sub ✓ 4 events") || !strings.Contains(b, "Avery Emulator · Acme") {
		t.Errorf("the bar should say the subscription's 4 events and the account: %q", b)
	}
	send(t, m, eventMsg{ev: Subscription{State: "polling"}})
	if b := bar(); !strings.Contains(b, "sub ✗ polling") {
		t.Errorf("the bar should say no webhook reaches calwatch: %q", b)
	}
	send(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if b := bar(); strings.Contains(b, "Avery") || !strings.Contains(b, "last 1m ago") {
		t.Errorf("at 80 columns the account and the subscription go before the last delivery's age: %q", b)
	}
}
