package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/tunnel/listener"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// BenchmarkIngest measures the real `calwatch listen` binary taking
// distinct signed 3 KB invitee.created deliveries, each verified, applied
// and durably committed before its 200, over 16 and 64 connections. One
// op is one delivery; run it with a fixed count so every run sends the
// same load:
//
//	go test -run '^$' -bench Ingest -benchtime 20000x -count 5 ./cmd/calwatch/
//
// With taskset and two or more cores, the listener runs on core 0 and this
// process (the load generator) on core 1. Besides ns/op it reports
// deliveries/s (2xx answers per second), p50-ms and p99-ms latency, non-2xx
// answers and unstored (2xx answers missing from the database afterwards,
// which must be 0).
func BenchmarkIngest(b *testing.B) {
	bin := calwatchBinary(b)
	prefix := pinToCores(b)
	for _, conns := range []int{16, 64} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) { benchmarkIngest(b, bin, prefix, conns) })
	}
}

func benchmarkIngest(b *testing.B, bin string, prefix []string, conns int) {
	const key = "bench-signing-key"
	home := b.TempDir()
	p := startListenProcess(b, bin, prefix, home, key, "--rate-limit", "0")
	cfg := loadgen.Config{URL: p.state.WebhookURL, SigningKey: []byte(key), Connections: conns, BodySize: 3 << 10}

	warm := cfg // open the connections and warm the caches, untimed
	warm.Total, warm.RunID = 4*conns, "warmup"
	if _, err := loadgen.Run(context.Background(), warm); err != nil {
		b.Fatal(err)
	}

	cfg.Total = b.N
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
	store, err := a.openStore(context.Background())
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
