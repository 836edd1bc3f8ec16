package home

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// The states of how Calendly reaches a running calwatch.
const (
	TunnelOnline       = "online"       // webhooks arrive at URL
	TunnelReconnecting = "reconnecting" // the tunnel dropped; Calendly retries meanwhile
	TunnelOffline      = "offline"      // the tunnel is down and not coming back by itself yet
	TunnelPolling      = "polling"      // no webhook can arrive: calwatch reads Calendly's API
	TunnelLocal        = "local"        // listening on this machine only
)

var tunnelStates = []string{TunnelOnline, TunnelReconnecting, TunnelOffline, TunnelPolling, TunnelLocal}

// TunnelStatus is how Calendly reaches the running calwatch now.
type TunnelStatus struct {
	State  string    `json:"state"`
	URL    string    `json:"url,omitempty"` // the webhook URL Calendly delivers to
	Since  time.Time `json:"since"`         // when State began
	Reason string    `json:"reason,omitempty"`
}

func (t *TunnelStatus) check() error {
	if !slices.Contains(tunnelStates, t.State) {
		return fmt.Errorf("its tunnel state %q is none of %v", t.State, tunnelStates)
	}
	return nil
}

// DefaultPublishGap is the least time between two writes of the state file
// by a StatePublisher: a flapping tunnel costs a write a second at most.
const DefaultPublishGap = time.Second

// StatePublisher keeps the state file of a running listener current as its
// tunnel and URL change: every write is atomic, writes are at least a gap
// apart, and the latest state is always written within one gap. A nil
// *StatePublisher does nothing, for a calwatch that holds no lock.
type StatePublisher struct {
	lock    *ListenerLock
	gap     time.Duration
	onError func(error)
	now     func() time.Time

	mu      sync.Mutex
	state   ListenerState
	written time.Time   // when the file was last written
	pending *time.Timer // a write owed, armed for when the gap has passed
	closed  bool
}

// Publisher writes s now and returns a StatePublisher for later changes;
// gap ≤ 0 means DefaultPublishGap. onError hears of writes that fail after
// this first one (nil: they are dropped; the next change tries again).
func (l *ListenerLock) Publisher(s ListenerState, gap time.Duration, onError func(error)) (*StatePublisher, error) {
	if gap <= 0 {
		gap = DefaultPublishGap
	}
	if onError == nil {
		onError = func(error) {}
	}
	p := &StatePublisher{lock: l, gap: gap, onError: onError, now: time.Now, state: s}
	if err := l.Publish(s); err != nil {
		return nil, err
	}
	p.written = p.now()
	return p, nil
}

// Update changes the published state with change, and writes it now, or
// once the gap since the last write has passed.
func (p *StatePublisher) Update(change func(*ListenerState)) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	change(&p.state)
	if p.pending != nil {
		return // the write owed will carry this change
	}
	if wait := p.gap - p.now().Sub(p.written); wait > 0 {
		p.pending = time.AfterFunc(wait, p.flush)
		return
	}
	p.writeLocked()
}

// SetTunnel publishes the tunnel's state. Since is kept while the state
// stays the same, and the URL while an event does not name one (a tunnel
// reconnecting is still reached at the URL it had).
func (p *StatePublisher) SetTunnel(t TunnelStatus) {
	p.Update(func(s *ListenerState) {
		old := s.Tunnel
		if old != nil && old.State == t.State {
			t.Since = old.Since
		} else if t.Since.IsZero() {
			t.Since = time.Now().UTC()
		}
		if t.URL == "" && old != nil && t.State != TunnelPolling {
			t.URL = old.URL
		}
		s.Tunnel = &t
	})
}

// Close writes what is owed and stops publishing.
func (p *StatePublisher) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pending != nil {
		p.pending.Stop() // a flush already under way finds it closed
		p.writeLocked()
	}
	p.closed = true
}

func (p *StatePublisher) flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.writeLocked()
	}
}

func (p *StatePublisher) writeLocked() {
	p.pending = nil
	p.written = p.now()
	if err := p.lock.Publish(p.state); err != nil {
		p.onError(err)
	}
}
