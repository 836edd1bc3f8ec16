package storage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// markedNoShow returns inv as Calendly shows it once marked a no-show at at.
func markedNoShow(inv *calendly.Invitee, id string, at time.Time) *calendly.Invitee {
	m := *inv
	m.NoShow = &calendly.NoShowRef{URI: "https://api.calendly.com/invitee_no_shows/ns-" + id, CreatedAt: calendly.NewTime(at)}
	return &m
}

func noShowOf(t *testing.T, s *Store, inviteeURI string) bool {
	t.Helper()
	for _, ev := range mustEvents(t, s, EventFilter{}) {
		for _, inv := range ev.Invitees {
			if inv.URI == inviteeURI {
				return inv.NoShow
			}
		}
	}
	t.Fatalf("invitee %s is not stored", inviteeURI)
	return false
}

// TestSnapshotClearsAMissedNoShowRemoval: the removal's delivery never came
// (calwatch was down); a snapshot read after it shows no no-show and clears
// the mark, without a history row for a removal it did not see happen.
func TestSnapshotClearsAMissedNoShowRemoval(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("1", testT0, 1)
	inv := newInvitee(ev, "1", "ann@example.com", "Ann", testT0)
	markAt := testT0.Add(25 * time.Hour)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeNoShowCreated, markAt, markedNoShow(inv, "1", markAt), ev), markAt))
	if !noShowOf(t, s, inv.URI) {
		t.Fatal("the mark delivery did not mark the no-show")
	}
	if err := s.ApplySnapshot(ctx, Snapshot{Event: *ev, Invitees: []calendly.Invitee{*inv}, ReadAt: markAt.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if noShowOf(t, s, inv.URI) {
		t.Error("a snapshot read after the removal left the no-show marked")
	}
	c := mustContact(t, s, "ann@example.com")
	if c.NoShows != 0 {
		t.Errorf("contact no-shows = %d, want 0", c.NoShows)
	}
	for _, a := range c.Activity {
		if a.Kind == KindNoShowRemoved {
			t.Errorf("the snapshot invented a removal at %v", a.At)
		}
	}
}

// TestOlderSnapshotDoesNotUndoANewerMark: a snapshot read before the mark
// (applied after it, as a slow backfill does) leaves the mark alone, also
// when the two carry the same instant.
func TestOlderSnapshotDoesNotUndoANewerMark(t *testing.T) {
	for _, readBefore := range []time.Duration{time.Minute, 0} {
		s := openTestStore(t)
		ev := newEvent("1", testT0, 1)
		inv := newInvitee(ev, "1", "ann@example.com", "Ann", testT0)
		markAt := testT0.Add(25 * time.Hour)
		record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeNoShowCreated, markAt, markedNoShow(inv, "1", markAt), ev), markAt))
		snap := Snapshot{Event: *ev, Invitees: []calendly.Invitee{*inv}, ReadAt: markAt.Add(-readBefore)}
		if err := s.ApplySnapshot(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
		if !noShowOf(t, s, inv.URI) {
			t.Errorf("a snapshot read %v before the mark cleared it", readBefore)
		}
	}
}

// TestSnapshotWithoutReadAtSaysNothingAboutNoShows keeps the old meaning of
// ApplyScheduledEvent.
func TestSnapshotWithoutReadAtSaysNothingAboutNoShows(t *testing.T) {
	s := openTestStore(t)
	ev := newEvent("1", testT0, 1)
	inv := newInvitee(ev, "1", "ann@example.com", "Ann", testT0)
	markAt := testT0.Add(25 * time.Hour)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeNoShowCreated, markAt, markedNoShow(inv, "1", markAt), ev), markAt))
	if err := s.ApplyScheduledEvent(context.Background(), *ev, []calendly.Invitee{*inv}); err != nil {
		t.Fatal(err)
	}
	if !noShowOf(t, s, inv.URI) {
		t.Error("a snapshot with no read time cleared a no-show")
	}
}

// TestSnapshotMarksANoShowOnce: a snapshot carrying the mark and the mark's
// delivery make one history row between them.
func TestSnapshotMarksANoShowOnce(t *testing.T) {
	s := openTestStore(t)
	ev := newEvent("1", testT0, 1)
	inv := newInvitee(ev, "1", "ann@example.com", "Ann", testT0)
	markAt := testT0.Add(25 * time.Hour)
	marked := markedNoShow(inv, "1", markAt)
	if err := s.ApplySnapshot(context.Background(), Snapshot{Event: *ev, Invitees: []calendly.Invitee{*marked}, ReadAt: markAt.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeNoShowCreated, markAt, marked, ev), markAt))
	c := mustContact(t, s, "ann@example.com")
	n := 0
	for _, a := range c.Activity {
		if a.Kind == KindNoShow {
			n++
		}
	}
	if c.NoShows != 1 || n != 1 {
		t.Errorf("no-shows = %d with %d history rows, want 1 and 1", c.NoShows, n)
	}
}

func TestSyncCursorRoundTripNeverMovesBack(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	if _, err := s.SyncCursor(ctx, hostURI); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before any sync: err = %v, want ErrNotFound", err)
	}
	newer := SyncCursor{Owner: hostURI, WindowStart: testT0.Add(-30 * 24 * time.Hour), LastStartedAt: testT0, LastCompletedAt: testT0.Add(time.Second), EventsListed: 12}
	if err := s.SaveSyncCursor(ctx, newer); err != nil {
		t.Fatal(err)
	}
	older := newer
	older.LastStartedAt, older.LastCompletedAt, older.EventsListed = testT0.Add(-time.Hour), testT0.Add(2*time.Second), 3
	if err := s.SaveSyncCursor(ctx, older); err != nil {
		t.Fatal(err)
	}
	got, err := s.SyncCursor(ctx, hostURI)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastStartedAt.Equal(newer.LastStartedAt) || got.EventsListed != 12 || !got.WindowStart.Equal(newer.WindowStart) {
		t.Errorf("cursor = %+v, want the newer sync's %+v", got, newer)
	}
	if err := s.SaveSyncCursor(ctx, SyncCursor{Owner: hostURI}); err == nil {
		t.Error("a cursor without times was saved")
	}
}

func TestEventSyncStatesCountsInvitees(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("grp", testT0, 5)
	ann := newInvitee(ev, "ann", "ann@example.com", "Ann", testT0)
	bob := cancelInvitee(newInvitee(ev, "bob", "bob@example.com", "Bob", testT0), testT0.Add(time.Hour))
	if err := s.ApplyScheduledEvent(ctx, *ev, []calendly.Invitee{*ann, *bob}); err != nil {
		t.Fatal(err)
	}
	states, err := s.EventSyncStates(ctx, []string{ev.URI, eventURI("unknown")})
	if err != nil {
		t.Fatal(err)
	}
	got, ok := states[ev.URI]
	if !ok || len(states) != 1 {
		t.Fatalf("states = %+v, want only %s", states, ev.URI)
	}
	if !got.UpdatedAt.Equal(ev.UpdatedAt.Time) || got.Invitees != 2 || got.ActiveInvitees != 1 {
		t.Errorf("state = %+v, want updated_at %v, 2 invitees, 1 active", got, ev.UpdatedAt.Time)
	}
}
