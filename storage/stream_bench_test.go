package storage

import (
	"context"
	"os"
	"testing"
)

// BenchmarkEventsStream reads every event of the store named by
// CALWATCH_BENCH_STORE (e.g. a full.db kept by BenchmarkStoreBytesPerBooking)
// with its people, as `events list` does; skipped without one.
func BenchmarkEventsStream(b *testing.B) {
	db := os.Getenv("CALWATCH_BENCH_STORE")
	if db == "" {
		b.Skip("CALWATCH_BENCH_STORE names no store to read")
	}
	s, err := OpenReadOnly(context.Background(), db)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for b.Loop() {
		n := 0
		for _, err := range s.Events(context.Background(), EventFilter{}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		b.ReportMetric(float64(n), "events")
	}
}
