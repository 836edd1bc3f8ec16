package forward

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

var (
	forwardKey  = []byte("forward-test-key-for-the-app")
	calendlyKey = []byte("calendly-test-key-of-the-hook")
)

// received is one request the fake app got.
type received struct {
	body   []byte
	header http.Header
}

// fakeApp is the developer's app: it hands each request to the test on a
// channel and answers what answer returns.
type fakeApp struct {
	srv *httptest.Server
	url *url.URL
	got chan received
}

func newFakeApp(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) *fakeApp {
	t.Helper()
	app := &fakeApp{got: make(chan received, 1000)}
	app.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		app.got <- received{body: body, header: r.Header.Clone()}
		if answer != nil {
			answer(w, r)
			return
		}
		fmt.Fprintln(w, `{"ok":true}`)
	}))
	t.Cleanup(app.srv.Close)
	u, err := ParseTarget(app.srv.URL + "/webhooks/calendly")
	if err != nil {
		t.Fatal(err)
	}
	app.url = u
	return app
}

// next waits for the app's next request.
func (app *fakeApp) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-app.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the app received nothing within 10s")
		return received{}
	}
}

// sampleBody is a realistic delivery body, different for each seed.
func sampleBody(t testing.TB, event string, seed uint64) []byte {
	t.Helper()
	b, err := calendlytest.SampleDelivery(event, time.Now(), rand.New(rand.NewPCG(seed, seed+1)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func appliedRecord(t testing.TB, id int64) storage.DeliveryRecord {
	return storage.DeliveryRecord{ID: id, Outcome: storage.OutcomeApplied, Event: "invitee.created",
		Body: sampleBody(t, "invitee.created", uint64(id))}
}

// results collects what a Forwarder reports, in order.
type results chan struct {
	rec storage.DeliveryRecord
	a   Answer
}

func (r results) onResult(rec storage.DeliveryRecord, a Answer) {
	r <- struct {
		rec storage.DeliveryRecord
		a   Answer
	}{rec, a}
}

func (r results) next(t *testing.T) (storage.DeliveryRecord, Answer) {
	t.Helper()
	select {
	case x := <-r:
		return x.rec, x.a
	case <-time.After(10 * time.Second):
		t.Fatal("no forward result within 10s")
		return storage.DeliveryRecord{}, Answer{}
	}
}

// memResults is a ResultStore in memory.
type memResults struct {
	mu   sync.Mutex
	byID map[int64]storage.ForwardResult
}

func (m *memResults) RecordForward(_ context.Context, r storage.ForwardResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID == nil {
		m.byID = map[int64]storage.ForwardResult{}
	}
	m.byID[r.DeliveryID] = r
	return nil
}

func (m *memResults) get(id int64) (storage.ForwardResult, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byID[id]
	return r, ok
}

func newForwarder(t *testing.T, cfg Config) *Forwarder {
	t.Helper()
	if cfg.SigningKey == nil {
		cfg.SigningKey = forwardKey
	}
	f, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}
