package listener

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// TestFailedDeliveryReachesOnRecord: a delivery storage could not apply is
// answered 5xx and shown to the operator through OnRecord like every other
// outcome: the row storage logged, or, when it could not log even that, an
// unlogged row (ID 0) that still says what was lost.
func TestFailedDeliveryReachesOnRecord(t *testing.T) {
	for _, logged := range []bool{true, false} {
		store := newFakeStore()
		store.fail, store.failLogged = errors.New("disk I/O error"), logged
		var records []storage.DeliveryRecord
		h := newTestHandler(t, store, func(c *Config) { c.OnRecord = func(r storage.DeliveryRecord) { records = append(records, r) } })
		checkAnswer(t, serve(h, signedRequest(fixture(t, "invitee_created.json"), testKey, testNow)), http.StatusInternalServerError)
		if len(records) != 1 {
			t.Fatalf("logged by storage %v: OnRecord called %d times, want once", logged, len(records))
		}
		r := records[0]
		if r.Outcome != storage.OutcomeFailed || r.Event != "invitee.created" || r.InviteeEmail != "Ada.Lovelace@example.com" || !strings.Contains(r.Reason, "disk I/O error") {
			t.Errorf("logged by storage %v: OnRecord got %+v, want the failed invitee.created of Ada with its cause", logged, r)
		}
		if logged != (r.ID != 0) {
			t.Errorf("logged by storage %v: reported ID %d", logged, r.ID)
		}
	}
}

// TestClientGoingAwayDoesNotDecideTheAnswer: the storage call does not see
// the client's cancellation; what it commits is answered 200 (to whoever
// still listens) and reported.
func TestClientGoingAwayDoesNotDecideTheAnswer(t *testing.T) {
	store := newFakeStore()
	store.entered, store.release = make(chan struct{}, 1), make(chan struct{})
	reported := make(chan storage.DeliveryRecord, 1)
	h := newTestHandler(t, store, func(c *Config) { c.OnRecord = func(r storage.DeliveryRecord) { reported <- r } })
	ctx, hangUp := context.WithCancel(context.Background())
	req := signedRequest(fixture(t, "invitee_created.json"), testKey, testNow).WithContext(ctx)
	rec := httptest.NewRecorder()
	served := make(chan struct{})
	go func() { defer close(served); h.ServeHTTP(rec, req) }()

	within(t, "the delivery reaching storage", store.entered)
	hangUp() // the client gives up mid-write
	close(store.release)
	within(t, "the answer", served)

	checkAnswer(t, rec, http.StatusOK)
	if err := store.ctxErrs[0]; err != nil {
		t.Errorf("storage's context ended with the client's: %v", err)
	}
	if r := within(t, "the report", reported); r.Outcome != storage.OutcomeApplied {
		t.Errorf("OnRecord got %+v, want the applied row", r)
	}
}

// TestCommitAfterTheStoreTimeoutIsAnswered200: storage waits for a write
// it has enqueued and returns its real outcome, even past StoreTimeout; the
// handler answers from that outcome, not from the expired deadline.
func TestCommitAfterTheStoreTimeoutIsAnswered200(t *testing.T) {
	store := newFakeStore()
	store.outlastDeadline = true
	h := newTestHandler(t, store, func(c *Config) { c.StoreTimeout = time.Millisecond })
	got := checkAnswer(t, serve(h, signedRequest(fixture(t, "invitee_created.json"), testKey, testNow)), http.StatusOK)
	if got["outcome"] != string(storage.OutcomeApplied) || !errors.Is(store.ctxErrs[0], context.DeadlineExceeded) {
		t.Errorf("outcome %v with the context %v; want applied after the deadline", got["outcome"], store.ctxErrs[0])
	}
}
