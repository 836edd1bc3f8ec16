package forward

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

func TestForwardSendsTheRawBytesSignedAfreshWithTheForwardKey(t *testing.T) {
	app := newFakeApp(t, nil)
	signedAt := time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	store := &memResults{}
	res := make(results, 1)
	f := newForwarder(t, Config{Target: app.url, Store: store, OnResult: res.onResult, Now: func() time.Time { return signedAt }})

	rec := appliedRecord(t, 7)
	rec.SignatureHeader = calendly.Sign(calendlyKey, signedAt.Add(-time.Hour), rec.Body)
	if !f.Enqueue(rec) {
		t.Fatal("Enqueue of an applied delivery = false")
	}
	got := app.next(t)
	if sha256.Sum256(got.body) != sha256.Sum256(rec.Body) {
		t.Errorf("the app got %d bytes that hash differently from the %d received", len(got.body), len(rec.Body))
	}
	header := got.header.Get(calendly.SignatureHeader)
	sig, err := calendly.Verify(header, got.body, forwardKey, signedAt, calendly.DefaultTolerance)
	if err != nil {
		t.Fatalf("the forwarded signature %q does not verify with the forward key: %v", header, err)
	}
	if !sig.Timestamp.Equal(signedAt) {
		t.Errorf("forwarded t = %v, want the fresh %v", sig.Timestamp, signedAt)
	}
	if header == rec.SignatureHeader {
		t.Error("the app got Calendly's original signature, not a fresh one")
	}
	if _, err := calendly.Verify(header, got.body, calendlyKey, signedAt, calendly.DefaultTolerance); err == nil {
		t.Error("the forwarded signature verifies with Calendly's key; it must be made with the forward key")
	}
	if hint := got.header.Get(storage.ReplayOfHeader); hint != "" {
		t.Errorf("a forward carries %s: %q; only a replay does", storage.ReplayOfHeader, hint)
	}
	if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}

	_, a := res.next(t)
	if !a.OK() || a.Status != 200 || string(a.Body) != "{\"ok\":true}\n" {
		t.Errorf("answer = %+v, want 200 with the app's body", a)
	}
	if r, ok := store.get(7); !ok || r.Status != 200 || r.URL != app.url.String() {
		t.Errorf("stored result = %+v, %v; want status 200 for delivery 7 at %s", r, ok, app.url)
	}
}

func TestForwardKeepsArrivalOrder(t *testing.T) {
	app := newFakeApp(t, nil)
	res := make(results, 100)
	f := newForwarder(t, Config{Target: app.url, OnResult: res.onResult})
	var want [][]byte
	for id := int64(1); id <= 40; id++ {
		rec := appliedRecord(t, id)
		want = append(want, rec.Body)
		if !f.Enqueue(rec) {
			t.Fatalf("Enqueue #%d dropped with an empty queue", id)
		}
	}
	for i, body := range want {
		if got := app.next(t); !bytes.Equal(got.body, body) {
			t.Fatalf("request %d to the app is not delivery %d: order lost", i+1, i+1)
		}
		if rec, _ := res.next(t); rec.ID != int64(i+1) {
			t.Fatalf("result %d is for delivery %d", i+1, rec.ID)
		}
	}
}

func TestASlowAppNeverBlocksEnqueueAndFullQueueDropsAreCounted(t *testing.T) {
	release := make(chan struct{})
	app := newFakeApp(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		w.WriteHeader(http.StatusNoContent)
	})
	drops := make(chan int64, 100)
	res := make(results, 100)
	f := newForwarder(t, Config{Target: app.url, QueueLen: 2, OnResult: res.onResult,
		OnDrop: func(_ storage.DeliveryRecord, n int64) { drops <- n }})

	if !f.Enqueue(appliedRecord(t, 1)) {
		t.Fatal("first Enqueue dropped")
	}
	app.next(t) // delivery 1 is now in flight, and the app holds it

	enqueued := make(chan int, 1)
	go func() {
		queued := 0
		for id := int64(2); id <= 11; id++ {
			if f.Enqueue(appliedRecord(t, id)) {
				queued++
			}
		}
		enqueued <- queued
	}()
	select {
	case queued := <-enqueued:
		if queued != 2 {
			t.Errorf("%d of 10 deliveries queued behind a stalled app, want the queue's 2", queued)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Enqueue blocked behind an app that does not answer")
	}
	if f.Dropped() != 8 || len(drops) != 8 {
		t.Errorf("Dropped() = %d with %d OnDrop calls, want 8", f.Dropped(), len(drops))
	}
	close(release)
	for _, want := range []int64{1, 2, 3} {
		if rec, a := res.next(t); rec.ID != want || a.Status != http.StatusNoContent {
			t.Errorf("result for delivery %d (%d), want %d answered 204", rec.ID, a.Status, want)
		}
	}
}

