//go:build !unix

package storage

import (
	"testing"
	"time"
)

// processCPU is not measured where there is no getrusage: the benchmark's
// cpu-µs/delivery then reads 0.
func processCPU(*testing.B) time.Duration { return 0 }

// processSystemCPU is not measured either.
func processSystemCPU(*testing.B) time.Duration { return 0 }

// processPageFaults is not measured either.
func processPageFaults(*testing.B) int64 { return 0 }
