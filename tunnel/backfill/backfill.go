// Package backfill keeps the store in step with Calendly by reading its API:
// the first backfill of a window of scheduled events, a catch-up on every
// start and reconnect from the sync cursor kept in storage, and polling
// (the same catch-up on an interval) when no webhook can reach calwatch.
//
// Calendly's event list has no "updated since" filter, so a sync lists by
// start time from Since (both statuses, no upper bound) and reads the
// invitees only of events that are new to the store, whose updated_at or
// invitee counts moved, or that ended recently enough for a no-show to have
// been marked or removed since (no-shows may not move updated_at). Invitee
// reads run with bounded concurrency behind one shared rate-limit gate;
// what is read is applied through storage's snapshot rules, the same as
// deliveries.
package backfill

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// Store is what a sync needs of storage.
type Store interface {
	ApplySnapshot(ctx context.Context, snap storage.Snapshot) error
	EventSyncStates(ctx context.Context, uris []string) (map[string]storage.EventSyncState, error)
	SyncCursor(ctx context.Context, owner string) (storage.SyncCursor, error)
	SaveSyncCursor(ctx context.Context, c storage.SyncCursor) error
}

// Defaults for Options.
const (
	DefaultWindow       = 30 * 24 * time.Hour
	DefaultConcurrency  = 4
	DefaultNoShowWindow = 7 * 24 * time.Hour
	DefaultPollInterval = 60 * time.Second
)

// maxPendingApplies bounds the snapshots read but not yet stored: enough
// for the store to commit them in shared batches.
const maxPendingApplies = 64

// noShowSweepInterval is how often polling re-reads recent meetings for
// no-shows (a catch-up on start or reconnect always does).
const noShowSweepInterval = 15 * time.Minute

