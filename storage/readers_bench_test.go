package storage

import (
	"context"
	"testing"
	"time"
)

// BenchmarkPanesGrownReads is what the TUI's panes read on a grown store,
// through one read-only connection: a month's day counts, one day's
// bookings and the first page of contacts, one op each round. It runs on
// the store CALWATCH_BENCH_READ_STORE names (a copy of a grown store: it is
// only read), and skips without one. CALWATCH_BENCH_READER_PRAGMAS are
// statements run on that connection first (mmap_size, cache_size), to
// compare what readers would gain from them. Besides ns/op it reports
// reads/op (read calls), faults/op and resident memory.
func BenchmarkPanesGrownReads(b *testing.B) {
	s := benchStoreToRead(b, "CALWATCH_BENCH_READ_STORE")
	ctx := context.Background()
	s.readDB.SetMaxOpenConns(1) // so the pragmas hold for every query
	for _, p := range benchStatements("CALWATCH_BENCH_READER_PRAGMAS") {
		if _, err := s.readDB.ExecContext(ctx, p); err != nil {
			b.Fatalf("%s: %v", p, err)
		}
		b.Logf("reader: %s", p)
	}
	panes := s.Panes()
	month := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	day := time.Date(2026, 7, 15, 0, 0, 0, 0, time.UTC)
	ops := []func() error{
		func() error { _, err := panes.DayCounts(ctx, month, month.AddDate(0, 1, 0), time.UTC); return err },
		func() error { _, err := panes.Bookings(ctx, day, day.AddDate(0, 0, 1)); return err },
		func() error { _, err := panes.Contacts(ctx, ContactPage{}); return err },
	}
	ioBefore, faultsBefore := processIO(), processPageFaults(b)
	b.ResetTimer()
	for i := range b.N {
		if err := ops[i%len(ops)](); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	if read := processIO().minus(ioBefore); read.ok {
		b.ReportMetric(float64(read.reads)/n, "reads/op")
	}
	b.ReportMetric(float64(processPageFaults(b)-faultsBefore)/n, "faults/op")
	reportMemory(b)
}

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
