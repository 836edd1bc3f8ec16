package storage

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// BenchmarkRecordRealistic is the storage half of the listener's ingest
// (BenchmarkIngest in cmd/calwatch) without HTTP, signing or parsing: the
// loadgen.Realistic stream (random UUID URIs, people who come back, every
// kind of delivery), parsed before the clock starts, recorded and applied by
// 64 concurrent callers through group commit, as the listener's handlers
// do. It runs on an empty store and on one grown first (untimed, once per
// process) to CALWATCH_BENCH_EVENTS scheduled events (default 100,000) by
// the same stream; every grown run starts from a copy of that store.
// CALWATCH_BENCH_GROWN_STORE names a file to keep that store in and take
// it from when it exists (grown by the same number of events);
// CALWATCH_BENCH_WARMUP records that many of the stream's deliveries first,
// untimed, so SQLite's cache is as warm as a listener's that has run a
// while. The store is opened as calwatch listen opens it (ForIngest); see
// tuning_bench_test.go for pragmas to try and the trace of the tail.
// CALWATCH_BENCH_KEEP_WAL names a folder where a run leaves a copy of its
// store and of a WAL holding every page it wrote (no checkpoint during the
// run), for bench/wal-pages.py. To compare checkpoint settings without a
// rebuild, CALWATCH_BENCH_CHECKPOINT_ITEMS sets the items between
// background checkpoints (0: none), CALWATCH_BENCH_CHECKPOINT_RESTART the
// WAL frames at which the writer finishes one (with ITEMS), and
// CALWATCH_BENCH_WRITER_CHECKPOINT the writer's own wal_autocheckpoint (0:
// none); ckpt-runs is how many background checkpoints ran, ckpt-finished
// how many the writer finished.
//
//	go test -run '^$' -bench RecordRealistic -benchtime 20000x -count 3 ./storage/
//
// Besides deliveries/s it reports cpu-µs/delivery (this process's CPU: the
// storage writer and the callers) and sys-µs/delivery (the part of it in
// the kernel), and, on Linux, what a busy machine does not blur:
// written-KB/delivery and writes/delivery (bytes and write calls: WAL frame
// headers and pages, checkpoints) and reads/delivery (read calls: pages
// missing from SQLite's cache, WAL frames read back by checkpoints). p99-ms
// is the 99th percentile of a RecordDelivery call, queueing included: the
// storage part of the listener's latency.
func BenchmarkRecordRealistic(b *testing.B) {
	b.Run("store=empty", func(b *testing.B) {
		ds := parseDeliveries(b, loadgen.Realistic("empty", b.N))
		benchmarkRecord(b, filepath.Join(b.TempDir(), "calwatch.db"), nil, ds)
	})
	b.Run("store=grown", func(b *testing.B) {
		events := 100_000
		if v, err := strconv.Atoi(os.Getenv("CALWATCH_BENCH_EVENTS")); err == nil && v > 0 {
			events = v
		}
		g := growRealisticStore(b, events)
		path := filepath.Join(b.TempDir(), "calwatch.db")
		copyFile(b, g.path, path)
		warmup := 0
		if v, err := strconv.Atoi(os.Getenv("CALWATCH_BENCH_WARMUP")); err == nil && v > 0 {
			warmup = v
		}
		ds := parseDeliveries(b, g.stream.Take(warmup+b.N))
		benchmarkRecord(b, path, ds[:warmup], ds[warmup:])
	})
}

