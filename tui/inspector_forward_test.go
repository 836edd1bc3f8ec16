package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// inspectNewest opens the inspector on the feed's selected delivery of a
// model over store, w×h, and returns the model and that delivery's id.
func inspectNewest(t *testing.T, store *storage.Store, w, h int) (*Model, int64) {
	t.Helper()
	m := newTestModel(t, store, Connection{Mode: ModeLocal, KeySet: true}, w, h)
	keys(t, m, "3", "enter")
	if m.view != viewInspector || m.insp.rec.ID == 0 {
		t.Fatal("the inspector did not open")
	}
	return m, m.insp.rec.ID
}

// selectedID is the delivery the feed selects in a fresh model over store.
func selectedID(t *testing.T, store *storage.Store) int64 {
	t.Helper()
	m := newTestModel(t, store, Connection{Mode: ModeLocal}, 120, 36)
	keys(t, m, "3")
	id := m.feed.selectedID()
	if id == 0 {
		t.Fatal("the feed selects nothing")
	}
	return id
}

func TestInspectorShowsTheStoredForwardAnswer(t *testing.T) {
	store := filledStore(t)
	id := selectedID(t, store)
	if err := store.RecordForward(context.Background(), storage.ForwardResult{DeliveryID: id, URL: "http://localhost:3000/hooks",
		At: testNow, Status: 200, Latency: 12 * time.Millisecond, Answer: []byte("ok")}); err != nil {
		t.Fatal(err)
	}
	// Full width, the verdict spans the screen: one line.
	m, _ := inspectNewest(t, store, 80, 40)
	if got := screen(m); !strings.Contains(got, "Forward    → http://localhost:3000/hooks · 200 in 12ms · 2 B answer") ||
		!strings.Contains(got, "            ok") {
		t.Errorf("the inspector does not show the app's answer on one line:\n%s", got)
	}
	// Beside the headers, the column is narrow: the target, then the answer.
	m, _ = inspectNewest(t, store, 140, 40)
	got := screen(m)
	if !strings.Contains(got, "Forward    → http://localhost:3000/hooks") || !strings.Contains(got, "200 in 12ms · 2 B answer") {
		t.Errorf("the narrow inspector does not show the forward:\n%s", got)
	}
}

func TestInspectorSaysWhyTheAppGaveNoAnswer(t *testing.T) {
	for _, tc := range []struct {
		name string
		res  storage.ForwardResult
		want string
	}{
		{"refused", storage.ForwardResult{URL: "http://127.0.0.1:3000/hooks", Error: "dial tcp 127.0.0.1:3000: connect: connection refused"},
			"✗ connection refused — is your app running on :3000?"},
		{"timeout", storage.ForwardResult{URL: "http://127.0.0.1:3000/hooks", Error: "no answer within 10s"},
			"✗ no answer within 10s — is your app stuck?"},
		{"500", storage.ForwardResult{URL: "http://127.0.0.1:3000/hooks", Status: 500, Latency: 3 * time.Millisecond,
			Answer: []byte("\n\x1b]0;pwned\x07TypeError: email of undefined\nat handler.js:3\n")}, "500 in 3ms · 57 B answer"},
		{"redirect", storage.ForwardResult{URL: "http://127.0.0.1:3000/hooks", Status: 302, Latency: time.Millisecond,
			Error: "redirect not followed: answered 302 to /login"}, "✗ 302 in 1ms — redirect not followed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := filledStore(t)
			tc.res.DeliveryID = selectedID(t, store)
			if err := store.RecordForward(context.Background(), tc.res); err != nil {
				t.Fatal(err)
			}
			m, _ := inspectNewest(t, store, 80, 40)
			got := screen(m)
			if !strings.Contains(got, tc.want) {
				t.Errorf("the inspector does not say %q:\n%s", tc.want, got)
			}
			if tc.name == "500" && !strings.Contains(got, "TypeError: email of undefined") {
				t.Errorf("the app's answer is not shown as its first readable line:\n%s", got)
			}
			if strings.Contains(m.View().Content, "\x1b]0;") {
				t.Error("the app's escape sequence reached the terminal")
			}
		})
	}
}

func TestInspectorShowsNoForwardForADeliveryNeverForwarded(t *testing.T) {
	m, _ := inspectNewest(t, filledStore(t), 80, 40)
	if got := screen(m); strings.Contains(got, "Forward ") {
		t.Errorf("a delivery never forwarded shows a Forward section:\n%s", got)
	}
}

// TestALiveForwardReachesTheOpenInspector: the answer arrives as an event
// while the inspector is open, and also when it came while the delivery
// was still being read (the read found nothing stored yet).
func TestALiveForwardReachesTheOpenInspector(t *testing.T) {
	store := filledStore(t)
	m, id := inspectNewest(t, store, 80, 40)
	send(t, m, eventMsg{Forwarded{Result: storage.ForwardResult{DeliveryID: id, URL: "http://localhost:3000/hooks", Status: 204, Latency: 5 * time.Millisecond}}})
	if got := screen(m); !strings.Contains(got, "→ http://localhost:3000/hooks · 204 in 5ms · 0 B answer") {
		t.Errorf("the open inspector does not show the live answer:\n%s", got)
	}

	m = newTestModel(t, store, Connection{Mode: ModeLocal}, 80, 40)
	keys(t, m, "3")
	_, load := m.Update(keyPress("enter")) // the read is under way…
	m.Update(eventMsg{Forwarded{Result: storage.ForwardResult{DeliveryID: id, URL: "http://localhost:3000/hooks", Status: 202, Latency: 7 * time.Millisecond}}})
	drive(t, m, load) // …and found no stored answer
	if got := screen(m); !strings.Contains(got, "202 in 7ms") {
		t.Errorf("an answer that came during the read is lost:\n%s", got)
	}
}
