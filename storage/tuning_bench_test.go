package storage

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// What BenchmarkRecordRealistic can vary without a rebuild, and what it
// reports about the tail of its latencies.
//
// CALWATCH_BENCH_WRITER_PRAGMAS and CALWATCH_BENCH_CHECKPOINT_PRAGMAS are
// statements (separated by ";") run on the writer's connection and on the
// background checkpoint's before the run, e.g.
//
//	CALWATCH_BENCH_WRITER_PRAGMAS='PRAGMA cache_size=-64000; PRAGMA mmap_size=1073741824'
//
// CALWATCH_BENCH_TRACE=1 traces every batch and checkpoint of the run and
// logs where the slowest batches spent their time.

// tuneForBench runs the statements the environment names on the store's
// writer and checkpoint connections.
func tuneForBench(b *testing.B, s *Store) {
	ctx := context.Background()
	for _, p := range benchStatements("CALWATCH_BENCH_WRITER_PRAGMAS") {
		if _, err := s.conn.ExecContext(ctx, p); err != nil {
			b.Fatalf("writer: %s: %v", p, err)
		}
		b.Logf("writer: %s", p)
	}
	for _, p := range benchStatements("CALWATCH_BENCH_CHECKPOINT_PRAGMAS") {
		if s.ckpt == nil {
			b.Fatal("CALWATCH_BENCH_CHECKPOINT_PRAGMAS without a background checkpoint")
		}
		if _, err := s.ckpt.db.ExecContext(ctx, p); err != nil {
			b.Fatalf("checkpoint: %s: %v", p, err)
		}
		b.Logf("checkpoint: %s", p)
	}
}

func benchStatements(env string) []string {
	var out []string
	for p := range strings.SplitSeq(os.Getenv(env), ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// reportMemory reports the process's resident memory: rss-anon-MB (heap,
// SQLite's page caches among it) and rss-file-MB (file pages mapped in:
// mmap'd database pages, which the kernel can reclaim and shares).
func reportMemory(b *testing.B) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, _ := bytes.Cut(sc.Bytes(), []byte(":"))
		unit := ""
		switch string(name) {
		case "RssAnon":
			unit = "rss-anon-MB"
		case "RssFile":
			unit = "rss-file-MB"
		default:
			continue
		}
		kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(string(value)), " kB"))
		if err == nil {
			b.ReportMetric(float64(kb)/1024, unit)
		}
	}
}

// benchTrace gathers the timing of every batch and background checkpoint
// of a run.
type benchTrace struct {
	mu          sync.Mutex
	batches     []batchTiming
	checkpoints []checkpointTiming
	gcBefore    gcPauses
}

// traceRun starts tracing s when CALWATCH_BENCH_TRACE is set (nil
// otherwise, and for the benchmark's first run of one delivery: the
// testing package keeps only the first lines a benchmark logs).
func traceRun(b *testing.B, s *Store) *benchTrace {
	if os.Getenv("CALWATCH_BENCH_TRACE") == "" || b.N < 100 {
		return nil
	}
	t := &benchTrace{gcBefore: readGCPauses()}
	onBatch := func(bt batchTiming) {
		t.mu.Lock()
		t.batches = append(t.batches, bt)
		t.mu.Unlock()
	}
	s.w.traced.Store(&onBatch)
	if s.ckpt != nil {
		onCheckpoint := func(ct checkpointTiming) {
			t.mu.Lock()
			t.checkpoints = append(t.checkpoints, ct)
			t.mu.Unlock()
		}
		s.ckpt.traced.Store(&onCheckpoint)
	}
	return t
}