// benchmarkRecord records warmup (untimed: SQLite's cache fills as in a
// listener that has run a while), then ds.
func benchmarkRecord(b *testing.B, path string, warmup, ds []IncomingDelivery) {
	s, err := Open(context.Background(), path, ForIngest()) // as calwatch listen opens it
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var pageSize, cacheSize, checkpoint int
	for q, dst := range map[string]*int{"page_size": &pageSize, "cache_size": &cacheSize, "wal_autocheckpoint": &checkpoint} {
		if err := s.conn.QueryRowContext(context.Background(), "PRAGMA "+q).Scan(dst); err != nil {
			b.Fatal(err)
		}
	}
	keepWAL := os.Getenv("CALWATCH_BENCH_KEEP_WAL")
	if keepWAL != "" {
		// The WAL is to hold every page the run writes (bench/wal-pages.py
		// reads it): no checkpoint until the copy is taken.
		if _, err := s.conn.ExecContext(context.Background(), "PRAGMA wal_autocheckpoint = 0"); err != nil {
			b.Fatal(err)
		}
		if err := s.ckpt.close(); err != nil {
			b.Fatal(err)
		}
		s.ckpt = nil
	}
	if v, err := strconv.Atoi(os.Getenv("CALWATCH_BENCH_WRITER_CHECKPOINT")); err == nil && keepWAL == "" {
		if _, err := s.conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", v)); err != nil {
			b.Fatal(err)
		}
		checkpoint = v
	}
	restart := checkpointRestartFrames
	if v, err := strconv.Atoi(os.Getenv("CALWATCH_BENCH_CHECKPOINT_RESTART")); err == nil {
		restart = v
	}
	if v, err := strconv.ParseInt(os.Getenv("CALWATCH_BENCH_CHECKPOINT_ITEMS"), 10, 64); err == nil && keepWAL == "" {
		if err := s.ckpt.close(); err != nil {
			b.Fatal(err)
		}
		s.ckpt = nil
		if v > 0 {
			if s.ckpt, err = startCheckpointer(context.Background(), path, v, restart, checkpointDelay); err != nil {
				b.Fatal(err)
			}
		}
	}
	tuneForBench(b, s)
	b.Logf("page_size %d, cache_size %d, wal_autocheckpoint %d", pageSize, cacheSize, checkpoint)
	recordByCallers(b, s, warmup)
	ckptBefore := s.CheckpointStats()
	cpuBefore, sysBefore, ioBefore, faultsBefore := processCPU(b), processSystemCPU(b), processIO(), processPageFaults(b)
	trace := traceRun(b, s)
	b.ResetTimer()
	latencies := recordByCallers(b, s, ds)
	b.StopTimer()
	trace.report(b, s)
	reportMemory(b)
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)*99/100])/float64(time.Millisecond), "p99-ms")
	ckpt := s.CheckpointStats()
	b.ReportMetric(float64(ckpt.Runs-ckptBefore.Runs), "ckpt-runs")
	b.ReportMetric(float64(ckpt.Finished-ckptBefore.Finished), "ckpt-finished")
	cpu, sys, written := processCPU(b)-cpuBefore, processSystemCPU(b)-sysBefore, processIO().minus(ioBefore)
	faults := processPageFaults(b) - faultsBefore
	if keepWAL != "" {
		copyFile(b, path, filepath.Join(keepWAL, "calwatch.db"))
		copyFile(b, path+"-wal", filepath.Join(keepWAL, "calwatch.db-wal"))
	}
	n := float64(len(ds))
	b.ReportMetric(n/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(cpu.Microseconds())/n, "cpu-µs/delivery")
	b.ReportMetric(float64(sys.Microseconds())/n, "sys-µs/delivery")
	b.ReportMetric(float64(faults)/n, "faults/delivery")
	if written.ok {
		b.ReportMetric(float64(written.bytes)/1024/n, "written-KB/delivery")
		b.ReportMetric(float64(written.calls)/n, "writes/delivery")
		b.ReportMetric(float64(written.reads)/n, "reads/delivery")
	}
}

// recordByCallers records ds by 64 concurrent callers, as the
// listener's handlers do, and returns the time each call took.
func recordByCallers(b *testing.B, s *Store, ds []IncomingDelivery) []time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	latencies := make([]time.Duration, len(ds))
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(len(ds)); i = next.Add(1) - 1 {
				start := time.Now()
				if _, err := s.RecordDelivery(context.Background(), ds[i]); err != nil {
					b.Error(err)
					return
				}
				latencies[i] = time.Since(start)
			}
		})
	}
	wg.Wait()
	return latencies
}

