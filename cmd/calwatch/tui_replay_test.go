package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// replayReceived is one request a test endpoint got.
type replayReceived struct {
	body []byte
	sig  string
}

func TestTUIReplaySendsTheStoredOrEditedBodySignedNow(t *testing.T) {
	bk := newBookings(t)
	panes, err := storage.OpenPanes(context.Background(), bk.db)
	if err != nil {
		t.Fatal(err)
	}
	defer panes.Close()
	got := make(chan replayReceived, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- replayReceived{b, r.Header.Get(calendly.SignatureHeader)}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	key := []byte("replay-key")
	rp := &tuiReplayer{reader: panes, target: fixedTarget(srv.URL+"/hooks/calendly", key)}

	res, err := rp.Replay(context.Background(), 1, nil)
	if err != nil || res.Status != http.StatusAccepted {
		t.Fatalf("Replay: %+v, %v", res, err)
	}
	r := <-got
	if string(r.body) != string(bk.sent[0]) {
		t.Errorf("sent %q, want the stored body of delivery 1", r.body)
	}
	if _, err := calendly.Verify(r.sig, r.body, key, time.Now(), 3*time.Minute); err != nil {
		t.Errorf("the replay's signature does not verify now: %v", err)
	}
	edited := []byte(`{"edited":true}`)
	if _, err := rp.Replay(context.Background(), 1, edited); err != nil {
		t.Fatal(err)
	}
	r = <-got
	if string(r.body) != string(edited) {
		t.Errorf("sent %q, want the edited body", r.body)
	}
	if _, err := calendly.Verify(r.sig, r.body, key, time.Now(), 3*time.Minute); err != nil {
		t.Errorf("the edited body's signature does not verify: %v", err)
	}
	if _, err := rp.Replay(context.Background(), 999, nil); err == nil || !strings.Contains(err.Error(), "no longer in the log") {
		t.Errorf("replaying a missing delivery: %v", err)
	}
}

func TestOfflineReplayNeedsAKeyAndARunningListener(t *testing.T) {
	a := &app{home: t.TempDir()}
	if _, _, err := a.runningListenerTarget(nil)(); err == nil || !strings.Contains(err.Error(), "$"+signingKeyEnv) {
		t.Errorf("no key: %v, want the variable to set", err)
	}
	if _, _, err := a.runningListenerTarget([]byte("k"))(); err == nil || !strings.Contains(err.Error(), "no calwatch listen is running") {
		t.Errorf("no listener: %v, want to start one", err)
	}
}
