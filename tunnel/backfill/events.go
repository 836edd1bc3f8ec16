package backfill

import (
	"fmt"
	"time"
)

// Kind says which sort of sync ran.
type Kind string

// The sorts of sync: the first one for a listing key (no cursor yet), one
// on start or reconnect with a cursor, and one round of polling.
const (
	KindBackfill Kind = "backfill"
	KindCatchUp  Kind = "catch-up"
	KindPoll     Kind = "poll"
)

// Event is what a sync reports while it runs: Started, Progress,
// RateLimited, Finished. Events are for showing (the TUI draws a bar);
// Run's result is the authority.
type Event interface{ isEvent() }

// Started: a sync began listing events that start at or after Since.
type Started struct {
	Kind  Kind
	Since time.Time
}

// Progress: Listed events were read from the list so far (ListingDone when
// the last page is in); Queued of them needed their invitees read, Done of
// those are in the store. A bar is Done / Queued once ListingDone.
type Progress struct {
	Kind        Kind
	Listed      int
	Queued      int
	Done        int
	ListingDone bool
}

// RateLimited: Calendly's rate limit is used up; every request waits until
// Until.
type RateLimited struct {
	Until time.Time
	Wait  time.Duration
}

// Finished: the sync ended; Err is nil when it completed.
type Finished struct {
	Kind  Kind
	Stats Stats
	Err   error
}

// The String methods are the one-line progress a terminal shows. A
// Finished error may quote Calendly: pass it through safetext.Line first.

func (e Started) String() string {
	return fmt.Sprintf("%s: listing Calendly events from %s", e.Kind, e.Since.Local().Format("2006-01-02"))
}

func (e Progress) String() string {
	listing := "listing…"
	if e.ListingDone {
		listing = "listed"
	}
	return fmt.Sprintf("%s: %d events %s, invitees read for %d of %d", e.Kind, e.Listed, listing, e.Done, e.Queued)
}

func (e RateLimited) String() string {
	return fmt.Sprintf("Calendly's rate limit is used up; waiting %s (until %s)", e.Wait.Round(time.Second), e.Until.Local().Format("15:04:05"))
}

func (e Finished) String() string {
	if e.Err != nil {
		return fmt.Sprintf("%s failed: %v", e.Kind, e.Err)
	}
	return fmt.Sprintf("%s done: %d events listed, %d read, %d invitees in %s", e.Kind, e.Stats.EventsListed, e.Stats.EventsRead, e.Stats.InviteesRead, e.Stats.Took.Round(time.Millisecond))
}

func (Started) isEvent()     {}
func (Progress) isEvent()    {}
func (RateLimited) isEvent() {}
func (Finished) isEvent()    {}

// Stats count what one sync did.
type Stats struct {
	EventsListed   int           // events the list returned
	EventsRead     int           // events whose invitees were read and applied
	InviteesRead   int           // invitees applied
	RateLimitWaits int           // times every request paused for the rate limit
	Took           time.Duration // from start to end
}

// reporter sends events on a channel without ever blocking the sync: when
// the reader lags and the buffer is full, the oldest waiting event is
// dropped for the newest, so the reader always ends on the latest state.
type reporter struct {
	ch chan Event
}

func (r reporter) emit(e Event) {
	if r.ch == nil {
		return
	}
	for range 2 {
		select {
		case r.ch <- e:
			return
		default:
		}
		select { // full: make room by dropping the oldest
		case <-r.ch:
		default:
		}
	}
}
