package storage

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// fillRealistic records n loadgen.Realistic deliveries into a new store at
// path through RecordDelivery, from many callers as the listener makes them.
func fillRealistic(tb testing.TB, path string, n int) {
	tb.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	ds := loadgen.Realistic("size", n)
	at := time.Now().UTC()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ds) {
					return
				}
				header := calendly.Sign(testSigningKey, at, ds[i].Body)
				sig, err := calendly.Verify(header, ds[i].Body, testSigningKey, at, 0)
				if err != nil {
					tb.Error(err)
					return
				}
				parsed, err := calendly.ParseDelivery(ds[i].Body)
				if err != nil {
					tb.Error(err)
					return
				}
				d := IncomingDelivery{ReceivedAt: at, SignatureHeader: header, ReplayKey: sig.ReplayKey(), Body: ds[i].Body, Parsed: parsed}
				if _, err := s.RecordDelivery(context.Background(), d); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// storeSize is what a filled store holds: its bookings (stored events) and
// its size in bytes, compacted, with and without the delivery log.
type storeSize struct {
	events, withLog, withoutLog int64
}

func measureStore(tb testing.TB, path string) storeSize {
	tb.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var sz storeSize
	pageBytes := func() int64 {
		var pages, size int64
		if err := db.QueryRow(`PRAGMA page_count`).Scan(&pages); err != nil {
			tb.Fatal(err)
		}
		if err := db.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
			tb.Fatal(err)
		}
		return pages * size
	}
	for _, q := range []string{`PRAGMA wal_checkpoint(TRUNCATE)`, `VACUUM`} {
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	if err := db.QueryRow(`SELECT count(*) FROM events`).Scan(&sz.events); err != nil {
		tb.Fatal(err)
	}
	sz.withLog = pageBytes()
	keep := os.Getenv("CALWATCH_KEEP_SIZED_STORE")
	if keep != "" {
		out := filepath.Join(keep, "full.db")
		_ = os.Remove(out)
		if _, err := db.Exec(`VACUUM INTO ?`, out); err != nil {
			tb.Fatal(err)
		}
	}
	for _, q := range []string{`DELETE FROM forwards`, `DELETE FROM deliveries`, `VACUUM`} {
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	sz.withoutLog = pageBytes()
	if keep != "" {
		out := filepath.Join(keep, "sized.db")
		_ = os.Remove(out)
		if _, err := db.Exec(`VACUUM INTO ?`, out); err != nil {
			tb.Fatal(err)
		}
	}
	return sz
}

// BenchmarkStoreBytesPerBooking fills a store with b.N realistic
// deliveries and reports its size per booking (stored event), delivery log
// aside and with it (about 0.6 bookings per delivery: cancellations and
// no-shows add none). CALWATCH_KEEP_SIZED_STORE=DIR keeps the store there
// (full.db, and sized.db without the delivery log) for the CLI's figures:
//
//	go test -run '^$' -bench StoreBytesPerBooking -benchtime 49000x ./storage/
func BenchmarkStoreBytesPerBooking(b *testing.B) {
	path := filepath.Join(b.TempDir(), "calwatch.db")
	fillRealistic(b, path, b.N)
	b.StopTimer()
	sz := measureStore(b, path)
	b.ReportMetric(float64(sz.events), "bookings")
	b.ReportMetric(float64(sz.withoutLog)/float64(sz.events), "bytes/booking")
	b.ReportMetric(float64(sz.withLog)/float64(sz.events), "bytes/booking-with-log")
}
