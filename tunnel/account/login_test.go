package account

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

func TestLoginWithTokenStoresTheAccountSealed(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{})
	dir := t.TempDir()
	home := testHome(t, dir)
	ctx := context.Background()
	acct, err := home.LoginWithToken(ctx, " "+testPAT+"\n", f.hosts())
	if err != nil {
		t.Fatal(err)
	}
	user := f.emu.DefaultUser()
	if acct.AuthKind != KindPAT || acct.UserURI != user.URI || acct.Email != user.Email || acct.OrganizationURI != user.CurrentOrganization || acct.APIURL != f.emu.URL {
		t.Errorf("account %+v; want the emulator's default user, kind pat", acct)
	}
	conn, err := testHome(t, dir).Connect(ctx, ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if me, _, err := conn.Client.Users.Me(ctx); err != nil || me.URI != user.URI {
		t.Fatalf("the stored token does not work: %v", err)
	}
	home.Store.Close()
	assertNoPlaintext(t, dir, testPAT)
}

func TestLoginWithTokenRefusesWhatCalendlyRefuses(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{})
	home := testHome(t, t.TempDir())
	ctx := context.Background()
	for _, tc := range []struct{ token, want string }{
		{"not-a-known-token", "refused the token"},
		{"", "no personal access token"},
		{"two words", "spaces"},
	} {
		_, err := home.LoginWithToken(ctx, tc.token, f.hosts())
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.token != "" && strings.Contains(err.Error(), tc.token)) {
			t.Errorf("token %q: err = %v; want %q and no token", tc.token, err, tc.want)
		}
	}
	if _, err := home.Account(ctx); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("a refused token was stored: %v", err)
	}
}

