package tui

import (
	"strings"
	"testing"
)

// TestEmptyFeedKeysDoNothing presses the feed's keys on an empty feed:
// o (open link) crashed the TUI there once.
func TestEmptyFeedKeysDoNothing(t *testing.T) {
	m := newTestModel(t, openStore(t), Connection{Mode: ModeLocal, WebhookURL: "http://127.0.0.1:8787/webhooks/calendly", KeySet: true}, 120, 36)
	keys(t, m, "3", "G", "o", "enter", "r", "y", "c", "j", "k")
	if s := screen(m); strings.Contains(s, "[Body]") {
		t.Errorf("keys on an empty feed opened an inspector:\n%s", s)
	}
}

// TestEmptyDemoFeedSaysPressB: the demo's empty feed points at its own B
// key and its generator, not at calwatch trigger; elsewhere it says how to
// send one.
func TestEmptyDemoFeedSaysPressB(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 36}} {
		demo := newTestModel(t, openStore(t), Connection{Mode: ModeLive, Demo: true, WebhookURL: "http://127.0.0.1:8787/webhooks/calendly", KeySet: true}, size.w, size.h)
		s := screen(demo)
		// The feed's column (right of the left panes), joined across its
		// lines: the hint wraps in a narrow pane.
		var feed []string
		for _, line := range strings.Split(s, "\n") {
			if _, right, ok := strings.Cut(line, "││"); ok {
				feed = append(feed, strings.Trim(right, "│ "))
			}
		}
		words := strings.Join(strings.Fields(strings.Join(feed, " ")), " ")
		if !strings.Contains(words, "press B to book someone (or wait: the demo books every few seconds)") || strings.Contains(s, "calwatch trigger") {
			t.Errorf("%d cols: the demo's empty feed does not say press B:\n%s", size.w, s)
		}
	}
	plain := newTestModel(t, openStore(t), Connection{Mode: ModeLive, WebhookURL: "http://127.0.0.1:8787/webhooks/calendly", KeySet: true}, 120, 36)
	if s := screen(plain); !strings.Contains(s, "calwatch trigger invitee.created --to http://127.0.0.1:8787/") || strings.Contains(s, "press B") {
		t.Errorf("outside the demo the empty feed does not say how to send one:\n%s", s)
	}
}
