package calendly

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const testToken = "pat-test-token"

// testAPI is a fake Calendly: a mux whose unexpected requests fail the
// test, and a count of what was served.
type testAPI struct {
	t      *testing.T
	mux    *http.ServeMux
	server *httptest.Server
	mu     sync.Mutex
	hits   map[string]int
}

func newTestAPI(t *testing.T) *testAPI {
	t.Helper()
	api := &testAPI{t: t, mux: http.NewServeMux(), hits: map[string]int{}}
	api.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := api.mux.Handler(r)
		if pattern == "" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		api.mu.Lock()
		api.hits[pattern]++
		api.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(api.server.Close)
	return api
}

func (api *testAPI) count(pattern string) int {
	api.mu.Lock()
	defer api.mu.Unlock()
	return api.hits[pattern]
}

func (api *testAPI) client(opts ...Option) *Client {
	api.t.Helper()
	c, err := NewClient(StaticToken(testToken), append([]Option{WithBaseURL(api.server.URL)}, opts...)...)
	if err != nil {
		api.t.Fatal(err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

const userJSON = `{"resource":{"uri":"https://api.calendly.com/users/U001","name":"Ada","slug":"ada",
"email":"ada@example.com","scheduling_url":"https://calendly.com/ada","timezone":"Europe/London",
"avatar_url":null,"created_at":"2020-05-01T00:00:00.000000Z","updated_at":"2020-05-02T00:00:00.000000Z",
"current_organization":"https://api.calendly.com/organizations/ORG001"}}`

func TestUsersMeSendsTokenAndReadsRate(t *testing.T) {
	api := newTestAPI(t)
	api.mux.HandleFunc("GET /users/me", func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			t.Errorf("Authorization = %q", got)
		}
		if got := r.Header.Get("User-Agent"); got != "calwatch-test/1" {
			t.Errorf("User-Agent = %q", got)
		}
		w.Header().Set("X-RateLimit-Limit", "100")
		w.Header().Set("X-RateLimit-Remaining", "99")
		w.Header().Set("X-RateLimit-Reset", "42")
		writeJSON(w, 200, userJSON)
	})
	c := api.client(WithUserAgent("calwatch-test/1"))
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c.now = func() time.Time { return now }

	user, resp, err := c.Users.Me(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if user.URI != "https://api.calendly.com/users/U001" || user.CurrentOrganization != "https://api.calendly.com/organizations/ORG001" {
		t.Errorf("user = %+v", user)
	}
	want := Rate{Limit: 100, Remaining: 99, Reset: now.Add(42 * time.Second)}
	if resp.Rate != want {
		t.Errorf("rate = %+v, want %+v", resp.Rate, want)
	}
}

func TestUsersGetTakesUUIDOrURI(t *testing.T) {
	api := newTestAPI(t)
	api.mux.HandleFunc("GET /users/U001", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, userJSON) })
	c := api.client()
	for _, ref := range []string{"U001", "https://api.calendly.com/users/U001"} {
		if _, _, err := c.Users.Get(context.Background(), ref); err != nil {
			t.Errorf("Get(%q): %v", ref, err)
		}
	}
	for _, ref := range []string{"", "https://api.calendly.com/scheduled_events/U001", "U0/../01", "a b"} {
		if _, _, err := c.Users.Get(context.Background(), ref); err == nil {
			t.Errorf("Get(%q) was accepted", ref)
		}
	}
	if n := api.count("GET /users/U001"); n != 2 {
		t.Errorf("served %d requests, want 2 (bad refs must not reach Calendly)", n)
	}
}

