package listener

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// TestStoredAnswerMatchesWhatTheSenderSaw: over real HTTP into a real
// store, each row keeps the status the sender got, the headers it sent
// (within the caps) and a latency no longer than the sender waited;
// OnRecord has the status and latency at once.
func TestStoredAnswerMatchesWhatTheSenderSaw(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "calwatch.db")
	store, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	reported := make(chan storage.DeliveryRecord, 4)
	h := newTestHandler(t, store, func(c *Config) {
		c.Now = time.Now
		c.OnRecord = func(r storage.DeliveryRecord) { reported <- r }
	})
	srv := httptest.NewServer(h)
	defer srv.Close()

	body := fixture(t, "invitee_created.json")
	send := func(signature string, filler int) (int, time.Duration) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+DefaultPath, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Calendly-Webhook")
		req.Header.Set(calendly.SignatureHeader, signature)
		for i := range filler {
			req.Header.Set(fmt.Sprintf("X-Filler-%03d", i), strings.Repeat("f", 50))
		}
		began := time.Now()
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(began)
	}

	type sent struct {
		status int
		waited time.Duration
	}
	var sends []sent
	for _, c := range []struct {
		signature string
		filler    int
	}{
		{calendly.Sign([]byte(testKey), time.Now(), body), 200}, // accepted, headers over 4 KiB
		{"t=1,v1=00", 20}, // refused: headers over 512 bytes
	} {
		status, waited := send(c.signature, c.filler)
		sends = append(sends, sent{status, waited})
	}
	if sends[0].status != 200 || sends[1].status != 401 {
		t.Fatalf("answers %d and %d, want 200 and 401", sends[0].status, sends[1].status)
	}
	var live []storage.DeliveryRecord
	for range sends {
		select {
		case r := <-reported:
			live = append(live, r)
		case <-time.After(10 * time.Second):
			t.Fatal("OnRecord was not called for every request")
		}
	}
	if err := store.Close(); err != nil { // writes the queued answers
		t.Fatal(err)
	}
	store, err = storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	for i, s := range sends {
		r := live[i]
		if r.AnswerStatus != s.status || r.Latency() <= 0 || r.Latency() > s.waited {
			t.Errorf("request %d: OnRecord had status %d, latency %v; the sender got %d after %v", i, r.AnswerStatus, r.Latency(), s.status, s.waited)
		}
		got, err := store.Panes().Delivery(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.AnswerStatus != s.status || got.LatencyMicros != r.LatencyMicros {
			t.Errorf("request %d: stored status %d, latency %dµs; want %d and %dµs as reported", i, got.AnswerStatus, got.LatencyMicros, s.status, r.LatencyMicros)
		}
		names := map[string]string{}
		for _, hd := range got.Headers {
			names[hd.Name] = hd.Value
		}
		if names["Content-Type"] != "application/json" || names["Host"] == "" || got.HeadersCut == 0 {
			t.Errorf("request %d: stored headers %v (%d cut); want Content-Type and Host kept and some filler cut", i, got.Headers, got.HeadersCut)
		}
		if _, ok := names[calendly.SignatureHeader]; ok || got.SignatureHeader == "" {
			t.Errorf("request %d: the signature header is not in its own field: %q, %v", i, got.SignatureHeader, got.Headers)
		}
	}
	if first, second := len(live[0].Headers)+live[0].HeadersCut, len(live[1].Headers)+live[1].HeadersCut; first < 200 || second < 20 {
		t.Errorf("the rows count %d and %d headers in all, want every one sent (filler and the rest)", first, second)
	}
}