func TestLoginWithOAuthAutoApprove(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	dir := t.TempDir()
	home := testHome(t, dir)
	ctx := context.Background()
	var shown string
	done := make(chan int, 1)
	flow := OAuthFlow{App: f.app(t, freeRedirect(t, "localhost")), OpenBrowser: followingBrowser(done),
		ShowURL: func(u string) { shown = u }, Timeout: 10 * time.Second}
	acct, err := home.LoginWithOAuth(ctx, flow, f.hosts())
	if err != nil {
		t.Fatal(err)
	}
	if status := <-done; status != http.StatusOK {
		t.Errorf("the browser's last page answered %d, want 200", status)
	}
	u, _ := url.Parse(shown)
	if q := u.Query(); q.Get("code_challenge_method") != "S256" || len(q.Get("state")) < 22 || q.Get("client_id") != testClientID {
		t.Errorf("the sign-in URL %s lacks S256, a 128-bit state or the client id", shown)
	}
	if acct.AuthKind != KindOAuth || acct.UserURI != f.emu.DefaultUser().URI || len(acct.Scopes) == 0 || acct.TokenExpiresAt == nil {
		t.Errorf("account %+v; want an oauth login with scopes and expiry", acct)
	}
	conn, err := testHome(t, dir).Connect(ctx, ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.Client.Users.Me(ctx); err != nil {
		t.Fatalf("the stored OAuth token does not work: %v", err)
	}
	in, _ := home.Store.Integration(ctx)
	tok, _ := openPair(mustSealer(t, home), in)
	home.Store.Close()
	assertNoPlaintext(t, dir, tok.AccessToken, tok.RefreshToken, testClientSecret)
}

func mustSealer(t *testing.T, home *Home) *storage.Sealer {
	t.Helper()
	s, err := home.Keys.Sealer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noFollow fetches the sign-in URL and returns where the emulator sends
// the browser back.
func callbackLocation(t *testing.T, signIn string) *url.URL {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(signIn)
	if err != nil {
		t.Error(err)
		return nil
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Errorf("sign-in answered %d %q, want a redirect", resp.StatusCode, resp.Header.Get("Location"))
		return nil
	}
	return loc
}

func TestLoginWithOAuthRefusesAForeignState(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	home := testHome(t, t.TempDir())
	second := make(chan int, 1)
	browser := func(signIn string) error {
		go func() {
			loc := callbackLocation(t, signIn)
			if loc == nil {
				return
			}
			genuine := loc.String()
			q := loc.Query()
			q.Set("state", "AAAAAAAAAAAAAAAAAAAAAA")
			loc.RawQuery = q.Encode()
			if resp, err := http.Get(loc.String()); err == nil {
				resp.Body.Close()
			}
			// The one callback is spent: the genuine one is no longer taken.
			resp, err := http.Get(genuine)
			if err != nil {
				second <- -1
				return
			}
			resp.Body.Close()
			second <- resp.StatusCode
		}()
		return nil
	}
	flow := OAuthFlow{App: f.app(t, freeRedirect(t, "127.0.0.1")), OpenBrowser: browser, Timeout: 10 * time.Second}
	_, err := home.LoginWithOAuth(context.Background(), flow, f.hosts())
	if !errors.Is(err, ErrStateMismatch) {
		t.Fatalf("err = %v, want ErrStateMismatch", err)
	}
	if status := <-second; status == http.StatusOK {
		t.Error("a second callback was accepted after the first")
	}
	if _, err := home.Account(context.Background()); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("something was stored: %v", err)
	}
}

func TestLoginWithOAuthAccessDenied(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{}) // the consent page, no auto-approve
	home := testHome(t, t.TempDir())
	deny := func(signIn string) error {
		go func() {
			u, _ := url.Parse(signIn)
			form := u.Query()
			form.Set("decision", "deny")
			resp, err := http.PostForm(f.auth.URL+"/oauth/authorize", form)
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	flow := OAuthFlow{App: f.app(t, freeRedirect(t, "localhost")), OpenBrowser: deny, Timeout: 10 * time.Second}
	_, err := home.LoginWithOAuth(context.Background(), flow, f.hosts())
	if !errors.Is(err, ErrAccessDenied) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want ErrAccessDenied in one line", err)
	}
}

func TestLoginWithOAuthTimesOutAndFreesThePort(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{})
	home := testHome(t, t.TempDir())
	redirect := freeRedirect(t, "127.0.0.1")
	var said []string
	flow := OAuthFlow{App: f.app(t, redirect), Timeout: 100 * time.Millisecond, ShowURL: func(string) {},
		OpenBrowser: func(string) error { return errors.New("no display") }, Say: func(m string) { said = append(said, m) }}
	start := time.Now()
	_, err := home.LoginWithOAuth(context.Background(), flow, f.hosts())
	if !errors.Is(err, ErrLoginTimedOut) || !strings.Contains(err.Error(), "calwatch login again") {
		t.Fatalf("err = %v, want ErrLoginTimedOut saying what to do", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("timed out after %v, want about 100ms", took)
	}
	if len(said) != 1 || !strings.Contains(said[0], "no display") || !strings.Contains(said[0], "open the URL") {
		t.Errorf("said %q; want the browser failure and what to do", said)
	}
	u, _ := url.Parse(redirect)
	l, err := net.Listen("tcp", u.Host)
	if err != nil {
		t.Fatalf("the callback port is still held after the login ended: %v", err)
	}
	l.Close()
}

func TestLoginRefusesARedirectItCannotServe(t *testing.T) {
	for _, raw := range []string{"https://localhost:8765/callback", "http://example.com:8765/callback", "http://localhost:8765/callback?x=1", "http://10.0.0.1/cb"} {
		if _, err := loopbackRedirect(raw); err == nil {
			t.Errorf("%s was accepted as a loopback redirect", raw)
		}
	}
	for _, raw := range []string{"http://localhost:8765/callback", "http://127.0.0.1:1/x", "http://[::1]:9/"} {
		if _, err := loopbackRedirect(raw); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

func TestParseCallback(t *testing.T) {
	const state = "c3RhdGUtZm9yLXRlc3RzLTE"
	for _, tc := range []struct {
		query   string
		code    string
		wantErr error
	}{
		{"code=abc&state=" + state, "abc", nil},
		{"code=abc&state=other", "", ErrStateMismatch},
		{"code=abc", "", ErrStateMismatch},
		{"error=access_denied&state=" + state, "", ErrAccessDenied},
		{"error=access_denied&state=wrong", "", ErrStateMismatch},
		{"code=abc&code=def&state=" + state, "", nil},
		{"state=" + state, "", nil},
		{"code=a%00b&state=" + state, "", nil},
		{"error=server_error&error_description=%1b%5B2J&state=" + state, "", nil},
	} {
		code, err := parseCallback(tc.query, state)
		switch {
		case tc.code != "" && (err != nil || code != tc.code):
			t.Errorf("%q: %q, %v; want code %q", tc.query, code, err, tc.code)
		case tc.code == "" && err == nil:
			t.Errorf("%q: accepted as code %q", tc.query, code)
		case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("%q: err = %v, want %v", tc.query, err, tc.wantErr)
		case err != nil && strings.ContainsAny(err.Error(), "\x1b\n"):
			t.Errorf("%q: the error carries control characters: %q", tc.query, err)
		}
	}
}

// FuzzParseCallback: a callback is accepted only with the exact state and
// a printable code, and no error text carries a control character.
func FuzzParseCallback(f *testing.F) {
	const state = "c3RhdGUtZm9yLXRlc3RzLTE"
	f.Add("code=abc&state=" + state)
	f.Add("error=access_denied&state=" + state)
	f.Add("error=x&error_description=y%0az&state=" + state)
	f.Add("code=%ZZ&state=" + state)
	f.Add("state=" + state + "&state=" + state)
	f.Fuzz(func(t *testing.T, query string) {
		code, err := parseCallback(query, state)
		if err != nil {
			if strings.ContainsFunc(err.Error(), func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("error for %q has a control character: %q", query, err)
			}
			return
		}
		q, perr := url.ParseQuery(query)
		if perr != nil || q.Get("state") != state || q.Get("code") != code || code == "" || q.Has("error") {
			t.Fatalf("accepted %q as code %q", query, code)
		}
	})
}
