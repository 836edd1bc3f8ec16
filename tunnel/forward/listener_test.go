package forward

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener"
)

// TestBehindTheListener wires a Forwarder to the real listener and store as
// listen --forward-to does: the listener answers Calendly while the app is
// still stuck on an earlier delivery, forged requests never reach the app,
// and the app's answer ends up with the delivery in the database.
func TestBehindTheListener(t *testing.T) {
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	release := make(chan struct{})
	app := newFakeApp(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("boom\n"))
	})
	res := make(results, 10)
	fw, err := New(Config{Target: app.url, SigningKey: forwardKey, Store: store, OnResult: res.onResult})
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close(ctx)
	handler, err := listener.NewHandler(listener.Config{SigningKey: calendlyKey, Store: store,
		OnRecord: func(rec storage.DeliveryRecord) { fw.Enqueue(rec) }})
	if err != nil {
		t.Fatal(err)
	}
	calendlySide := httptest.NewServer(handler)
	defer calendlySide.Close()

	post := func(body []byte, key []byte) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, calendlySide.URL+listener.DefaultPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(calendly.SignatureHeader, calendly.Sign(key, time.Now(), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	first, second := sampleBody(t, "invitee.created", 10), sampleBody(t, "invitee.canceled", 11)
	if code := post(first, calendlyKey); code != 200 {
		t.Fatalf("first delivery answered %d", code)
	}
	app.next(t) // the app now holds the first delivery and does not answer
	// The listener answers 200 at once all the same: these posts return
	// while the app is still blocked (release has not been closed).
	if code := post(second, calendlyKey); code != 200 {
		t.Fatalf("second delivery answered %d while the app was stuck", code)
	}
	if code := post(sampleBody(t, "invitee.created", 12), []byte("not-the-key")); code != http.StatusUnauthorized {
		t.Fatalf("forged delivery answered %d, want 401", code)
	}
	close(release)

	if got := app.next(t); sha256.Sum256(got.body) != sha256.Sum256(second) {
		t.Fatal("the app's second request is not the second delivery's bytes")
	}
	var ids []int64
	for range 2 {
		rec, a := res.next(t)
		if a.Status != 500 {
			t.Errorf("delivery %d: app status %d, want 500", rec.ID, a.Status)
		}
		ids = append(ids, rec.ID)
	}
	fw.Close(ctx)
	if n := len(app.got); n != 0 {
		t.Errorf("the app got %d more requests; the forged one must never reach it", n)
	}
	for _, id := range ids {
		d, err := store.Delivery(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Forward == nil || d.Forward.Status != 500 || string(d.Forward.Answer) != "boom\n" {
			t.Errorf("delivery %d's stored forward = %+v; want the app's 500 and its body", id, d.Forward)
		}
	}
}
