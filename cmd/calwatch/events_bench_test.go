package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// BenchmarkEventsListJSON runs `events list --json` over the store named by
// CALWATCH_BENCH_STORE (e.g. the full.db that storage's
// BenchmarkStoreBytesPerBooking keeps with CALWATCH_KEEP_SIZED_STORE), its
// output discarded; skipped without one. For a CPU profile:
//
//	CALWATCH_BENCH_STORE=/tmp/s100/full.db go test -run '^$' -bench EventsListJSON -benchtime 1x -cpuprofile cpu.out ./cmd/calwatch/
func BenchmarkEventsListJSON(b *testing.B) {
	db := os.Getenv("CALWATCH_BENCH_STORE")
	if db == "" {
		b.Skip("CALWATCH_BENCH_STORE names no store to list")
	}
	for b.Loop() {
		var errOut strings.Builder
		code := run(context.Background(), []string{"--db", db, "events", "list", "--json"}, &streams{in: strings.NewReader(""), out: io.Discard, errOut: &errOut})
		if code != exitOK {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
	}
}
