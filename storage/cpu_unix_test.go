//go:build unix

package storage

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the user and system CPU time the test process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processSystemCPU is the part of processCPU spent in the kernel (write,
// read and fsync calls, page faults).
func processSystemCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Stime.Nano())
}

// processPageFaults is how many page faults the process has taken that
// needed no disk read: with a memory-mapped database, the first touch of
// each page (and the pages around it) in the mapping.
func processPageFaults(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Minflt
}
