package wizard

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

var testNow = time.Date(2026, 6, 18, 14, 35, 0, 0, time.UTC)

// fakeActions answers the wizard's calls from its fields and records what
// it was given. A call with block set waits for ctx to end.
type fakeActions struct {
	mu            sync.Mutex
	account       Account
	loginErr      error
	ngrokErr      error
	ngrokURL      string
	signInURL     string
	block         bool
	tokens        []string // tokens LoginToken was given
	ngrokCalls    []string // tokens CheckNgrok was given
	oauthApps     [][2]string
	appKeys       []string // keys KeepAppSigningKey was given
	appKeyErr     error
	webhooksErr   error
	webhookChecks []string // "URL scope events" of each CheckWebhooks
}

func (f *fakeActions) CheckWebhooks(_ context.Context, url string, events []string, scope string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.webhookChecks = append(f.webhookChecks, url+" "+scope+" "+strings.Join(events, ","))
	return f.webhooksErr
}

func (f *fakeActions) KeepAppSigningKey(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appKeys = append(f.appKeys, key)
	return f.appKeyErr
}

func (f *fakeActions) LoginOAuth(ctx context.Context, id, secret string, show func(string)) (Account, error) {
	f.mu.Lock()
	f.oauthApps = append(f.oauthApps, [2]string{id, secret})
	f.mu.Unlock()
	show(f.signInURL)
	if f.block {
		<-ctx.Done()
		return Account{}, ctx.Err()
	}
	return f.account, f.loginErr
}

func (f *fakeActions) LoginToken(ctx context.Context, token string) (Account, error) {
	f.mu.Lock()
	f.tokens = append(f.tokens, token)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return Account{}, ctx.Err()
	}
	// A personal access token carries no expiry.
	acct := f.account
	acct.Kind, acct.ExpiresAt = "pat", nil
	return acct, f.loginErr
}

func (f *fakeActions) CheckNgrok(ctx context.Context, token string) (string, error) {
	f.mu.Lock()
	f.ngrokCalls = append(f.ngrokCalls, token)
	f.mu.Unlock()
	if f.block {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return f.ngrokURL, f.ngrokErr
}

func (f *fakeActions) CheckPublicURL(u string) error {
	if !strings.HasPrefix(u, "https://") {
		return errors.New("the public URL must start with https://")
	}
	return nil
}

func avery() Account {
	exp := testNow.Add(2*time.Hour - time.Minute)
	return Account{Name: "Avery Emulator", Email: "avery@acme.example", Organization: "Acme", Kind: "oauth", ExpiresAt: &exp}
}

func newTestWizard(t testing.TB, f *fakeActions, opts Options, w, h int) *Model {
	t.Helper()
	opts.Now = func() time.Time { return testNow }
	opts.RedirectURI = "http://localhost:8765/callback"
	m := New(f, opts)
	send(t, m, tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

// send delivers msg and runs whatever it asks for, as the program would.
func send(t testing.TB, m *Model, msg tea.Msg) {
	t.Helper()
	_, cmd := m.Update(msg)
	drive(t, m, cmd, 200*time.Millisecond)
}

func keys(t testing.TB, m *Model, names ...string) {
	t.Helper()
	for _, n := range names {
		send(t, m, keyPress(n))
	}
}

// typeText types s one key at a time.
func typeText(t testing.TB, m *Model, s string) {
	t.Helper()
	for _, r := range s {
		send(t, m, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func keyPress(name string) tea.KeyPressMsg {
	switch name {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(name)[0]
	return tea.KeyPressMsg{Code: r, Text: name}
}

// drive runs cmd and feeds its messages back, until nothing is left. A
// Cmd that does not answer within a short while (a spinner tick, an
// action that blocks) is left behind.
// drive runs cmd and what it leads to, feeding each message back to m; a
// command that gives nothing within wait (a spinner tick, a wait for a
// sign-in URL that never comes) is left behind.
func drive(t testing.TB, m *Model, cmd tea.Cmd, wait time.Duration) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		var msg tea.Msg
		select {
		case msg = <-done:
		case <-time.After(wait):
			continue
		}
		switch msg := msg.(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case spinner.TickMsg:
			// The spinner re-arms forever; the tests look at states, not frames.
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

func screen(m *Model) string { return ansi.Strip(m.View().Content) }

var update = flag.Bool("update", false, "rewrite the golden files")

func updating() bool { return *update }

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func checkShape(t *testing.T, name, s string, w, h int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines, want %d", name, len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Errorf("%s: line %d is %d cells wide, want %d: %q", name, i+1, lw, w, l)
		}
	}
}
