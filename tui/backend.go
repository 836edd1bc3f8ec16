// Package tui is calwatch's terminal interface: one root Bubble Tea model
// that owns the loop and routes keys, and plain panes (calendar, day,
// contacts, live feed, inspector, booking detail, status bar, help) that
// render strings at the size they are given. The panes read the store
// through Reader, a handful of screen-sized queries, and learn that
// something changed from a Backend's event stream; they never load a table,
// and no I/O happens in Update, only in Cmds.
package tui

import (
	"context"
	"sync"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// Reader is what the panes read; *storage.Panes implements it.
type Reader interface {
	DayCounts(ctx context.Context, from, to time.Time, loc *time.Location) ([]storage.DayCount, error)
	Bookings(ctx context.Context, from, to time.Time) ([]storage.BookingRow, error)
	Event(ctx context.Context, uri string) (storage.EventDetail, error)
	Contacts(ctx context.Context, q storage.ContactPage) ([]storage.ContactView, error)
	CountContacts(ctx context.Context, search string) (int, error)
	ContactActivity(ctx context.Context, q storage.ActivityPage) ([]storage.ActivityRow, error)
	PersonSummary(ctx context.Context, email string, since, now time.Time) (storage.PersonSummary, error)
	DeliveriesAfter(ctx context.Context, afterID int64, limit int) ([]storage.FeedRow, error)
	DeliveriesBefore(ctx context.Context, beforeID int64, limit int) ([]storage.FeedRow, error)
	Delivery(ctx context.Context, id int64) (storage.DeliveryRecord, error)
}

// Backend is what the TUI runs over: the store's read side, a stream of
// typed events, and how it is connected. A session (login, tunnel,
// subscription, backfill) implements it later; Offline and Local are the
// two this package brings.
type Backend interface {
	Reader() Reader
	// Events delivers what happens, in order; nil or closed when nothing
	// more will. The TUI reads one event at a time and never blocks the
	// sender: implementations buffer or fold (see Hub).
	Events() <-chan Event
	// Connection says how calwatch is reached, for the status bar.
	Connection() Connection
}

// Connection describes how deliveries reach this calwatch.
type Connection struct {
	Mode       Mode
	WebhookURL string // where deliveries are accepted; "" offline
	Database   string // the database file, shown offline
	KeySet     bool   // a signing key is configured
	Demo       bool   // the built-in emulator stands in for Calendly
	Account    string // who is logged in, "Avery Emulator · Acme"; "" none
}

// Mode is how the TUI is connected.
type Mode int

// The modes.
const (
	ModeOffline Mode = iota // reading the store, no listener
	ModeLocal               // calwatch's own listener, no tunnel, no account
	ModeLive                // a session with a tunnel (later)
)

// Event is something the backend reports. The TUI re-reads what it shows;
// events carry state for the status bar, never the data itself.
type Event interface{ isEvent() }

// StoreChanged says the store committed something: re-read.
type StoreChanged struct{}

// DeliveryCommitted says the listener answered and stored one delivery.
type DeliveryCommitted struct{ Record storage.DeliveryRecord }

// TunnelState is the tunnel's state as a session reports it.
type TunnelState struct {
	State string // online, reconnecting, offline, polling
	URL   string
	Err   string // why it is not online, in one line
}

// Subscription is calwatch's webhook subscription as a session reports it,
// for the status details (i).
type Subscription struct {
	State  string   // active, polling (no webhook can reach calwatch); "" none yet
	URI    string   // the subscription's URI at Calendly
	Events []string // the events it delivers
	Scope  string   // user or organization
}

// BackfillProgress reports a backfill or catch-up under way.
type BackfillProgress struct{ Done, Total int }

// BackendError is a failure the backend wants the user to see.
type BackendError struct{ Err error }

func (StoreChanged) isEvent()      {}
func (DeliveryCommitted) isEvent() {}
func (TunnelState) isEvent()       {}
func (BackfillProgress) isEvent()  {}
func (BackendError) isEvent()      {}
func (Subscription) isEvent()      {}

// Hub is a Backend whose events are published by the code around it (the
// listener's OnRecord, a poller). Publish never blocks: when the TUI lags,
// further store notifications fold into one StoreChanged, which is enough
// because the panes re-read after any of them; a state report (tunnel,
// subscription, backfill progress) that finds no room is kept, the latest
// of each kind. What is owed so is sent, in order, as soon as the TUI makes
// room, so the status bar never keeps a state that has passed (a
// backfill's 203/250) even when nothing is published after it. A
// notification published while the owed StoreChanged is on its way is
// owed again: the first may reach the TUI before that commit.
type Hub struct {
	reader  Reader
	conn    Connection
	events  chan Event
	mu      sync.Mutex
	closed  bool
	owed    []Event // found no room, oldest first: state reports and at most one StoreChanged
	sending bool    // a goroutine is sending what is owed
	stop    chan struct{}
	sender  sync.WaitGroup
}

// NewHub returns a Hub over reader.
func NewHub(reader Reader, conn Connection) *Hub {
	return &Hub{reader: reader, conn: conn, events: make(chan Event, 64), stop: make(chan struct{})}
}

// Reader implements Backend.
func (h *Hub) Reader() Reader { return h.reader }

// Events implements Backend.
func (h *Hub) Events() <-chan Event { return h.events }

// Connection implements Backend.
func (h *Hub) Connection() Connection { return h.conn }

// Publish hands ev to the TUI without blocking, after what is owed. What
// finds no room is owed: a state report replaces the one of its kind owed
// before; anything else is owed as a StoreChanged.
func (h *Hub) Publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	if !h.sending {
		select {
		case h.events <- ev:
			return
		default:
		}
	}
	h.owe(ev)
	if !h.sending {
		h.sending = true
		h.sender.Add(1)
		go h.sendOwed()
	}
}