func TestErrorAnswersBecomeTypedErrors(t *testing.T) {
	tests := []struct {
		status   int
		body     string
		sentinel error
		contains []string
	}{
		{400, `{"title":"Invalid Argument","message":"The supplied parameters are invalid.","details":[{"parameter":"user","message":"must be a valid URI"}]}`,
			ErrInvalidArgument, []string{"400 Invalid Argument", "user: must be a valid URI", "fix the request"}},
		{401, `{"title":"Unauthenticated","message":"The access token is invalid"}`,
			ErrUnauthenticated, []string{"The access token is invalid", "sign in again"}},
		{403, `{"title":"Permission Denied","message":"You do not have permission to access this resource."}`,
			ErrPermissionDenied, []string{"Permission Denied", "scope"}},
		{404, `{"title":"Resource Not Found","message":"The server could not find the requested resource."}`,
			ErrNotFound, []string{"Resource Not Found", "check the URI"}},
		{409, `{"title":"Already Exists","message":"Hook with this url already exists"}`,
			ErrAlreadyExists, []string{"Hook with this url already exists"}},
		{500, `{"title":"Internal Server Error","message":"The server encountered an unexpected condition that prevented it from fulfilling the request."}`,
			ErrServer, []string{"Internal Server Error", "try again later"}},
		{502, "<html>\n<body>Bad gateway</body>\n</html>", ErrServer, []string{"502", "Bad gateway"}},
		{503, "", ErrServer, []string{"503 Service Unavailable"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			api := newTestAPI(t)
			api.mux.HandleFunc("GET /users/me", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, tt.status, tt.body) })
			_, resp, err := api.client().Users.Me(context.Background())
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want errors.Is %v", err, tt.sentinel)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status || apiErr.Method != "GET" || apiErr.Path != "/users/me" {
				t.Fatalf("err = %#v, want an *APIError for GET /users/me %d", err, tt.status)
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Errorf("the Response must come back with the error")
			}
			msg := err.Error()
			for _, want := range tt.contains {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message is not one line: %q", msg)
			}
		})
	}
}

func TestRateLimitErrorCarriesReset(t *testing.T) {
	api := newTestAPI(t)
	api.mux.HandleFunc("GET /users/me", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Limit", "60")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "17")
		writeJSON(w, 429, `{"title":"Too Many Requests","message":"Rate limit exceeded"}`)
	})
	c := api.client()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c.now = func() time.Time { return now }
	c.sleep = func(context.Context, time.Duration) error {
		t.Error("waited although WithRateLimitWait was not given")
		return nil
	}
	_, _, err := c.Users.Me(context.Background())
	var rle *RateLimitError
	if !errors.As(err, &rle) {
		t.Fatalf("err = %v, want *RateLimitError", err)
	}
	if !rle.Rate.Reset.Equal(now.Add(17*time.Second)) || rle.Rate.Limit != 60 {
		t.Errorf("rate = %+v", rle.Rate)
	}
	if !errors.Is(err, ErrRateLimited) || !strings.Contains(err.Error(), "resets at 2026-01-02T03:04:22Z") {
		t.Errorf("err = %v", err)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Errorf("a RateLimitError must also be an *APIError")
	}
}

// limitedThenOK answers 429 (reset in resetSecs) limited times, then 200.
func limitedThenOK(api *testAPI, limited int, resetSecs string) {
	var mu sync.Mutex
	api.mux.HandleFunc("GET /users/me", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if limited > 0 {
			limited--
			w.Header().Set("X-RateLimit-Reset", resetSecs)
			writeJSON(w, 429, `{"title":"Too Many Requests","message":"slow down"}`)
			return
		}
		writeJSON(w, 200, userJSON)
	})
}

func TestRateLimitWaitRetriesWithinBudget(t *testing.T) {
	api := newTestAPI(t)
	limitedThenOK(api, 2, "3")
	c := api.client(WithRateLimitWait(10 * time.Second))
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	if _, _, err := c.Users.Me(context.Background()); err != nil {
		t.Fatalf("the call should succeed after waiting: %v", err)
	}
	if len(waits) != 2 || waits[0] < 2*time.Second || waits[0] > 3*time.Second {
		t.Errorf("waits = %v, want two of about 3s", waits)
	}
	if n := api.count("GET /users/me"); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
}

func TestRateLimitWaitStopsAtBudget(t *testing.T) {
	api := newTestAPI(t)
	limitedThenOK(api, 5, "4")
	c := api.client(WithRateLimitWait(5 * time.Second))
	var waits []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	_, _, err := c.Users.Me(context.Background())
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v, want the 429 once the budget is spent", err)
	}
	if len(waits) != 1 {
		t.Errorf("waited %d times, want 1 (4s fits a 5s budget, 8s does not)", len(waits))
	}
}