func TestAFailingAppsAnswerIsRecorded(t *testing.T) {
	app := newFakeApp(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write(bytes.Repeat([]byte("TypeError: cannot read property 'email' of undefined\n"), 200))
	})
	store := &memResults{}
	res := make(results, 1)
	f := newForwarder(t, Config{Target: app.url, Store: store, OnResult: res.onResult})
	f.Enqueue(appliedRecord(t, 3))
	_, a := res.next(t)
	if a.OK() || a.Status != 500 || a.Err != nil {
		t.Errorf("answer = status %d, err %v; want a 500 answer with no transport error", a.Status, a.Err)
	}
	r, ok := store.get(3)
	if !ok || r.Status != 500 || !r.AnswerTruncated || len(r.Answer) != storage.MaxForwardAnswer ||
		!bytes.HasPrefix(r.Answer, []byte("TypeError")) || r.Latency <= 0 {
		t.Errorf("stored %+v (answer %d bytes); want 500, the first %d bytes of the answer, truncated, a latency",
			r, len(r.Answer), storage.MaxForwardAnswer)
	}
}

func TestOnlyAppliedDeliveriesAreForwarded(t *testing.T) {
	app := newFakeApp(t, nil)
	res := make(results, 10)
	f := newForwarder(t, Config{Target: app.url, OnResult: res.onResult})
	body := appliedRecord(t, 1).Body
	for _, rec := range []storage.DeliveryRecord{
		{ID: 1, Outcome: storage.OutcomeRefused, Body: body, Reason: "signature does not match"},
		{ID: 2, Outcome: storage.OutcomeDuplicate, Body: body},
		{ID: 3, Outcome: storage.OutcomeFailed, Body: body},
		{ID: 4, Outcome: storage.OutcomeApplied},
	} {
		if f.Enqueue(rec) {
			t.Errorf("Enqueue of a %s delivery with %d body bytes = true; want it not forwarded", rec.Outcome, len(rec.Body))
		}
	}
	f.Enqueue(appliedRecord(t, 5))
	app.next(t)
	if rec, _ := res.next(t); rec.ID != 5 {
		t.Errorf("first forwarded delivery is %d, want 5 (the only applied one)", rec.ID)
	}
	f.Close(context.Background())
	if n := len(app.got); n != 0 {
		t.Errorf("the app got %d more requests; want none", n)
	}
	if f.Dropped() != 0 {
		t.Errorf("Dropped() = %d; skipped deliveries are not drops", f.Dropped())
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	elsewhere := newFakeApp(t, nil)
	app := newFakeApp(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.url.String(), http.StatusTemporaryRedirect)
	})
	res := make(results, 1)
	f := newForwarder(t, Config{Target: app.url, OnResult: res.onResult})
	f.Enqueue(appliedRecord(t, 1))
	_, a := res.next(t)
	if !errors.Is(a.Err, ErrRedirect) || a.Status != http.StatusTemporaryRedirect || a.OK() {
		t.Errorf("answer = status %d, err %v; want 307 with ErrRedirect", a.Status, a.Err)
	}
	f.Close(context.Background())
	if len(elsewhere.got) != 0 {
		t.Error("the redirect was followed")
	}
}

func TestAnAppThatNeverAnswersTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	app := newFakeApp(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	store := &memResults{}
	res := make(results, 1)
	f := newForwarder(t, Config{Target: app.url, Store: store, Timeout: 100 * time.Millisecond, OnResult: res.onResult})
	f.Enqueue(appliedRecord(t, 9))
	_, a := res.next(t)
	if a.Err == nil || !strings.Contains(a.Err.Error(), "no answer within 100ms") || a.Status != 0 {
		t.Errorf("answer = status %d, err %v; want no status and 'no answer within 100ms'", a.Status, a.Err)
	}
	if r, _ := store.get(9); r.Error != a.Err.Error() {
		t.Errorf("stored error %q, want %q", r.Error, a.Err)
	}
}

func TestCloseGivesUpOnAStalledAppAndCountsWhatItAbandons(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	app := newFakeApp(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	res := make(results, 10)
	f, err := New(Config{Target: app.url, SigningKey: forwardKey, OnResult: res.onResult})
	if err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 3; id++ {
		f.Enqueue(appliedRecord(t, id))
	}
	app.next(t) // the first is in flight
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Close(ctx) // returns: the test would hang otherwise
	if _, a := res.next(t); a.Err == nil || !strings.Contains(a.Err.Error(), "calwatch stopped") {
		t.Errorf("the send cut by Close reports %v, want 'calwatch stopped before the app answered'", a.Err)
	}
	if f.Dropped() != 2 {
		t.Errorf("Dropped() = %d after abandoning two queued deliveries, want 2", f.Dropped())
	}
	if f.Enqueue(appliedRecord(t, 4)) {
		t.Error("Enqueue after Close = true")
	}
}

func TestNewRefusesAConfigWithoutTargetOrKey(t *testing.T) {
	u, _ := ParseTarget("http://127.0.0.1:3000/")
	if _, err := New(Config{SigningKey: forwardKey}); err == nil {
		t.Error("New without a target succeeded")
	}
	if _, err := New(Config{Target: u}); err == nil {
		t.Error("New without a signing key succeeded")
	}
}
