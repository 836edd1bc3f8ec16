package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func TestInviteeCreatedIsADistinctValidDeliveryOfTheAskedSize(t *testing.T) {
	a, b := InviteeCreated("run", 1, 3072), InviteeCreated("run", 2, 3072)
	if a.InviteeURI == b.InviteeURI {
		t.Fatal("two deliveries share an invitee")
	}
	for _, d := range []Delivery{a, b} {
		p, err := calendly.ParseDelivery(d.Body)
		if err != nil {
			t.Fatalf("generated delivery does not parse: %v", err)
		}
		if p.Event != calendly.EventInviteeCreated || p.Invitee.URI != d.InviteeURI || p.Invitee.ScheduledEvent == nil {
			t.Errorf("parsed %+v, want invitee.created for %s", p, d.InviteeURI)
		}
		if n := len(d.Body); n < 3072 || n > 3072+16 {
			t.Errorf("body is %d bytes, want about 3072", n)
		}
	}
}

// TestRunCountsWhatTheListenerAccepted: against a listener that accepts
// every other delivery, Run reports exactly those as accepted.
func TestRunCountsWhatTheListenerAccepted(t *testing.T) {
	key := []byte("k")
	var mu sync.Mutex
	seen := map[string]bool{}
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := calendly.Verify(r.Header.Get(calendly.SignatureHeader), body, key, time.Now(), 0); err != nil {
			t.Errorf("loadgen sent a badly signed delivery: %v", err)
		}
		p, _ := calendly.ParseDelivery(body)
		mu.Lock()
		defer mu.Unlock()
		n++
		if n%2 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		seen[p.Invitee.URI] = true
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, SigningKey: key, Connections: 4, Total: 40, BodySize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 40 || res.OK != 20 || res.Status[503] != 20 || len(res.Accepted) != 20 || res.Errors != 0 {
		t.Fatalf("result %s, want 40 sent, 20 ok", res)
	}
	for _, uri := range res.Accepted {
		if !seen[uri] {
			t.Errorf("%s reported accepted but was answered 503", uri)
		}
	}
	if res.Percentile(0.5) <= 0 || res.Percentile(0.99) < res.Percentile(0.5) || res.PerSecond() <= 0 {
		t.Errorf("latency figures make no sense: %s", res)
	}
}
