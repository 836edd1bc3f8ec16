package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/tunnel/account"
)

const (
	loginTestClientID     = "calwatch-cli-test"
	loginTestClientSecret = "cli-client-secret-never-shown"
	loginTestPAT          = "cli-pat-never-shown-0123456789"
)

func init() { keyring.MockInit() }

func newLoginEmulator(t *testing.T, autoApprove bool) *calendlytest.Server {
	t.Helper()
	emu := calendlytest.NewServer(calendlytest.Options{ClientID: loginTestClientID, ClientSecret: loginTestClientSecret,
		AutoApprove: autoApprove, Tokens: []string{loginTestPAT}})
	t.Cleanup(emu.Close)
	return emu
}

// statusAccount runs `status --json` and returns its account.
func statusAccount(t *testing.T, home string) *account.Account {
	t.Helper()
	r := runCLI(t, nil, "status", "--json", "--home", home).wantExit(t, exitOK)
	var report statusReport
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("status --json printed %q: %v", r.stdout, err)
	}
	return report.Account
}

// noSecretsIn fails when any text or any file of home holds a secret.
func noSecretsIn(t *testing.T, home string, texts []string, secrets ...string) {
	t.Helper()
	entries, _ := os.ReadDir(home)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(home, e.Name()))
		if err == nil {
			texts = append(texts, string(b))
		}
	}
	for _, text := range texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("a secret appears in plain text in output or in a file of the home")
			}
		}
	}
}

func TestLoginWithATokenOnStdinThenStatusAndLogout(t *testing.T) {
	emu := newLoginEmulator(t, false)
	home := t.TempDir()
	login := runCLI(t, strings.NewReader(loginTestPAT+"\n"), "login", "--token", "-", "--api-url", emu.URL, "--home", home).wantExit(t, exitOK)
	user := emu.DefaultUser()
	if !strings.Contains(login.stderr, "Logged in") || !strings.Contains(login.stderr, user.Email) {
		t.Errorf("login said %q; want who is logged in", login.stderr)
	}
	acct := statusAccount(t, home)
	if acct == nil || acct.AuthKind != account.KindPAT || acct.UserURI != user.URI || acct.APIURL != emu.URL {
		t.Fatalf("status account %+v; want the PAT login of %s", acct, user.URI)
	}
	human := runCLI(t, nil, "status", "--home", home).wantExit(t, exitOK)
	if !strings.Contains(human.stdout, user.Email) || !strings.Contains(human.stdout, "pat") {
		t.Errorf("status says %q; want the account", human.stdout)
	}
	logout := runCLI(t, nil, "logout", "--home", home).wantExit(t, exitOK)
	if !strings.Contains(logout.stderr, "Logged out") || !strings.Contains(logout.stderr, "personal access token") {
		t.Errorf("logout said %q", logout.stderr)
	}
	if acct := statusAccount(t, home); acct != nil {
		t.Errorf("after logout status still has %+v", acct)
	}
	noSecretsIn(t, home, []string{login.stdout, login.stderr, human.stdout, human.stderr, logout.stdout, logout.stderr}, loginTestPAT)
}

func TestLoginUsageErrors(t *testing.T) {
	t.Setenv(envClientID, "")
	home := t.TempDir()
	runCLI(t, nil, "login", "--token", "abc123", "--home", home).wantExit(t, exitUsage).wantOneLineError(t, "only '-'", "stdin")
	runCLI(t, nil, "login", "--home", home).wantExit(t, exitUsage).wantOneLineError(t, "--client-id", "--token -")
	t.Setenv(envKeyring, "plaintext")
	runCLI(t, strings.NewReader("x"), "login", "--token", "-", "--home", home).wantExit(t, exitUsage).wantOneLineError(t, envKeyring)
}

func TestLoginRefusesATokenCalendlyRefuses(t *testing.T) {
	emu := newLoginEmulator(t, false)
	home := t.TempDir()
	r := runCLI(t, strings.NewReader("wrong-token-value\n"), "login", "--token", "-", "--api-url", emu.URL, "--home", home).wantExit(t, exitFailure)
	r.wantOneLineError(t, "refused the token")
	noSecretsIn(t, home, []string{r.stderr}, "wrong-token-value")
}

