package tunnel

import "sync"

// Emitter hands a tunnel's events to one reader without ever blocking the
// tunnel: when the buffer is full, the oldest waiting event is dropped to
// make room for the newest, so a reader that catches up always ends on the
// current state. Implementations of Tunnel outside this package use it.
type Emitter struct {
	mu      sync.Mutex
	ch      chan Event
	closed  bool
	dropped int
}

// NewEmitter returns an Emitter that holds up to size unread events
// (at least 1).
func NewEmitter(size int) *Emitter {
	return &Emitter{ch: make(chan Event, max(size, 1))}
}

// C is the channel the reader receives from; Close closes it.
func (e *Emitter) C() <-chan Event { return e.ch }

// Emit queues ev without blocking; after Close it does nothing.
func (e *Emitter) Emit(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	for {
		select {
		case e.ch <- ev:
			return
		default:
		}
		// Full: drop the oldest. The reader may have taken it meanwhile,
		// in which case the next send finds room.
		select {
		case <-e.ch:
			e.dropped++
		default:
		}
	}
}

// Dropped is how many events were dropped because nobody read them.
func (e *Emitter) Dropped() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

// Close closes the channel once the events still queued are read. It is
// safe to call more than once.
func (e *Emitter) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.closed = true
		close(e.ch)
	}
}
