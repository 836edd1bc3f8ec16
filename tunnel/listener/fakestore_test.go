package listener

import (
	"context"
	"sync"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// fakeStore remembers what the handler recorded, deduplicates on the replay
// key as storage does, and can fail or hold RecordDelivery on demand.
type fakeStore struct {
	mu        sync.Mutex
	seen      map[string]bool
	delivered []storage.IncomingDelivery // applied ones only
	refused   []storage.RefusedDelivery
	nextID    int64

	fail       error         // RecordDelivery returns it when set
	failLogged bool          // with fail: storage logged the failure, as *storage.Store does
	entered    chan struct{} // if set, RecordDelivery signals here on entry
	release    chan struct{} // if set, RecordDelivery waits for it
	// outlastDeadline makes RecordDelivery commit only after its context's
	// deadline, as a storage that always waits for an enqueued write does
	// when the commit is slow.
	outlastDeadline bool
	ctxErrs         []error // the context's Err() as each RecordDelivery committed
	answers         []fakeAnswer
}

type fakeAnswer struct {
	id      int64
	status  int
	latency time.Duration
}

func newFakeStore() *fakeStore { return &fakeStore{seen: map[string]bool{}} }

func (f *fakeStore) RecordDelivery(ctx context.Context, d storage.IncomingDelivery) (storage.DeliveryRecord, error) {
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.release != nil {
		<-f.release
	}
	if f.outlastDeadline {
		<-ctx.Done()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ctxErrs = append(f.ctxErrs, ctx.Err())
	f.nextID++
	rec := storage.DeliveryRecord{ID: f.nextID, ReceivedAt: d.ReceivedAt, Event: d.Parsed.Event, Outcome: storage.OutcomeApplied}
	if d.Parsed.Invitee != nil {
		rec.Invitee, rec.InviteeEmail, rec.EventURI = d.Parsed.Invitee.URI, d.Parsed.Invitee.Email, d.Parsed.Invitee.Event
	}
	if f.fail != nil && f.failLogged {
		rec.Outcome, rec.Reason = storage.OutcomeFailed, "not applied: "+f.fail.Error()
		return rec, f.fail
	}
	if f.fail != nil {
		return storage.DeliveryRecord{}, f.fail
	}
	if f.seen[d.ReplayKey] {
		rec.Outcome = storage.OutcomeDuplicate
		return rec, nil
	}
	f.seen[d.ReplayKey] = true
	f.delivered = append(f.delivered, d)
	return rec, nil
}

func (f *fakeStore) RecordRefused(ctx context.Context, r storage.RefusedDelivery) (storage.DeliveryRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.refused = append(f.refused, r)
	return storage.DeliveryRecord{ID: f.nextID, ReceivedAt: r.ReceivedAt, Outcome: storage.OutcomeRefused, Reason: r.Reason}, nil
}

func (f *fakeStore) RecordAnswer(id int64, status int, latency time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, fakeAnswer{id, status, latency})
}

func (f *fakeStore) counts() (applied, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.delivered), len(f.refused)
}

func (f *fakeStore) lastRefused() storage.RefusedDelivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.refused) == 0 {
		return storage.RefusedDelivery{}
	}
	return f.refused[len(f.refused)-1]
}
