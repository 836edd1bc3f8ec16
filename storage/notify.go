package storage

import "sync"

// subscribers are the channels told "something changed" after each commit.
type subscribers struct {
	mu     sync.Mutex
	chans  map[chan struct{}]struct{}
	closed bool
}

// Subscribe returns a channel that receives a value after writes commit
// (several commits may fold into one value: it says "re-read", not what
// changed) and a function that ends the subscription. The channel is closed
// when the subscription ends or the store closes.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	return s.subs.add()
}

func (s *subscribers) add() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		close(ch)
		return ch, func() {}
	}
	if s.chans == nil {
		s.chans = make(map[chan struct{}]struct{})
	}
	s.chans[ch] = struct{}{}
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.chans[ch]; ok {
			delete(s.chans, ch)
			close(ch)
		}
	}
}

// notify never blocks: a subscriber that has not read yet already has a
// pending value.
func (s *subscribers) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.chans {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

func (s *subscribers) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for ch := range s.chans {
		close(ch)
	}
	s.chans = nil
}
