package calendlytest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// switchableReceiver answers with whatever status it is set to and checks
// every signature with key.
type switchableReceiver struct {
	*httptest.Server
	status   atomic.Int32
	verified atomic.Int32 // deliveries whose signature verified
	forged   atomic.Int32 // deliveries whose signature did not
}

func newSwitchableReceiver(t *testing.T, key string, status int) *switchableReceiver {
	rc := &switchableReceiver{}
	rc.status.Store(int32(status))
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := calendly.Verify(r.Header.Get(calendly.SignatureHeader), body, []byte(key), time.Now(), 0); err != nil {
			rc.forged.Add(1)
		} else {
			rc.verified.Add(1)
		}
		w.WriteHeader(int(rc.status.Load()))
	}))
	t.Cleanup(rc.Close)
	return rc
}

// apiSubscription creates an organization-scope subscription through the
// API and returns its URI.
func apiSubscription(t *testing.T, s *Server, callback, key string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"url": callback, "events": calendly.InviteeEvents, "organization": s.Organization(),
		"scope": calendly.ScopeOrganization, "signing_key": key,
	})
	var created struct{ Resource calendly.WebhookSubscription }
	if status := doJSON(t, http.MethodPost, s.URL+"/webhook_subscriptions", body, &created); status != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d", status)
	}
	return created.Resource.URI
}

// getSubscriptionState reads a subscription as a client would; found is
// false on 404.
func getSubscriptionState(t *testing.T, uri string) (sub calendly.WebhookSubscription, found bool) {
	t.Helper()
	var got struct{ Resource calendly.WebhookSubscription }
	switch status := doJSON(t, http.MethodGet, uri, nil, &got); status {
	case http.StatusOK:
		return got.Resource, true
	case http.StatusNotFound:
		return sub, false
	default:
		t.Fatalf("GET %s = %d", uri, status)
		return sub, false
	}
}

func doJSON(t *testing.T, method, url string, body []byte, into any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatalf("%s %s: undecodable answer: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

func bookSomeone(t *testing.T, s *Server) {
	t.Helper()
	if _, err := s.Book(BookRequest{Email: "zoe.mueller@example.com", Name: "Zoë Müller"}); err != nil {
		t.Fatalf("Book: %v", err)
	}
}

func TestSubscriptionRetryStateRecoveryAndDisablingAsClientsSeeThem(t *testing.T) {
	// Calendly's own schedule (1 minute doubling, a 24-hour window) on a
	// fake clock: retries happen when the test fires them, not when a real
	// window happens to allow.
	s := NewServer(Options{Tokens: []string{"tok"}, RetryBase: time.Minute, RetryWindow: 24 * time.Hour})
	t.Cleanup(s.Close)
	clock := newFakeClock()
	s.deliverer.wait = clock // before any delivery starts a worker
	rc := newSwitchableReceiver(t, "sub-key", http.StatusInternalServerError)
	uri := apiSubscription(t, s, rc.URL, "sub-key")

	bookSomeone(t, s)
	eventually(t, func() bool { sub, _ := getSubscriptionState(t, uri); return sub.RetryStartedAt != nil },
		"retry_started_at set after a failed delivery")

	rc.status.Store(http.StatusOK)
	if waited := clock.fireNext(t); waited != time.Minute {
		t.Fatalf("first retry after %s, want 1m", waited)
	}
	eventually(t, func() bool { sub, _ := getSubscriptionState(t, uri); return sub.RetryStartedAt == nil },
		"retry_started_at cleared once the receiver answers 2xx")
	if sub, _ := getSubscriptionState(t, uri); sub.State != calendly.StateActive {
		t.Fatalf("state after recovery = %q, want active", sub.State)
	}

	rc.status.Store(http.StatusServiceUnavailable)
	bookSomeone(t, s)
	var waited time.Duration
	eventually(t, func() bool {
		if sub, _ := getSubscriptionState(t, uri); sub.State == calendly.StateDisabled {
			return true
		}
		if clock.pendingTimers() > 0 {
			waited += clock.fireNext(t)
		}
		return false
	}, "state disabled once the retry window is over")
	if waited != 24*time.Hour {
		t.Fatalf("disabled after %s of retries, want the whole 24h window", waited)
	}

	before := rc.verified.Load()
	bookSomeone(t, s)
	if s.deliverer.queued(uri) {
		t.Fatal("a disabled subscription was given a new delivery")
	}
	if rc.verified.Load() != before {
		t.Fatal("a disabled subscription's receiver was called")
	}
	if n := rc.forged.Load(); n != 0 {
		t.Fatalf("%d deliveries were not signed with the subscription's key", n)
	}
}

func TestGoneAnswerDeletesTheSubscriptionInTheAPI(t *testing.T) {
	s := NewServer(Options{Tokens: []string{"tok"}})
	t.Cleanup(s.Close)
	gone := newSwitchableReceiver(t, "k1", http.StatusGone)
	healthy := newSwitchableReceiver(t, "k2", http.StatusOK)
	goneURI := apiSubscription(t, s, gone.URL, "k1")
	healthyURI := apiSubscription(t, s, healthy.URL, "k2")

	bookSomeone(t, s)
	eventually(t, func() bool { _, found := getSubscriptionState(t, goneURI); return !found },
		"GET of a subscription whose receiver answered 410 gives 404")
	eventually(t, func() bool { return healthy.verified.Load() == 1 }, "the other subscription gets its delivery")
	if _, found := getSubscriptionState(t, healthyURI); !found {
		t.Fatal("the healthy subscription was deleted too")
	}

	var listed []DeliveryAttempt
	if status := doJSON(t, http.MethodGet, s.URL+"/_emulator/deliveries", nil, &listed); status != http.StatusOK {
		t.Fatalf("GET /_emulator/deliveries = %d", status)
	}
	statuses := map[string]int{}
	for _, a := range listed {
		statuses[a.Subscription] = a.Status
	}
	if statuses[goneURI] != http.StatusGone || statuses[healthyURI] != http.StatusOK || len(listed) != 2 {
		t.Fatalf("/_emulator/deliveries = %+v, want one 410 and one 200", listed)
	}
}