// Options say whose events to sync and how.
type Options struct {
	// User or Organization is the URI whose scheduled events are listed
	// (Organization for an organization-scope subscription). One is needed.
	User, Organization string
	// Since is the earliest start time listed (default DefaultWindow ago).
	Since time.Time
	// Concurrency bounds the events whose invitees are read at once.
	Concurrency int
	// NoShowWindow: invitees of events that ended this recently (or during
	// the time since the last sync) are read again (default 7 days).
	NoShowWindow time.Duration
	// Events receives progress. Sends never block: give it a buffer; when
	// it is full the oldest unread event is dropped for the newest, so the
	// reader always catches up to the latest state. Optional.
	Events chan Event
	// Now and Sleep are the clock (default: the real one).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Syncer runs syncs for one account. It is safe for concurrent use, but
// syncs of one Syncer are serialised.
type Syncer struct {
	client *calendly.Client
	store  Store
	opts   Options
	owner  string
	gate   *rateGate
	report reporter
	run    sync.Mutex // held by a sync; guards lastSweep
	// lastSweep is when the last completed sync re-read recent meetings.
	lastSweep time.Time
}

// New checks opts and returns a Syncer.
func New(client *calendly.Client, store Store, opts Options) (*Syncer, error) {
	switch {
	case client == nil || store == nil:
		return nil, errors.New("backfill: a Calendly client and a store are needed")
	case opts.User == "" && opts.Organization == "":
		return nil, errors.New("backfill: the user or organization URI whose events to sync is needed (from /users/me)")
	case opts.Concurrency < 0 || opts.NoShowWindow < 0:
		return nil, errors.New("backfill: concurrency and the no-show window must not be negative")
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.NoShowWindow == 0 {
		opts.NoShowWindow = DefaultNoShowWindow
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepContext
	}
	s := &Syncer{client: client, store: store, opts: opts, owner: opts.User}
	if opts.Organization != "" {
		s.owner = opts.Organization
	}
	s.report = reporter{ch: opts.Events}
	s.gate = &rateGate{now: opts.Now, sleep: opts.Sleep, onPause: func(until time.Time, wait time.Duration) {
		s.report.emit(RateLimited{Until: until, Wait: wait})
	}}
	return s, nil
}

// Run syncs once: a backfill when no sync has completed for this account,
// a catch-up from the cursor otherwise. On success the cursor moves to when
// this sync started.
func (s *Syncer) Run(ctx context.Context) (Stats, error) {
	return s.runKind(ctx, "")
}

// Poll runs a sync now and then every interval (DefaultPollInterval when 0)
// until ctx ends, which is not an error. A failed round is reported as a
// Finished event with its error and retried at the next tick.
func (s *Syncer) Poll(ctx context.Context, interval time.Duration) error {
	if interval < 0 {
		return errors.New("backfill: the poll interval must not be negative")
	}
	if interval == 0 {
		interval = DefaultPollInterval
	}
	for {
		_, _ = s.runKind(ctx, KindPoll)
		if err := s.opts.Sleep(ctx, interval); err != nil {
			return nil
		}
	}
}

// job is an event whose invitees must be read.
type job struct {
	event calendly.ScheduledEvent
}

func (s *Syncer) runKind(ctx context.Context, kind Kind) (stats Stats, err error) {
	s.run.Lock()
	defer s.run.Unlock()
	started := s.opts.Now()
	waitsBefore := s.gate.pauses()
	cursor, cerr := s.store.SyncCursor(ctx, s.owner)
	hasCursor := cerr == nil
	if cerr != nil && !errors.Is(cerr, storage.ErrNotFound) {
		return stats, fmt.Errorf("backfill: %w", cerr)
	}
	if kind == "" {
		kind = KindCatchUp
		if !hasCursor {
			kind = KindBackfill
		}
	}
	since := s.opts.Since
	if since.IsZero() {
		since = started.Add(-DefaultWindow)
	}
	// No-shows marked or removed since the last sync may belong to
	// meetings that ended up to NoShowWindow before it. Every start and
	// reconnect sweeps them; polling only every noShowSweepInterval, so a
	// poll each minute does not re-read a week of meetings each minute.
	sweep := kind != KindPoll || started.Sub(s.lastSweep) >= noShowSweepInterval
	noShowFrom := started.Add(-s.opts.NoShowWindow)
	if hasCursor && cursor.LastStartedAt.Add(-s.opts.NoShowWindow).Before(noShowFrom) {
		noShowFrom = cursor.LastStartedAt.Add(-s.opts.NoShowWindow)
	}
	if !sweep {
		noShowFrom = time.Time{}
	}
	s.report.emit(Started{Kind: kind, Since: since})
	defer func() {
		stats.RateLimitWaits = s.gate.pauses() - waitsBefore
		stats.Took = s.opts.Now().Sub(started)
		s.report.emit(Finished{Kind: kind, Stats: stats, Err: err})
	}()

	var mu sync.Mutex // guards progress and stats
	progress := Progress{Kind: kind}
	update := func(fn func()) {
		mu.Lock()
		fn()
		p := progress
		mu.Unlock()
		s.report.emit(p)
	}

	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan job)
	g.Go(func() error {
		defer close(jobs)
		err := s.list(gctx, since, started, noShowFrom, jobs, func(listed, queued int) {
			update(func() {
				progress.Listed += listed
				progress.Queued += queued
				stats.EventsListed += listed
			})
		})
		if err == nil {
			update(func() { progress.ListingDone = true })
		}
		return err
	})
	// Readers wait on Calendly; what they read is applied apart, many at
	// once, so the store's group commit writes them in shared transactions.
	applying := make(chan struct{}, maxPendingApplies)
	for range s.opts.Concurrency {
		g.Go(func() error {
			for j := range jobs {
				snap, err := s.readEvent(gctx, j.event)
				if err != nil {
					return err
				}
				select {
				case applying <- struct{}{}:
				case <-gctx.Done():
					return gctx.Err()
				}
				g.Go(func() error {
					defer func() { <-applying }()
					if err := s.store.ApplySnapshot(gctx, snap); err != nil {
						return fmt.Errorf("backfill: storing %s: %w", snap.Event.URI, err)
					}
					update(func() {
						progress.Done++
						stats.EventsRead++
						stats.InviteesRead += len(snap.Invitees)
					})
					return nil
				})
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return stats, err
	}
	if sweep {
		s.lastSweep = started
	}
	err = s.store.SaveSyncCursor(ctx, storage.SyncCursor{
		Owner: s.owner, WindowStart: since, LastStartedAt: started,
		LastCompletedAt: s.opts.Now(), EventsListed: stats.EventsListed,
	})
	if err != nil {
		return stats, fmt.Errorf("backfill: %w", err)
	}
	return stats, nil
}

// list pages through the events starting at or after since and queues
// those whose invitees must be read.
func (s *Syncer) list(ctx context.Context, since, now, noShowFrom time.Time, jobs chan<- job, counted func(listed, queued int)) error {
	opts := calendly.ListScheduledEventsOptions{
		User: s.opts.User, Organization: s.opts.Organization, MinStartTime: since,
		Sort: "start_time:asc", ListOptions: calendly.ListOptions{Count: calendly.MaxPageSize},
	}
	if opts.Organization != "" {
		opts.User = ""
	}
	seenTokens := map[string]bool{}
	for {
		var page []calendly.ScheduledEvent
		var resp *calendly.Response
		err := s.gate.call(ctx, func() (r *calendly.Response, err error) {
			page, resp, err = s.client.ScheduledEvents.List(ctx, opts)
			return resp, err
		})
		if err != nil {
			return fmt.Errorf("backfill: listing scheduled events: %w", err)
		}
		uris := make([]string, len(page))
		for i, ev := range page {
			uris[i] = ev.URI
		}
		stored, err := s.store.EventSyncStates(ctx, uris)
		if err != nil {
			return fmt.Errorf("backfill: %w", err)
		}
		var needed []calendly.ScheduledEvent
		for _, ev := range page {
			if st, known := stored[ev.URI]; needsInvitees(ev, st, known, now, noShowFrom) {
				needed = append(needed, ev)
			}
		}
		counted(len(page), len(needed))
		for _, ev := range needed {
			select {
			case jobs <- job{event: ev}:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if resp.NextPageToken == "" {
			return nil
		}
		if seenTokens[resp.NextPageToken] {
			return errors.New("backfill: Calendly returned a page token it had already given; stopping instead of looping")
		}
		seenTokens[resp.NextPageToken] = true
		opts.PageToken = resp.NextPageToken
	}
}

// needsInvitees says whether an event's invitees must be read: it is new
// to the store, it changed (updated_at or its invitee counts moved), or it
// is a meeting that ended (or is running) recently enough for a no-show
// to have changed without moving updated_at (a zero noShowFrom: not
// looked for in this sync).
func needsInvitees(ev calendly.ScheduledEvent, st storage.EventSyncState, known bool, now, noShowFrom time.Time) bool {
	switch {
	case !known, !st.UpdatedAt.Equal(ev.UpdatedAt.Time):
		return true
	case st.Invitees != ev.InviteesCounter.Total, st.ActiveInvitees != ev.InviteesCounter.Active:
		return true
	}
	return !noShowFrom.IsZero() && !ev.StartTime.After(now) && !ev.EndTime.Before(noShowFrom)
}

// readEvent reads every invitee of ev, as a snapshot to apply.
func (s *Syncer) readEvent(ctx context.Context, ev calendly.ScheduledEvent) (storage.Snapshot, error) {
	readAt := s.opts.Now() // before the first request: see storage.Snapshot
	var invitees []calendly.Invitee
	opts := calendly.ListInviteesOptions{ListOptions: calendly.ListOptions{Count: calendly.MaxPageSize}}
	seenTokens := map[string]bool{}
	for {
		var page []calendly.Invitee
		var resp *calendly.Response
		err := s.gate.call(ctx, func() (r *calendly.Response, err error) {
			page, resp, err = s.client.Invitees.List(ctx, ev.URI, opts)
			return resp, err
		})
		if err != nil {
			return storage.Snapshot{}, fmt.Errorf("backfill: reading the invitees of %s: %w", ev.URI, err)
		}
		invitees = append(invitees, page...)
		if resp.NextPageToken == "" {
			break
		}
		if seenTokens[resp.NextPageToken] {
			return storage.Snapshot{}, fmt.Errorf("backfill: Calendly repeated a page token for the invitees of %s; stopping instead of looping", ev.URI)
		}
		seenTokens[resp.NextPageToken] = true
		opts.PageToken = resp.NextPageToken
	}
	return storage.Snapshot{Event: ev, Invitees: invitees, ReadAt: readAt}, nil
}

var _ Store = (*storage.Store)(nil)