func TestRateLimitWithoutResetIsNotRetried(t *testing.T) {
	api := newTestAPI(t)
	api.mux.HandleFunc("GET /users/me", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 429, `{"title":"Too Many Requests","message":"slow down"}`)
	})
	c := api.client(WithRateLimitWait(time.Minute))
	c.sleep = func(context.Context, time.Duration) error { t.Error("waited without knowing how long"); return nil }
	if _, _, err := c.Users.Me(context.Background()); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	if n := api.count("GET /users/me"); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestRateLimitWaitHonoursContext(t *testing.T) {
	api := newTestAPI(t)
	limitedThenOK(api, 1, "30")
	c := api.client(WithRateLimitWait(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	c.sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return sleepContext(ctx, d) // the real sleep must return at once
	}
	_, _, err := c.Users.Me(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTransportFailureSaysWhatToCheck(t *testing.T) {
	api := newTestAPI(t)
	c := api.client()
	api.server.Close()
	_, _, err := c.Users.Me(context.Background())
	if err == nil || !strings.Contains(err.Error(), "check the network") {
		t.Fatalf("err = %v", err)
	}
}

type failingSource struct{ err error }

func (f failingSource) Token() (*oauth2.Token, error) { return nil, f.err }

func TestTokenSourceFailureIsNotANetworkError(t *testing.T) {
	api := newTestAPI(t)
	c, err := NewClient(failingSource{ErrReauthRequired}, WithBaseURL(api.server.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Users.Me(context.Background())
	if !errors.Is(err, ErrReauthRequired) || !strings.Contains(err.Error(), "no access token") || strings.Contains(err.Error(), "network") {
		t.Fatalf("err = %v", err)
	}
}

func TestOptionsRefuseWhatTheyCannotRead(t *testing.T) {
	bad := []Option{
		WithBaseURL("api.calendly.com"),
		WithBaseURL("ftp://api.calendly.com"),
		WithBaseURL("https://api.calendly.com/?x=1"),
		WithBaseURL("https://user:pw@api.calendly.com"),
		WithAuthURL("::"),
		WithHTTPClient(nil),
		WithUserAgent("a\r\nX-Evil: 1"),
		WithRateLimitWait(-time.Second),
	}
	for i, opt := range bad {
		if _, err := NewClient(StaticToken("x"), opt); err == nil {
			t.Errorf("option %d accepted", i)
		}
	}
	c, err := NewClient(StaticToken("x"))
	if err != nil || c.BaseURL() != DefaultBaseURL {
		t.Errorf("default base URL = %v, %v", c, err)
	}
	if _, err := NewClient(nil); err == nil {
		t.Error("a nil token source was accepted")
	}
}

func TestAnswerThatIsNotJSONIsRefused(t *testing.T) {
	api := newTestAPI(t)
	api.mux.HandleFunc("GET /users/me", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, "<html>login</html>") })
	_, _, err := api.client().Users.Me(context.Background())
	if err == nil || !strings.Contains(err.Error(), "is the base URL") {
		t.Fatalf("err = %v", err)
	}
}

// A redirect from the API is refused, not followed: following would hand
// the bearer token to the host the Location names.
func TestClientRefusesRedirectsAndKeepsTheTokenHome(t *testing.T) {
	var leaked sync.Map
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("Authorization"), true)
		writeJSON(w, http.StatusOK, userJSON)
	}))
	t.Cleanup(elsewhere.Close)
	elsewhereHost := strings.TrimPrefix(elsewhere.URL, "http://")

	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			api := newTestAPI(t)
			api.mux.HandleFunc("GET /users/me", func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.URL+"/users/me?token=x", status)
			})
			// Even a caller's client that would follow redirects does not.
			following := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}
			_, _, err := api.client(WithHTTPClient(following)).Users.Me(context.Background())
			if !errors.Is(err, ErrRedirected) {
				t.Fatalf("Me after a %d = %v, want ErrRedirected", status, err)
			}
			if !strings.Contains(err.Error(), "redirect ("+fmt.Sprint(status)+") to "+elsewhereHost) {
				t.Errorf("error %q does not name the status and the host it pointed to", err)
			}
			if strings.Contains(err.Error(), "token=x") || strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q quotes the Location's query or the token", err)
			}
		})
	}
	leaked.Range(func(k, _ any) bool {
		t.Errorf("the other host was called with Authorization %q", k)
		return true
	})
}