// sendOwed sends what is owed, oldest first, waiting for room, until
// nothing is owed or the hub closes.
func (h *Hub) sendOwed() {
	defer h.sender.Done()
	for {
		h.mu.Lock()
		if h.closed || len(h.owed) == 0 {
			h.sending = false
			h.mu.Unlock()
			return
		}
		ev := h.owed[0]
		h.owed = h.owed[1:]
		h.mu.Unlock()
		select {
		case h.events <- ev:
		case <-h.stop:
			return
		}
	}
}

// owe adds ev to what is owed, latest state of each kind only.
func (h *Hub) owe(ev Event) {
	if owedKind(ev) == 0 {
		ev = StoreChanged{}
	}
	for i, o := range h.owed {
		if owedKind(o) == owedKind(ev) {
			if _, ok := ev.(StoreChanged); ok {
				return // one owed re-read is enough
			}
			h.owed = append(h.owed[:i:i], h.owed[i+1:]...)
			break
		}
	}
	h.owed = append(h.owed, ev)
}

// owedKind tells apart the events a Hub owes by kind: the state reports
// and StoreChanged (0: any other event, owed as a StoreChanged).
func owedKind(ev Event) int {
	switch ev.(type) {
	case StoreChanged:
		return 1
	case TunnelState:
		return 2
	case Subscription:
		return 3
	case BackfillProgress:
		return 4
	}
	return 0
}

// Close ends the stream; what is still owed is dropped.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	close(h.stop)
	h.sender.Wait()
	close(h.events)
}

// WatchStore publishes a StoreChanged after every commit the store
// reports, until ctx ends or the store closes. It is the in-process
// backend's notification path.
func (h *Hub) WatchStore(ctx context.Context, changes <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changes:
			if !ok {
				return
			}
			h.Publish(StoreChanged{})
		}
	}
}

// DataVersioner reports a number that changes when another connection
// commits; *storage.Panes implements it.
type DataVersioner interface {
	DataVersion(ctx context.Context) (int64, error)
}

// PollDataVersion publishes a StoreChanged whenever v's data version moves,
// checking every interval until ctx ends: how an --offline TUI notices a
// headless `calwatch listen` writing the same database.
func (h *Hub) PollDataVersion(ctx context.Context, v DataVersioner, interval time.Duration) {
	last, err := v.DataVersion(ctx)
	if err != nil {
		h.Publish(BackendError{err})
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := v.DataVersion(ctx)
		if err != nil {
			if ctx.Err() == nil {
				h.Publish(BackendError{err})
			}
			continue
		}
		if now != last {
			last = now
			h.Publish(StoreChanged{})
		}
	}
}
