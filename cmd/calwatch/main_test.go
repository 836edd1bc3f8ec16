package main

import (
	"os"
	"testing"
)

// TestMain removes what benchmarks keep for the whole process (the grown
// store that BenchmarkIngestGrown's runs copy).
func TestMain(m *testing.M) {
	code := m.Run()
	if grown.dir != "" {
		_ = os.RemoveAll(grown.dir)
	}
	os.Exit(code)
}