// parseDeliveries signs and parses a stream as the listener does.
func parseDeliveries(b *testing.B, stream []loadgen.Delivery) []IncomingDelivery {
	out := make([]IncomingDelivery, len(stream))
	at := time.Now()
	for i, d := range stream {
		out[i] = signedDelivery(b, d.Body, at.Add(time.Duration(i)*time.Microsecond))
	}
	return out
}

// realisticStore is a store grown by a realistic stream, and the rest of
// that stream.
type realisticStore struct {
	path   string
	stream *loadgen.Workload
}

var (
	grownStoreOnce sync.Once
	grownStore     realisticStore
	grownStoreErr  error
	grownStoreDir  string // the temporary folder it was grown in, if any
)

// TestMain removes the grown store's temporary folder when the process
// ends (a store kept with CALWATCH_BENCH_GROWN_STORE stays).
func TestMain(m *testing.M) {
	code := m.Run()
	if grownStoreDir != "" {
		_ = os.RemoveAll(grownStoreDir)
	}
	os.Exit(code)
}

func growRealisticStore(b *testing.B, events int) realisticStore {
	grownStoreOnce.Do(func() {
		stream := loadgen.NewWorkload("grown", events/2)
		var growth []loadgen.Delivery
		for seen := map[string]bool{}; len(seen) < events; {
			for _, d := range stream.Take(1000) {
				growth = append(growth, d)
				if d.Event == calendly.EventInviteeCreated {
					seen[d.InviteeURI[:bytes.LastIndex([]byte(d.InviteeURI), []byte("/invitees/"))]] = true
				}
			}
		}
		path := os.Getenv("CALWATCH_BENCH_GROWN_STORE")
		if _, err := os.Stat(path); path != "" && err == nil {
			grownStore = realisticStore{path: path, stream: stream}
			return
		}
		if path == "" {
			// The process outlives one benchmark's TempDir; -count runs share it.
			dir, err := os.MkdirTemp("", "calwatch-grown-storage-")
			if err != nil {
				grownStoreErr = err
				return
			}
			grownStoreDir, path = dir, filepath.Join(dir, "calwatch.db")
		}
		s, err := Open(context.Background(), path)
		if err != nil {
			grownStoreErr = err
			return
		}
		ds := parseDeliveries(b, growth)
		var next atomic.Int64
		var wg sync.WaitGroup
		var failed atomic.Pointer[error]
		for range 64 {
			wg.Go(func() {
				for i := next.Add(1) - 1; i < int64(len(ds)); i = next.Add(1) - 1 {
					if _, err := s.RecordDelivery(context.Background(), ds[i]); err != nil {
						failed.Store(&err)
						return
					}
				}
			})
		}
		wg.Wait()
		if p := failed.Load(); p != nil {
			grownStoreErr = *p
		}
		if err := s.Close(); err != nil && grownStoreErr == nil {
			grownStoreErr = err
		}
		grownStore = realisticStore{path: path, stream: stream}
	})
	if grownStoreErr != nil {
		b.Fatalf("growing the store: %v", grownStoreErr)
	}
	return grownStore
}

func copyFile(b *testing.B, from, to string) {
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		b.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		b.Fatal(err)
	}
}

// ioCounters are the bytes and write calls this process has written, from
// /proc/self/io (wchar, syscw); ok is false where that file is missing.
type ioCounters struct {
	bytes, calls, reads int64
	ok                  bool
}

func processIO() ioCounters {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return ioCounters{}
	}
	defer f.Close()
	var c ioCounters
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := bytes.Cut(sc.Bytes(), []byte(": "))
		n, err := strconv.ParseInt(string(value), 10, 64)
		if err != nil {
			continue
		}
		switch string(name) {
		case "wchar":
			c.bytes, found = n, found+1
		case "syscw":
			c.calls, found = n, found+1
		case "syscr":
			c.reads, found = n, found+1
		}
	}
	c.ok = found == 3
	return c
}

func (c ioCounters) minus(before ioCounters) ioCounters {
	return ioCounters{bytes: c.bytes - before.bytes, calls: c.calls - before.calls, reads: c.reads - before.reads, ok: c.ok && before.ok}
}
