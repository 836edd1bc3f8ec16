package account

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

const (
	testClientID     = "calwatch-account-test"
	testClientSecret = "client-secret-never-printed"
	testPAT          = "pat-secret-never-printed-0123456789"
)

// calendlyFake is an emulator whose auth endpoints are served through a
// counter (and an optional gate), so tests see how often a refresh token
// was spent.
type calendlyFake struct {
	emu       *calendlytest.Server
	auth      *httptest.Server
	refreshes atomic.Int32
	mu        sync.Mutex
	gate      chan struct{} // when set, refresh grants wait for it to close
	entered   chan struct{} // when set, closed as a gated refresh arrives
}

func newCalendlyFake(t *testing.T, opts calendlytest.Options) *calendlyFake {
	t.Helper()
	opts.ClientID, opts.ClientSecret = testClientID, testClientSecret
	opts.Tokens = append(opts.Tokens, testPAT)
	f := &calendlyFake{emu: calendlytest.NewServer(opts)}
	t.Cleanup(f.emu.Close)
	f.auth = httptest.NewServer(http.HandlerFunc(f.serveAuth))
	t.Cleanup(f.auth.Close)
	return f
}

func (f *calendlyFake) serveAuth(w http.ResponseWriter, r *http.Request) {
	if r.Method == "POST" && r.URL.Path == "/oauth/token" {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.Contains(string(body), "grant_type=refresh_token") {
			f.refreshes.Add(1)
			f.mu.Lock()
			gate, entered := f.gate, f.entered
			f.mu.Unlock()
			if entered != nil {
				close(entered)
				f.mu.Lock()
				f.entered = nil
				f.mu.Unlock()
			}
			if gate != nil {
				<-gate
			}
		}
	}
	f.emu.Handler().ServeHTTP(w, r)
}

// holdRefreshes makes the next refresh grants wait until the returned
// release is called; entered closes when the first arrives.
func (f *calendlyFake) holdRefreshes() (entered <-chan struct{}, release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gate, f.entered = make(chan struct{}), make(chan struct{})
	gate := f.gate
	return f.entered, func() {
		f.mu.Lock()
		f.gate = nil
		f.mu.Unlock()
		close(gate)
	}
}

func (f *calendlyFake) hosts() Hosts { return Hosts{APIURL: f.emu.URL, AuthURL: f.auth.URL} }

// app is the OAuth app at the fake, with redirect as its redirect URI.
func (f *calendlyFake) app(t *testing.T, redirect string) *calendly.OAuthApp {
	t.Helper()
	app, err := calendly.NewOAuthApp(testClientID, testClientSecret, redirect, nil, calendly.WithAuthURL(f.auth.URL), calendly.WithBaseURL(f.emu.URL))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// testHome is one process's view of a calwatch home in dir.
func testHome(t *testing.T, dir string) *Home {
	t.Helper()
	store, err := storage.Open(context.Background(), filepath.Join(dir, "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return &Home{Store: store, Keys: &KeyStore{Dir: dir}, StateDir: dir}
}

func init() { keyring.MockInit() }

// freeRedirect is a loopback redirect URI on a port free right now.
func freeRedirect(t *testing.T, host string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return fmt.Sprintf("http://%s:%d/callback", host, port)
}

// followingBrowser is a browser stub that opens the URL with an HTTP
// client following redirects, as a browser would, and reports the final
// status on done.
func followingBrowser(done chan<- int) func(string) error {
	return func(u string) error {
		go func() {
			resp, err := http.Get(u)
			if err != nil {
				done <- -1
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		return nil
	}
}

// loginOAuth logs home in with the fake's auto-approving OAuth app.
func loginOAuth(t *testing.T, f *calendlyFake, home *Home) Account {
	t.Helper()
	done := make(chan int, 1)
	flow := OAuthFlow{App: f.app(t, freeRedirect(t, "localhost")), OpenBrowser: followingBrowser(done), Timeout: 10 * time.Second}
	acct, err := home.LoginWithOAuth(context.Background(), flow, f.hosts())
	if err != nil {
		t.Fatal(err)
	}
	if status := <-done; status != http.StatusOK {
		t.Fatalf("the browser ended on status %d, want 200", status)
	}
	return acct
}

// expireStoredTokens moves the stored pair's expiry into the past without
// changing the tokens, as two hours of waiting would.
func expireStoredTokens(t *testing.T, home *Home) {
	t.Helper()
	ctx := context.Background()
	in, err := home.Store.Integration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pair := storage.TokenPair{AccessToken: in.AccessToken, RefreshToken: in.RefreshToken, ExpiresAt: time.Now().Add(-time.Minute)}
	if err := home.Store.SaveTokens(ctx, in.UserURI, pair); err != nil {
		t.Fatal(err)
	}
}

// assertNoPlaintext fails if any file of the home holds one of secrets.
func assertNoPlaintext(t *testing.T, dir string, secrets ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for _, s := range secrets {
			if s != "" && bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds a secret in plain text", e.Name())
			}
		}
	}
}

type storageIntegration = storage.Integration
