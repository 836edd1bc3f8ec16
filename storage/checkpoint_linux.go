package storage

import (
	"runtime"
	"syscall"
)

// yieldToTheWriter runs the calling goroutine on its own OS thread for
// good, at the lowest CPU priority (nice 19), so that on a busy core (the
// listener runs pinned to one) a background checkpoint takes the CPU the
// writer leaves, rather than half of it. The goroutine must end while still
// locked: its thread then ends with it instead of going back to Go's pool
// with that priority.
func yieldToTheWriter() error {
	runtime.LockOSThread()
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
}
