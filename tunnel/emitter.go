package tunnel

import "sync"

// Emitter hands events to one reader without ever blocking the sender:
// when the buffer is full, the oldest waiting event is dropped to make room
// for the newest, so a reader that catches up always ends on the current
// state. Tunnels report through it (implementations outside this package
// too), and so does the session.
type Emitter[E any] struct {
	mu      sync.Mutex
	ch      chan E
	closed  bool
	dropped int
}

// NewEmitter returns an Emitter that holds up to size unread events
// (at least 1).
func NewEmitter[E any](size int) *Emitter[E] {
	return &Emitter[E]{ch: make(chan E, max(size, 1))}
}

// C is the channel the reader receives from; Close closes it.
func (e *Emitter[E]) C() <-chan E { return e.ch }

// Emit queues ev without blocking; after Close it does nothing.
func (e *Emitter[E]) Emit(ev E) {
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
func (e *Emitter[E]) Dropped() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

// Close closes the channel once the events still queued are read. It is
// safe to call more than once.
func (e *Emitter[E]) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.closed {
		e.closed = true
		close(e.ch)
	}
}
