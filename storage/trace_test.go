package storage

import (
	"sync"
	"testing"
	"time"
)

// TestBatchTraceTimesEveryCommitInOrder: the writer's test-only trace
// (what BenchmarkRecordRealistic's CALWATCH_BENCH_TRACE reports) sees
// every batch, with its items, and its steps in the order they happen.
func TestBatchTraceTimesEveryCommitInOrder(t *testing.T) {
	s := openTestStore(t)
	var mu sync.Mutex
	var got []batchTiming
	onBatch := func(bt batchTiming) {
		mu.Lock()
		got = append(got, bt)
		mu.Unlock()
	}
	s.w.traced.Store(&onBatch)
	ds := realisticDeliveries(t, "trace", 3)
	for _, d := range ds { // one at a time: one batch each
		record(t, s, d)
	}
	// The trace runs after a batch's callers are answered: a later batch,
	// recorded and answered, means the writer has passed it. So the 4th
	// batch may or may not be traced, the 5th (when the 6th is answered)
	// must not be.
	record(t, s, realisticDeliveries(t, "passed", 1)...)
	s.w.traced.Store(nil)
	record(t, s, realisticDeliveries(t, "untraced", 2)...)
	mu.Lock()
	defer mu.Unlock()
	if len(got) < len(ds) || len(got) > len(ds)+1 {
		t.Fatalf("%d batches traced, want %d or %d (none recorded after the trace was removed)", len(got), len(ds), len(ds)+1)
	}
	for i, bt := range got {
		if bt.items != 1 {
			t.Errorf("batch %d: %d items, want 1", i, bt.items)
		}
		steps := []time.Time{bt.start, bt.applied, bt.answered, bt.done}
		for j := 1; j < len(steps); j++ {
			if steps[j].IsZero() || steps[j].Before(steps[j-1]) {
				t.Errorf("batch %d: step %d at %v, before step %d at %v", i, j, steps[j], j-1, steps[j-1])
			}
		}
	}
}
