package storage

import (
	"context"
	"os"
	"testing"
)

// benchStoreToRead opens read-only the store the environment variable env
// names, closed when the benchmark ends, and skips the benchmark without
// one.
func benchStoreToRead(b *testing.B, env string) *Store {
	b.Helper()
	path := os.Getenv(env)
	if path == "" {
		b.Skipf("%s names no store to read", env)
	}
	s, err := OpenReadOnly(context.Background(), path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkEventsStream reads every event of the store named by
// CALWATCH_BENCH_STORE (e.g. a full.db kept by BenchmarkStoreBytesPerBooking)
// with its people, as `events list` does; skipped without one.
func BenchmarkEventsStream(b *testing.B) {
	s := benchStoreToRead(b, "CALWATCH_BENCH_STORE")
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
