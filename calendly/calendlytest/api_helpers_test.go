package calendlytest

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/calwatch/calwatch/calendly"
)

// testPAT is the personal access token test emulators accept.
const testPAT = "pat-for-emulator-tests"

// uuidV4 is how every resource id the emulator makes must look.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// outboxLog records what the server hands to the deliverer, in order, in
// place of sending it.
type outboxLog struct {
	mu   sync.Mutex
	sent []outgoing
}

func (o *outboxLog) record(target deliveryTarget, event string, body []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, outgoing{target: target, event: event, body: body})
}

func (o *outboxLog) all() []outgoing {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]outgoing(nil), o.sent...)
}

// startEmulator starts an emulator that accepts testPAT and records its
// deliveries instead of sending them.
func startEmulator(t *testing.T, opts Options) (*Server, *outboxLog) {
	t.Helper()
	opts.Tokens = append(opts.Tokens, testPAT)
	s := NewUnstartedServer(opts)
	log := &outboxLog{}
	s.outbox = log.record
	s.Start()
	t.Cleanup(s.Close)
	return s, log
}

// answer is one HTTP answer, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call makes one request; token "" sends no Authorization.
func call(t *testing.T, method, url, token, body string) answer {
	t.Helper()
	var reader io.Reader
	if body != "" {
		reader = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, raw}
}

// apiGet is an authenticated GET of path on s.
func apiGet(t *testing.T, s *Server, path string) answer {
	t.Helper()
	return call(t, http.MethodGet, s.URL+path, testPAT, "")
}

// want checks the status and decodes the body into v (when v is not nil).
func (a answer) want(t *testing.T, status int, v any) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status %d, want %d; body %s", a.status, status, a.body)
	}
	if v != nil {
		if err := json.Unmarshal(a.body, v); err != nil {
			t.Fatalf("body %s: %v", a.body, err)
		}
	}
}

// wantError checks a Calendly error answer and returns its body.
func (a answer) wantError(t *testing.T, status int, title string) calendly.ErrorBody {
	t.Helper()
	var e calendly.ErrorBody
	a.want(t, status, &e)
	if e.Title != title || e.Message == "" {
		t.Fatalf("error body %s, want title %q and a message", a.body, title)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q, want application/json", ct)
	}
	return e
}

// wantDetail checks a 400 Invalid Argument naming parameter.
func (a answer) wantDetail(t *testing.T, parameter string) {
	t.Helper()
	e := a.wantError(t, http.StatusBadRequest, "Invalid Argument")
	for _, d := range e.Details {
		if d.Parameter == parameter && d.Message != "" {
			return
		}
	}
	t.Fatalf("details %+v do not name %q", e.Details, parameter)
}

// walk follows next_page from path until the last page and returns every
// row and every page's pagination.
func walk[T any](t *testing.T, s *Server, path string) ([]T, []calendly.Pagination) {
	t.Helper()
	var rows []T
	var pages []calendly.Pagination
	url := s.URL + path
	for range 1000 {
		var page list[T]
		call(t, http.MethodGet, url, testPAT, "").want(t, http.StatusOK, &page)
		rows = append(rows, page.Collection...)
		pages = append(pages, page.Pagination)
		if page.Pagination.NextPage == nil {
			return rows, pages
		}
		url = *page.Pagination.NextPage
	}
	t.Fatal("pagination never ends")
	return nil, nil
}

// mustBook books through the Go API and fails the test on error.
func mustBook(t *testing.T, s *Server, req BookRequest) BookResult {
	t.Helper()
	res, err := s.Book(req)
	if err != nil {
		t.Fatalf("Book(%+v): %v", req, err)
	}
	return res
}

// subscribe creates a subscription over HTTP with testPAT.
func subscribe(t *testing.T, s *Server, body map[string]any) calendly.WebhookSubscription {
	t.Helper()
	var got resource[calendly.WebhookSubscription]
	call(t, http.MethodPost, s.URL+"/webhook_subscriptions", testPAT, jsonText(t, body)).want(t, http.StatusCreated, &got)
	return got.Resource
}

func jsonText(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// getInvitee reads an invitee through the API.
func getInviteeByURI(t *testing.T, s *Server, uri string) calendly.Invitee {
	t.Helper()
	var got resource[calendly.Invitee]
	call(t, http.MethodGet, uri, testPAT, "").want(t, http.StatusOK, &got)
	return got.Resource
}

// getEventByURI reads a scheduled event through the API.
func getEventByURI(t *testing.T, s *Server, uri string) calendly.ScheduledEvent {
	t.Helper()
	var got resource[calendly.ScheduledEvent]
	call(t, http.MethodGet, uri, testPAT, "").want(t, http.StatusOK, &got)
	return got.Resource
}

// oauthToken issues an OAuth access token with scopes for the default user
// straight from the emulator's authority.
func oauthToken(s *Server, scopes ...string) string {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	return s.auth.issue(nil, s.opts.ClientID, s.DefaultUser().URI, scopes).AccessToken
}
