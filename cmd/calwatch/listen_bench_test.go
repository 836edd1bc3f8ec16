package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"

	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// BenchmarkIngest measures the real `calwatch listen` binary taking
// deliveries shaped like a real account's (loadgen.Realistic: random UUID
// URIs, full payloads, people who come back, bookings, cancellations, both
// halves of reschedules, no-shows), each verified, applied and durably
// committed before its 200, over 16 and 64 connections, on an empty store.
// One op is one delivery; run it with a fixed count so every run sends the
// same load:
//
//	go test -run '^$' -bench 'Ingest$' -benchtime 20000x -count 5 ./cmd/calwatch/
//
// With taskset and two or more cores, the listener runs on core 0 and this
// process (the load generator) on core 1. Besides ns/op it reports
// deliveries/s (2xx answers per second), p50-ms and p99-ms latency, non-2xx
// answers, listener CPU per delivery and unstored (2xx answers missing from
// the delivery log afterwards, which must be 0).
func BenchmarkIngest(b *testing.B) {
	bin := calwatchBinary(b)
	prefix := pinToCores(b)
	for _, conns := range []int{16, 64} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			benchmarkIngest(b, bin, prefix, "", conns, func(runID string, n int) []loadgen.Delivery {
				return loadgen.Realistic(runID, n)
			})
		})
	}
}

// BenchmarkIngestPadded is the first benchmark's traffic (invitee.created
// only, sequential URIs, one padded 3 KB answer), kept to compare with
// the figures measured on it.
func BenchmarkIngestPadded(b *testing.B) {
	bin := calwatchBinary(b)
	prefix := pinToCores(b)
	benchmarkIngest(b, bin, prefix, "", 64, func(runID string, n int) []loadgen.Delivery {
		out := make([]loadgen.Delivery, n)
		for i := range out {
			out[i] = loadgen.InviteeCreated(runID, i, 3<<10)
		}
		return out
	})
}

