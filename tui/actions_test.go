package tui

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// replayCall is one call a fakeReplayer received.
type replayCall struct {
	id   int64
	body []byte
}

// fakeReplayer is a quiet backend that can replay: it records each call
// and answers what the test set.
type fakeReplayer struct {
	quiet
	calls  chan replayCall
	result ReplayResult
	err    error
}

func (f *fakeReplayer) Replay(_ context.Context, id int64, body []byte) (ReplayResult, error) {
	f.calls <- replayCall{id, body}
	return f.result, f.err
}

func (f *fakeReplayer) SignNow(body []byte) (string, string, error) {
	return "http://127.0.0.1:9/hooks/calendly", "t=1,v1=fresh", nil
}

// replayModel is a model over a filled store whose backend is f, with the
// feed focused and flash timers off (the footer is read after driving).
func replayModel(t *testing.T, f *fakeReplayer, opts Options) *Model {
	t.Helper()
	store := filledStore(t)
	f.quiet = quiet{NewHub(store.Panes(), Connection{Mode: ModeLocal, KeySet: true, WebhookURL: "http://127.0.0.1:8787/hooks/calendly"})}
	if f.calls == nil {
		f.calls = make(chan replayCall, 4)
	}
	opts.Location, opts.Now, opts.Dark, opts.NoTicks = berlin, func() time.Time { return testNow }, true, true
	m := New(f, opts)
	m.flashTimers = false
	drive(t, m, m.Init())
	send(t, m, tea.WindowSizeMsg{Width: 120, Height: 36})
	keys(t, m, "3")
	return m
}

func footerOf(m *Model) string {
	lines := strings.Split(screen(m), "\n")
	return lines[len(lines)-1]
}

func TestReplayKeySendsTheSelectedDeliveryAndSaysTheAnswer(t *testing.T) {
	f := &fakeReplayer{result: ReplayResult{Status: 200, Latency: 39 * time.Millisecond}}
	m := replayModel(t, f, Options{})
	want := m.feed.selectedID()
	if want == 0 {
		t.Fatal("the filled store gave the feed no deliveries")
	}
	keys(t, m, "r")
	call := <-f.calls
	if call.id != want || call.body != nil {
		t.Errorf("replayed %d with body %q, want %d as stored", call.id, call.body, want)
	}
	if got := footerOf(m); !strings.Contains(got, "✓ replayed → 200 (39ms)") {
		t.Errorf("footer = %q, want the replay's answer", got)
	}
}

