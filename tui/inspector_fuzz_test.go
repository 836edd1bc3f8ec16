package tui

import (
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/calwatch/calwatch/storage"
)

// sgr matches the colour sequences the inspector itself adds (chroma,
// lipgloss); anything else that looks like a control came from the body.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// FuzzInspectorBody renders arbitrary delivery bodies and signature headers
// (outside input: whatever was POSTed) and checks that nothing but the
// inspector's own colours reaches the terminal.
func FuzzInspectorBody(f *testing.F) {
	f.Add([]byte(`{"event":"invitee.created","payload":{"name":"Ana"}}`), "t=1,v1=ab")
	f.Add([]byte("{\"name\":\"\x1b]0;pwned\x07\"}"), "t=\x1b[2J")
	f.Add([]byte("not json \x9b31m \u202e evil"), "")
	f.Add([]byte(`{"a":"\u001b[31m"}`), "v1=")
	f.Fuzz(func(t *testing.T, body []byte, header string) {
		var in inspector
		in.set(storage.DeliveryRecord{ID: 1, ReceivedAt: testNow, Outcome: storage.OutcomeRefused, Reason: header,
			SignatureHeader: header, Body: body}, nil)
		feed := feedPane{}
		for _, raw := range []bool{false, true} {
			in.raw = raw
			out := in.render(DefaultStyles(true), &feed, time.UTC, testNow, 100, 30)
			for _, r := range sgr.ReplaceAllString(out, "") {
				if r != '\n' && (unicode.IsControl(r) || r == '\u202e' || r == '\u2066') {
					t.Fatalf("a %U from the body reached the screen:\n%q", r, out)
				}
			}
			if n := strings.Count(out, "\n"); n != 29 {
				t.Fatalf("inspector drew %d lines, want 30", n+1)
			}
		}
	})
}