// syncBuffer is a bytes.Buffer safe to read while a run writes to it, that
// hands over the sign-in URL as soon as it is printed.
type syncBuffer struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	urls chan string
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for line := range strings.SplitSeq(string(p), "\n") {
		if u := strings.TrimSpace(line); strings.HasPrefix(u, "http") && strings.Contains(u, "/oauth/authorize") {
			b.urls <- u
		}
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// stubBrowser replaces the browser for one test.
func stubBrowser(t *testing.T, open func(string) error) {
	orig := openBrowser
	openBrowser = open
	t.Cleanup(func() { openBrowser = orig })
}

func loginRedirect(t *testing.T, emu *calendlytest.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/callback", l.Addr().(*net.TCPAddr).Port)
	emu.RegisterRedirectURI(redirect)
	return redirect
}

func TestLoginWithOAuthNoBrowserPrintsTheURLAndLogoutRevokes(t *testing.T) {
	emu := newLoginEmulator(t, true)
	home := t.TempDir()
	t.Setenv(envClientSecret, loginTestClientSecret)
	stubBrowser(t, func(string) error { t.Error("--no-browser opened a browser"); return nil })

	errOut := &syncBuffer{urls: make(chan string, 1)}
	var out bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(context.Background(), []string{"login", "--client-id", loginTestClientID, "--no-browser",
			"--redirect-uri", loginRedirect(t, emu), "--api-url", emu.URL, "--auth-url", emu.URL, "--home", home},
			&streams{in: strings.NewReader(""), out: &out, errOut: errOut})
	}()
	var signIn string
	select {
	case signIn = <-errOut.urls:
	case code := <-done:
		t.Fatalf("login ended (exit %d) before printing a sign-in URL on a line of its own: %s", code, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no sign-in URL printed within 30 s: %s", errOut.String())
	}
	resp, err := http.Get(signIn) // the person opens the printed URL
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if code := <-done; code != exitOK {
		t.Fatalf("login exit %d: %s", code, errOut.String())
	}
	acct := statusAccount(t, home)
	if acct == nil || acct.AuthKind != account.KindOAuth || acct.TokenExpiresAt == nil || len(acct.Scopes) == 0 {
		t.Fatalf("status account %+v; want an OAuth login with expiry and scopes", acct)
	}
	logout := runCLI(t, nil, "logout", "--home", home).wantExit(t, exitOK)
	if !strings.Contains(logout.stderr, "Revoked") {
		t.Errorf("logout said %q; want the grant revoked", logout.stderr)
	}
	noSecretsIn(t, home, []string{out.String(), errOut.String(), logout.stderr}, loginTestClientSecret)
}

func TestLoginWithOAuthOpensTheBrowser(t *testing.T) {
	emu := newLoginEmulator(t, true)
	home := t.TempDir()
	t.Setenv(envClientSecret, loginTestClientSecret)
	t.Setenv(envAPIURL, emu.URL)
	t.Setenv(envAuthURL, emu.URL)
	opened := make(chan int, 1)
	stubBrowser(t, func(u string) error {
		go func() {
			resp, err := http.Get(u)
			if err != nil {
				opened <- -1
				return
			}
			resp.Body.Close()
			opened <- resp.StatusCode
		}()
		return nil
	})
	r := runCLI(t, nil, "login", "--client-id", loginTestClientID, "--redirect-uri", loginRedirect(t, emu), "--home", home).wantExit(t, exitOK)
	if status := <-opened; status != http.StatusOK {
		t.Errorf("the browser's page answered %d", status)
	}
	if !strings.Contains(r.stderr, "/oauth/authorize?") {
		t.Errorf("the URL was not printed: %q", r.stderr)
	}

	// Other commands reach Calendly through the stored login.
	a := &app{streams: &streams{errOut: &bytes.Buffer{}}, home: home}
	store, err := a.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	conn, _, err := a.connectAccount(context.Background(), store, account.Hosts{})
	if err != nil {
		t.Fatal(err)
	}
	if me, _, err := conn.Client.Users.Me(context.Background()); err != nil || me.URI != emu.DefaultUser().URI {
		t.Errorf("the account's client: %v", err)
	}
}

func TestCalendlyTokenInTheEnvironmentIsUsedNotStored(t *testing.T) {
	emu := newLoginEmulator(t, false)
	home := t.TempDir()
	t.Setenv(envToken, loginTestPAT)
	t.Setenv(envAPIURL, emu.URL)
	a := &app{streams: &streams{errOut: &bytes.Buffer{}}, home: home}
	store, err := a.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	conn, _, err := a.connectAccount(context.Background(), store, account.Hosts{})
	if err != nil {
		t.Fatal(err)
	}
	if conn.Account.AuthKind != account.KindEnv || conn.Account.UserURI != emu.DefaultUser().URI {
		t.Errorf("account %+v; want the env token's user", conn.Account)
	}
	if acct := statusAccount(t, home); acct != nil {
		t.Errorf("CALENDLY_TOKEN was stored: %+v", acct)
	}
}