func TestReplayFailuresSayWhy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		result ReplayResult
		err    error
		want   string
	}{
		{"not sent", ReplayResult{}, errors.New("delivery 3 is no longer in the log"), "✗ replay failed: delivery 3 is no longer in the log"},
		{"no answer", ReplayResult{Err: errors.New("connection refused")}, nil, "✗ replay failed: connection refused"},
		{"refused", ReplayResult{Status: 401, Latency: 3 * time.Millisecond}, nil, "✗ replayed → 401 (3ms)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeReplayer{result: tc.result, err: tc.err}
			m := replayModel(t, f, Options{})
			keys(t, m, "r")
			<-f.calls
			if got := footerOf(m); !strings.Contains(got, tc.want) {
				t.Errorf("footer = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReplayWithoutAListenerSaysWhatToRun(t *testing.T) {
	m := newTestModel(t, filledStore(t), Connection{Mode: ModeOffline}, 120, 36)
	m.flashTimers = false
	keys(t, m, "3", "r")
	if got := footerOf(m); !strings.Contains(got, "✗ replay needs a listener") {
		t.Errorf("footer = %q, want the replay refused with what to run", got)
	}
}

func TestReplayFromTheInspectorUsesTheInspectedDelivery(t *testing.T) {
	f := &fakeReplayer{result: ReplayResult{Status: 200, Latency: time.Millisecond}}
	m := replayModel(t, f, Options{})
	keys(t, m, "k", "enter")
	want := m.insp.rec.ID
	if want == 0 || m.view != viewInspector {
		t.Fatal("the inspector did not open")
	}
	keys(t, m, "r")
	if call := <-f.calls; call.id != want {
		t.Errorf("replayed %d, want the inspected %d", call.id, want)
	}
}

func TestFlashExpiresUnlessANewerOneReplacedIt(t *testing.T) {
	f := &fakeReplayer{result: ReplayResult{Status: 200}}
	m := replayModel(t, f, Options{})
	m.setFlash(sevOK, "first")
	old := m.flashSeq
	m.setFlash(sevOK, "second")
	send(t, m, flashExpired{old})
	if !strings.Contains(footerOf(m), "second") {
		t.Fatalf("an old timer cleared the newer flash: %q", footerOf(m))
	}
	send(t, m, flashExpired{m.flashSeq})
	if strings.Contains(footerOf(m), "second") {
		t.Errorf("the flash outlived its timer: %q", footerOf(m))
	}
}

func TestEditedBodyIsSentAndItsFileRemoved(t *testing.T) {
	f := &fakeReplayer{result: ReplayResult{Status: 200, Latency: 5 * time.Millisecond}}
	m := replayModel(t, f, Options{})
	id := m.feed.selectedID()
	// e writes the stored body to a file for the editor.
	_, cmd := m.Update(keyPress("e"))
	ready, ok := cmd().(editReady)
	if !ok || ready.id != id {
		t.Fatalf("e gave %#v, want the file for delivery %d", ready, id)
	}
	stored, err := m.reader.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(ready.path); string(got) != string(stored.Body) {
		t.Fatalf("the file to edit holds %q, want the stored body", got)
	}
	if err := os.WriteFile(ready.path, []byte(`{"edited":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	send(t, m, editorClosed{id: id, path: ready.path})
	call := <-f.calls
	if call.id != id || string(call.body) != `{"edited":true}` {
		t.Errorf("sent %d %q, want the edited body of %d", call.id, call.body, id)
	}
	if _, err := os.Stat(ready.path); !os.IsNotExist(err) {
		t.Errorf("the edited file is still there: %v", err)
	}
	if got := footerOf(m); !strings.Contains(got, "✓ sent edited → 200 (5ms)") {
		t.Errorf("footer = %q", got)
	}
}

func TestEditorFailureOrEmptyBodySendsNothing(t *testing.T) {
	f := &fakeReplayer{}
	m := replayModel(t, f, Options{Editor: []string{"nano"}})
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, []byte("  \n"), 0o600)
	send(t, m, editorClosed{id: 1, path: empty})
	if got := footerOf(m); !strings.Contains(got, "edited body is empty") {
		t.Errorf("footer = %q, want the empty body refused", got)
	}
	failed := filepath.Join(dir, "failed.json")
	os.WriteFile(failed, []byte("{}"), 0o600)
	send(t, m, editorClosed{id: 1, path: failed, err: errors.New("exit status 1")})
	if got := footerOf(m); !strings.Contains(got, "the editor nano failed") {
		t.Errorf("footer = %q, want the editor's failure", got)
	}
	select {
	case c := <-f.calls:
		t.Errorf("sent %+v after a failed edit", c)
	default:
	}
}

func TestEditorCommandPrefersVisualThenEditor(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	if got := editorCommand(get); strings.Join(got, " ") != "vi" {
		t.Errorf("no editor set: %q, want vi", got)
	}
	env["EDITOR"] = "nano"
	env["VISUAL"] = "code -w"
	if got := editorCommand(get); strings.Join(got, " ") != "code -w" {
		t.Errorf("got %q, want $VISUAL split into its arguments", got)
	}
}

func TestCopyCurlSignsNowAndQuotesTheBody(t *testing.T) {
	f := &fakeReplayer{}
	m := replayModel(t, f, Options{})
	_, cmd := m.Update(keyPress("c"))
	got, ok := cmd().(clipboardReady)
	if !ok {
		t.Fatalf("c gave %#v", got)
	}
	for _, want := range []string{"curl -sS -X POST 'http://127.0.0.1:9/hooks/calendly'", "'Calendly-Webhook-Signature: t=1,v1=fresh'", "--data-binary '{"} {
		if !strings.Contains(got.text, want) {
			t.Errorf("curl %q lacks %q", got.text, want)
		}
	}
	if shellQuote(`it's`) != `'it'\''s'` {
		t.Errorf("shellQuote(it's) = %s", shellQuote(`it's`))
	}
}

func TestOpenLinkOpensOnlyWebLinks(t *testing.T) {
	opened := make(chan string, 2)
	f := &fakeReplayer{}
	m := replayModel(t, f, Options{OpenURL: func(u string) error { opened <- u; return nil }})
	send(t, m, linkLoaded{"javascript:alert(1)"})
	if got := footerOf(m); !strings.Contains(got, "only http(s) links are opened") {
		t.Errorf("footer = %q, want the link refused", got)
	}
	send(t, m, linkLoaded{""})
	if got := footerOf(m); !strings.Contains(got, "no join link") {
		t.Errorf("footer = %q", got)
	}
	send(t, m, linkLoaded{"https://calendly.zoom.us/j/900"})
	select {
	case u := <-opened:
		if u != "https://calendly.zoom.us/j/900" {
			t.Errorf("opened %q", u)
		}
	default:
		t.Fatal("the join link was not opened")
	}
	if len(opened) != 0 {
		t.Error("a refused link was opened")
	}
}

// FuzzOpenLink feeds any join link to o: only an http(s) URL with a host
// is handed to the browser, and then exactly as parsed.
func FuzzOpenLink(f *testing.F) {
	for _, s := range []string{"https://calendly.zoom.us/j/1", "javascript:alert(1)", "file:///etc/passwd", "http://", "https://a b", "\x00", ""} {
		f.Add(s)
	}
	m := New(quiet{NewHub(nil, Connection{})}, Options{NoTicks: true})
	m.flashTimers = false
	f.Fuzz(func(t *testing.T, link string) {
		var opened []string
		m.openURL = func(u string) error { opened = append(opened, u); return nil }
		for _, msg := range flatten(m.openLink(link)) {
			m.Update(msg)
		}
		if len(opened) == 0 {
			return
		}
		u, err := url.Parse(opened[0])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Errorf("opened %q from %q", opened[0], link)
		}
	})
}