// report logs where the slowest 2 % of batches spent their time and
// reports batch-p99-ms, the 99th percentile of a batch's whole time (BEGIN
// to the next batch); a delivery waits for the batch before its own and
// then its own.
func (t *benchTrace) report(b *testing.B, s *Store) {
	if t == nil {
		return
	}
	s.w.traced.Store(nil)
	if s.ckpt != nil {
		s.ckpt.traced.Store(nil)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	gc := readGCPauses().minus(t.gcBefore)
	bs := slices.Clone(t.batches)
	if len(bs) == 0 {
		return
	}
	total := func(bt batchTiming) time.Duration { return bt.done.Sub(bt.start) }
	slices.SortFunc(bs, func(x, y batchTiming) int { return int(total(x) - total(y)) })
	b.ReportMetric(ms(total(bs[len(bs)*99/100])), "batch-p99-ms")
	b.ReportMetric(ms(total(bs[len(bs)/2])), "batch-p50-ms")
	var items int
	for _, bt := range bs {
		items += bt.items
	}
	b.Logf("%d batches, %.1f items each; batch p50 %.1f ms, p99 %.1f ms, max %.1f ms; GC: %d pauses, longest %.2f ms, %.1f ms in all",
		len(bs), float64(items)/float64(len(bs)), ms(total(bs[len(bs)/2])), ms(total(bs[len(bs)*99/100])), ms(total(bs[len(bs)-1])),
		gc.count, ms(gc.longest), ms(gc.sum))
	describe := func(name string, group []batchTiming) {
		var apply, commit, after time.Duration
		var n, overlapLow, overlapCatchUp int
		for _, bt := range group {
			apply += bt.applied.Sub(bt.start)
			commit += bt.answered.Sub(bt.applied)
			after += bt.done.Sub(bt.answered)
			n += bt.items
			low, catchUp := t.overlaps(bt)
			if low {
				overlapLow++
			}
			if catchUp {
				overlapCatchUp++
			}
		}
		k := time.Duration(len(group))
		b.Logf("%s (%d): %.1f items, apply %.1f ms, COMMIT %.1f ms, after (checkpoint finish, upkeep) %.1f ms; during a background checkpoint %d, a catch-up one %d",
			name, len(group), float64(n)/float64(len(group)), ms(apply/k), ms(commit/k), ms(after/k), overlapLow, overlapCatchUp)
	}
	// A batch whose commit hook finished a checkpoint holds up the next
	// batch's callers for that long.
	var finishes int
	var finishTime, longestFinish time.Duration
	for _, bt := range bs {
		if d := bt.done.Sub(bt.answered); d > 2*time.Millisecond {
			finishes++
			finishTime += d
			longestFinish = max(longestFinish, d)
		}
	}
	if finishes > 0 {
		b.Logf("batches held over 2 ms after their COMMIT (the writer finishing a checkpoint): %d, %.1f ms each, longest %.1f ms",
			finishes, ms(finishTime/time.Duration(finishes)), ms(longestFinish))
	}
	describe("median batches", bs[len(bs)*40/100:len(bs)*60/100+1])
	describe("slowest 2 % of batches", bs[len(bs)*98/100:])
	var ckptTime, catchUpTime time.Duration
	var catchUps int
	for _, ct := range t.checkpoints {
		if ct.catchUp {
			catchUps++
			catchUpTime += ct.end.Sub(ct.start)
		} else {
			ckptTime += ct.end.Sub(ct.start)
		}
	}
	b.Logf("background checkpoints: %d at nice 19 (%.0f ms in all), %d catch-ups (%.0f ms)",
		len(t.checkpoints)-catchUps, ms(ckptTime), catchUps, ms(catchUpTime))
}

// overlaps tells whether a background checkpoint ran during bt, at low
// priority or as a catch-up.
func (t *benchTrace) overlaps(bt batchTiming) (low, catchUp bool) {
	for _, ct := range t.checkpoints {
		if ct.start.Before(bt.done) && ct.end.After(bt.start) {
			if ct.catchUp {
				catchUp = true
			} else {
				low = true
			}
		}
	}
	return low, catchUp
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// gcPauses is the process's stop-the-world pauses so far, from
// runtime/metrics' histogram (bucket bounds: longest is an upper bound).
type gcPauses struct {
	counts  []uint64
	buckets []float64
	count   uint64
	sum     time.Duration
	longest time.Duration
}

func readGCPauses() gcPauses {
	sample := []metrics.Sample{{Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return gcPauses{}
	}
	h := sample[0].Value.Float64Histogram()
	return gcPauses{counts: slices.Clone(h.Counts), buckets: h.Buckets}
}

func (p gcPauses) minus(before gcPauses) gcPauses {
	out := gcPauses{}
	if len(p.counts) != len(before.counts) {
		return out
	}
	for i, c := range p.counts {
		n := c - before.counts[i]
		if n == 0 {
			continue
		}
		hi := p.buckets[i+1]
		if hi > 1e9 { // the last bucket is unbounded
			hi = p.buckets[i]
		}
		out.count += n
		out.sum += time.Duration(float64(n) * hi * float64(time.Second))
		out.longest = max(out.longest, time.Duration(hi*float64(time.Second)))
	}
	return out
}
