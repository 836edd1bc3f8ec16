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
