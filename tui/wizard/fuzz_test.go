package wizard

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// FuzzWizardKeys drives the wizard with any sequence of keys and pastes,
// against actions that fail or succeed, and checks what a user would see:
// the screen keeps its size, and a secret pasted into a secret input
// never shows.
func FuzzWizardKeys(f *testing.F) {
	f.Add([]byte{0, 1, 0, 9, 0, 0, 2, 2, 0}, false)
	f.Add([]byte{0, 0, 0, 9, 0, 0, 1, 0, 9, 0, 5, 6, 0}, true)
	f.Add([]byte{0, 1, 1, 0, 3, 4, 7, 8, 0, 10}, false)
	const secret = "S3CRET-never-shown"
	f.Fuzz(func(t *testing.T, script []byte, failing bool) {
		if len(script) > 200 {
			script = script[:200]
		}
		acts := &fakeActions{account: avery(), ngrokURL: "https://x.ngrok.app"}
		if failing {
			err := errors.New("refused: try again")
			acts.loginErr, acts.ngrokErr, acts.webhooksErr, acts.appKeyErr = err, err, err, err
		}
		w, h := 80, 24
		if len(script)%2 == 1 {
			w, h = 120, 36
		}
		m := newTestWizard(t, acts, Options{}, w, h)
		for _, b := range script {
			var msg tea.Msg
			switch b % 12 {
			case 0:
				msg = keyPress("enter")
			case 1:
				msg = keyPress("down")
			case 2:
				msg = keyPress("up")
			case 3:
				msg = keyPress("esc")
			case 4:
				msg = keyPress("space")
			case 5:
				msg = keyPress("s")
			case 6:
				msg = keyPress("tab")
			case 7:
				msg = keyPress("?")
			case 8:
				msg = keyPress("backspace")
			case 9:
				if m.step == stepToken || m.step == stepNgrokToken || m.step == stepAppKey || (m.step == stepOAuthApp && m.oauthField == 1) {
					msg = tea.PasteMsg{Content: secret}
				} else {
					msg = tea.PasteMsg{Content: "https://hooks.example.com"}
				}
			case 10:
				msg = keyPress("q")
			default:
				msg = tea.KeyPressMsg{Code: rune('a' + b%26), Text: string(rune('a' + b%26))}
			}
			// A short wait: the invariants hold whether or not a slow
			// command's answer arrives, and the fake's blocking commands
			// (a sign-in URL that never comes, the spinner) would
			// otherwise cost 200 ms a key.
			_, cmd := m.Update(msg)
			drive(t, m, cmd, 5*time.Millisecond)
			s := ansi.Strip(m.View().Content)
			if strings.Contains(s, secret) {
				t.Fatalf("a secret shows at step %d:\n%s", m.step, s)
			}
			lines := strings.Split(s, "\n")
			if len(lines) != h {
				t.Fatalf("step %d: %d lines, want %d", m.step, len(lines), h)
			}
			for i, l := range lines {
				if ansi.StringWidth(l) != w {
					t.Fatalf("step %d line %d is %d cells, want %d: %q", m.step, i+1, ansi.StringWidth(l), w, l)
				}
			}
			if _, done := m.Result(); done {
				return
			}
		}
	})
}
