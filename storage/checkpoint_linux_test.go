package storage

import (
	"syscall"
	"testing"
)

// TestCheckpointThreadYieldsToTheWriter: the goroutine that checkpoints
// runs at nice 19 on a thread of its own (locked to it, so no other
// goroutine runs at that priority).
func TestCheckpointThreadYieldsToTheWriter(t *testing.T) {
	type prio struct {
		raw int
		err error
	}
	got := make(chan prio, 1)
	go func() {
		err := yieldToTheWriter()
		if err == nil {
			raw, gerr := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
			got <- prio{raw, gerr} // ends locked: its thread ends too
			return
		}
		got <- prio{err: err}
	}()
	p := <-got
	if p.err != nil {
		t.Fatal(p.err)
	}
	// The raw syscall returns 20 - nice.
	if nice := 20 - p.raw; nice != 19 {
		t.Errorf("the checkpoint thread runs at nice %d, want 19", nice)
	}
}
