package storage

import (
	"context"
	"testing"
	"time"
)

// BenchmarkPersonGrownReads is what the TUI reads when a person is opened
// on a grown store: the first page of their activity and their summary,
// one person an op, cycling through the 200 most recently active. It runs
// on the store CALWATCH_BENCH_READ_STORE names (only read) and skips
// without one.
func BenchmarkPersonGrownReads(b *testing.B) {
	s := benchStoreToRead(b, "CALWATCH_BENCH_READ_STORE")
	ctx := context.Background()
	panes := s.Panes()
	people, err := panes.Contacts(ctx, ContactPage{Limit: 200})
	if err != nil || len(people) == 0 {
		b.Fatalf("reading the people to open: %d, %v", len(people), err)
	}
	now := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := range b.N {
		email := people[i%len(people)].Email
		if _, err := panes.ContactActivity(ctx, ActivityPage{Email: email}); err != nil {
			b.Fatal(err)
		}
		if _, err := panes.PersonSummary(ctx, email, now.AddDate(0, 0, -42), now); err != nil {
			b.Fatal(err)
		}
	}
}