// BenchmarkIngestGrown is BenchmarkIngest at 64 connections on a store that
// already holds a year of a busy account: it is first grown, untimed and
// once per process, to CALWATCH_BENCH_EVENTS scheduled events (default
// 100,000) by the same realistic stream, through the listener; every run
// starts from a copy of that store and times the stream's next deliveries.
func BenchmarkIngestGrown(b *testing.B) {
	bin := calwatchBinary(b)
	prefix := pinToCores(b)
	events := 100_000
	if v, err := strconv.Atoi(os.Getenv("CALWATCH_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	grown := growStore(b, bin, prefix, events)
	benchmarkIngest(b, bin, prefix, grown.dir, 64, func(_ string, n int) []loadgen.Delivery {
		return grown.stream.Take(n)
	})
}

// grownStore is a store grown by a realistic stream, and the rest of that
// stream.
type grownStore struct {
	dir    string // holds calwatch.db, checkpointed
	stream *loadgen.Workload
}

var (
	grownOnce sync.Once
	grown     grownStore
	grownErr  error
)

func growStore(b *testing.B, bin string, prefix []string, events int) grownStore {
	grownOnce.Do(func() {
		dir, err := os.MkdirTemp("", "calwatch-grown-")
		if err != nil {
			grownErr = err
			return
		}
		// The process outlives one benchmark's TempDir; -count runs share it.
		stream := loadgen.NewWorkload("grown", events/2)
		var growth []loadgen.Delivery
		for seen := map[string]bool{}; len(seen) < events; {
			for _, d := range stream.Take(1000) {
				growth = append(growth, d)
				if d.Event == calendly.EventInviteeCreated {
					seen[eventOf(d.InviteeURI)] = true
				}
			}
		}
		p := startListenProcess(b, bin, prefix, dir, benchSigningKey, "--rate-limit", "0")
		res, err := loadgen.Run(context.Background(), loadgen.Config{URL: p.state.WebhookURL, SigningKey: []byte(benchSigningKey), Connections: 64, Deliveries: growth})
		p.stop(b)
		if err == nil && res.OK != len(growth) {
			err = fmt.Errorf("growing the store: %s", res)
		}
		b.Logf("grew a store to %d events with %d deliveries (%s)", events, len(growth), res)
		grown, grownErr = grownStore{dir: dir, stream: stream}, err
	})
	if grownErr != nil {
		b.Fatal(grownErr)
	}
	return grown
}

// eventOf is the scheduled event URI an invitee URI lies under.
func eventOf(inviteeURI string) string {
	event, _, _ := strings.Cut(inviteeURI, "/invitees/")
	return event
}

const benchSigningKey = "bench-signing-key-0123456789"

// benchmarkIngest times b.N deliveries from build against a listener on a
// fresh home, or on a copy of the store in from when it is not "".
func benchmarkIngest(b *testing.B, bin string, prefix []string, from string, conns int, build func(runID string, n int) []loadgen.Delivery) {
	home := b.TempDir()
	if from != "" {
		copyFile(b, filepath.Join(from, "calwatch.db"), filepath.Join(home, "calwatch.db"))
	}
	p := startListenProcess(b, bin, prefix, home, benchSigningKey, "--rate-limit", "0")
	cfg := loadgen.Config{URL: p.state.WebhookURL, SigningKey: []byte(benchSigningKey), Connections: conns}

	warm := cfg // open the connections and warm the caches, untimed
	warm.Deliveries = loadgen.Realistic("warmup-"+loadgen.NewRunID(), 4*conns)
	if _, err := loadgen.Run(context.Background(), warm); err != nil {
		b.Fatal(err)
	}

	cfg.Deliveries = build(loadgen.NewRunID(), b.N)
	cpuBefore := processCPU(p.cmd.Process.Pid)
	b.ResetTimer()
	res, err := loadgen.Run(context.Background(), cfg)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	listenerCPU := processCPU(p.cmd.Process.Pid) - cpuBefore
	p.stop(b)
	missing := missingDeliveries(b, filepath.Join(home, "calwatch.db"), res.Accepted)

	b.ReportMetric(res.PerSecond(), "deliveries/s")
	b.ReportMetric(float64(res.Percentile(0.50))/float64(time.Millisecond), "p50-ms")
	b.ReportMetric(float64(res.Percentile(0.99))/float64(time.Millisecond), "p99-ms")
	b.ReportMetric(float64(b.N-res.OK), "non-2xx")
	b.ReportMetric(float64(len(missing)), "unstored")
	if listenerCPU > 0 {
		// CPU the listener spent per delivery: what it costs regardless
		// of what else the machine runs.
		b.ReportMetric(float64(listenerCPU)/float64(time.Microsecond)/float64(b.N), "listener-cpu-µs/op")
	}
	if len(missing) > 0 {
		b.Errorf("%d deliveries answered 2xx are not in the database", len(missing))
	}
	if res.Errors > 0 {
		b.Logf("%d requests got no answer, first: %v", res.Errors, res.FirstErr)
	}
}

// copyFile copies a checkpointed database file.
func copyFile(b *testing.B, from, to string) {
	src, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
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

// processCPU is the user+system CPU time pid has used, from /proc (0 when
// unavailable). The kernel counts it in clock ticks of 10 ms.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the ")" that ends the command name: state is field 3,
	// utime and stime are fields 14 and 15.
	rest := string(b[bytes.LastIndexByte(b, ')')+1:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	return time.Duration(utime+stime) * tick
}

// pinToCores pins this process (the load generator) to core 1 and returns
// the prefix that starts the listener on core 0. Without taskset or a
// second core it pins nothing and says so.
func pinToCores(b *testing.B) []string {
	if runtime.NumCPU() < 2 {
		b.Log("one core: listener and load generator share it")
		return nil
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		b.Log("no taskset: listener and load generator are not pinned")
		return nil
	}
	pid := strconv.Itoa(os.Getpid())
	if out, err := exec.Command(taskset, "-a", "-p", "-c", "1", pid).CombinedOutput(); err != nil {
		b.Logf("taskset could not pin the load generator (%v: %s); not pinned", err, out)
		return nil
	}
	b.Cleanup(func() {
		_ = exec.Command(taskset, "-a", "-p", "-c", fmt.Sprintf("0-%d", runtime.NumCPU()-1), pid).Run()
	})
	return []string{taskset, "-c", "0"}
}

// BenchmarkIngestInProcess is BenchmarkIngest with the listener in this
// process (handler, server and real store), for CPU profiles:
//
//	go test -run '^$' -bench IngestInProcess -benchtime 20000x -cpuprofile cpu.out ./cmd/calwatch/
func BenchmarkIngestInProcess(b *testing.B) {
	const key = "bench-signing-key"
	home := b.TempDir()
	a := &app{home: home}
	store, err := a.openStore(context.Background(), storage.ForIngest()) // as listen opens it
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	h, err := listener.NewHandler(listener.Config{SigningKey: []byte(key), Store: store})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- listener.NewServer(h, listener.Timeouts{}).Run(ctx, ln) }()
	defer func() { stop(); <-served }()

	cfg := loadgen.Config{URL: listener.LocalWebhookURL(ln.Addr(), listener.DefaultPath), SigningKey: []byte(key), Connections: 64, Total: b.N}
	b.ResetTimer()
	res, err := loadgen.Run(context.Background(), cfg)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.PerSecond(), "deliveries/s")
	b.ReportMetric(float64(res.Percentile(0.99))/float64(time.Millisecond), "p99-ms")
	b.ReportMetric(float64(b.N-res.OK), "non-2xx")
}
