package calendlytest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"golang.org/x/oauth2"
)

const (
	authTestClientID     = "calwatch-test-app"
	authTestClientSecret = "client-secret-do-not-print"
	authTestRedirect     = "http://127.0.0.1:8765/callback"
	authTestUser         = "https://emulator.test/users/U1"
	authTestOrg          = "https://emulator.test/organizations/O1"
	authTestPAT          = "pat-oauth-tests"
)

// authClock is a clock tests move by hand.
type authClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *authClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *authClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// authTest serves one authority with httptest, plus /probe/{scope} which
// answers 200 when authenticate lets a request through for that scope.
type authTest struct {
	t         *testing.T
	clock     *authClock
	auth      *authority
	server    *httptest.Server
	refreshes atomic.Int32 // refresh_token grants seen
	noFollow  *http.Client
}

func newAuthTest(t *testing.T, opts Options) *authTest {
	t.Helper()
	at := &authTest{t: t, clock: &authClock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	if opts.ClientID == "" {
		opts.ClientID = authTestClientID
	}
	opts.Tokens = append(opts.Tokens, authTestPAT)
	if opts.RedirectURIs == nil {
		opts.RedirectURIs = []string{authTestRedirect}
	}
	opts.Now = at.clock.Now
	mux := http.NewServeMux()
	at.auth = newAuthority(opts, authTestUser, func() string { return at.server.URL }, at.clock.Now)
	at.auth.setOrganization(authTestOrg)
	at.auth.registerRoutes(mux)
	mux.HandleFunc("GET /probe/{scope...}", func(w http.ResponseWriter, r *http.Request) {
		user, ok := at.auth.authenticate(w, r, r.PathValue("scope"))
		if ok {
			io.WriteString(w, user)
		}
	})
	at.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/oauth/token" {
			body, _ := io.ReadAll(r.Body)
			if v, _ := url.ParseQuery(string(body)); v.Get("grant_type") == "refresh_token" {
				at.refreshes.Add(1)
			}
			r.Body = io.NopCloser(strings.NewReader(string(body)))
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(at.server.Close)
	at.noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return at
}

// app is the calendly client's OAuth app pointed at this authority.
func (at *authTest) app(secret, redirect string, scopes ...string) *calendly.OAuthApp {
	at.t.Helper()
	app, err := calendly.NewOAuthApp(authTestClientID, secret, redirect, scopes, calendly.WithAuthURL(at.server.URL))
	if err != nil {
		at.t.Fatal(err)
	}
	return app
}

// approve runs the consent flow for app and returns the code it redirects
// back with.
func (at *authTest) approve(app *calendly.OAuthApp, verifier string) string {
	at.t.Helper()
	page, err := at.noFollow.Get(app.AuthCodeURL("state-1", verifier))
	if err != nil {
		at.t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	loc := page.Header.Get("Location")
	if page.StatusCode == http.StatusOK { // the consent page: press Approve
		loc = at.decide(consentCSRF(at.t, string(html)), "approve").Header.Get("Location")
	}
	u, err := url.Parse(loc)
	if err != nil || u.Query().Get("code") == "" || u.Query().Get("state") != "state-1" {
		at.t.Fatalf("authorize redirected to %q, want a code and the state", loc)
	}
	return u.Query().Get("code")
}

// decide posts the consent form with its CSRF token and decision.
func (at *authTest) decide(csrf, decision string) *http.Response {
	at.t.Helper()
	resp, err := at.noFollow.PostForm(at.server.URL+"/oauth/authorize", url.Values{"csrf_token": {csrf}, "decision": {decision}})
	if err != nil {
		at.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// consentPageFor GETs the consent page for app with state and returns its
// CSRF token.
func (at *authTest) consentPageFor(app *calendly.OAuthApp, state, verifier string) string {
	at.t.Helper()
	resp, err := at.noFollow.Get(app.AuthCodeURL(state, verifier))
	if err != nil {
		at.t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		at.t.Fatalf("consent page: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return consentCSRF(at.t, string(html))
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// consentCSRF reads the hidden csrf_token of a consent page.
func consentCSRF(t *testing.T, html string) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("the consent page has no csrf_token:\n%s", html)
	}
	return m[1]
}

// login runs authorize + exchange with PKCE.
func (at *authTest) login(app *calendly.OAuthApp) *oauth2.Token {
	at.t.Helper()
	verifier := oauth2.GenerateVerifier()
	tok, err := app.Exchange(context.Background(), at.approve(app, verifier), verifier)
	if err != nil {
		at.t.Fatal(err)
	}
	return tok
}

// probe calls /probe/{scope} with token and returns the status and body.
func (at *authTest) probe(token, scope string) (*http.Response, string) {
	at.t.Helper()
	req, _ := http.NewRequest("GET", at.server.URL+"/probe/"+scope, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		at.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// postForm posts form to path with the client's secret by HTTP Basic.
func (at *authTest) postForm(path string, form url.Values, basic bool) (int, map[string]any) {
	at.t.Helper()
	req, _ := http.NewRequest("POST", at.server.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(authTestClientID, authTestClientSecret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		at.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		at.t.Fatalf("POST %s: the answer is not JSON: %v", path, err)
	}
	return resp.StatusCode, body
}

func wantOAuthError(t *testing.T, err error, code string) {
	t.Helper()
	var oe *calendly.OAuthError
	if !errors.As(err, &oe) || oe.Code != code {
		t.Fatalf("err = %v, want OAuth error %s", err, code)
	}
}
