package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SyncCursor is where backfill and catch-up left off for one listing key
// (the user or organization URI whose scheduled events are listed).
type SyncCursor struct {
	Owner string `json:"owner"`
	// WindowStart is the min_start_time the last complete sync listed from.
	WindowStart time.Time `json:"window_start"`
	// LastStartedAt is when the last complete sync began: every change
	// Calendly made before it is in the store.
	LastStartedAt   time.Time `json:"last_started_at"`
	LastCompletedAt time.Time `json:"last_completed_at"`
	EventsListed    int       `json:"events_listed"`
}

// SyncCursor returns the cursor of owner, or ErrNotFound before its first
// complete sync.
func (s *Store) SyncCursor(ctx context.Context, owner string) (SyncCursor, error) {
	c := SyncCursor{Owner: owner}
	var window, started, completed sql.NullString
	err := s.readDB.QueryRowContext(ctx, `
SELECT window_start, last_started_at, last_completed_at, events_listed FROM sync_cursor WHERE owner_uri = ?`, owner).
		Scan(&window, &started, &completed, &c.EventsListed)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("storage: no sync has completed for %s yet: %w", owner, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("storage: reading the sync cursor: %w", err)
	}
	for _, f := range []struct {
		dst *time.Time
		src sql.NullString
	}{{&c.WindowStart, window}, {&c.LastStartedAt, started}, {&c.LastCompletedAt, completed}} {
		if *f.dst, err = parseStored(f.src); err != nil {
			return c, err
		}
	}
	return c, nil
}

// SaveSyncCursor records a complete sync. A cursor never moves back: an
// older sync finishing late leaves a newer one's cursor alone.
func (s *Store) SaveSyncCursor(ctx context.Context, c SyncCursor) error {
	if c.Owner == "" || c.LastStartedAt.IsZero() || c.LastCompletedAt.IsZero() {
		return errors.New("storage: a sync cursor needs its owner and when the sync started and completed")
	}
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `
INSERT INTO sync_cursor (owner_uri, window_start, last_started_at, last_completed_at, events_listed)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (owner_uri) DO UPDATE SET window_start = excluded.window_start,
    last_started_at = excluded.last_started_at, last_completed_at = excluded.last_completed_at,
    events_listed = excluded.events_listed
WHERE excluded.last_started_at >= sync_cursor.last_started_at`,
			c.Owner, storedTime(c.WindowStart), storedTime(c.LastStartedAt), storedTime(c.LastCompletedAt), c.EventsListed)
		if err != nil {
			return fmt.Errorf("saving the sync cursor: %w", err)
		}
		return nil
	})
}

// EventSyncState is what the store holds of a scheduled event, for deciding
// whether its invitees must be read again.
type EventSyncState struct {
	// UpdatedAt is the stored event's updated_at (zero for a stub that only
	// a delivery without the scheduled_event object named).
	UpdatedAt      time.Time
	Invitees       int // invitee rows stored for the event
	ActiveInvitees int
}

// sqlEventSyncStates reads the stored events among a JSON array of URIs,
// each with its invitees counted through recipients_event_id.
const sqlEventSyncStates = `
SELECT e.uri, e.updated_at,
    (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.event_id = e.id),
    (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.event_id = e.id AND r.status = 'active')
FROM events e WHERE e.uri IN (SELECT value FROM json_each(?))`

// EventSyncStates returns the stored state of each of uris that the store
// knows; unknown URIs are absent from the map.
func (s *Store) EventSyncStates(ctx context.Context, uris []string) (map[string]EventSyncState, error) {
	out := make(map[string]EventSyncState, len(uris))
	if len(uris) == 0 {
		return out, nil
	}
	rows, err := s.readDB.QueryContext(ctx, sqlEventSyncStates, encodeJSON(uris))
	if err != nil {
		return nil, fmt.Errorf("storage: reading stored events: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uri string
		var updated sql.NullString
		var st EventSyncState
		if err := rows.Scan(&uri, &updated, &st.Invitees, &st.ActiveInvitees); err != nil {
			return nil, fmt.Errorf("storage: reading stored events: %w", err)
		}
		if st.UpdatedAt, err = parseStored(updated); err != nil {
			return nil, err
		}
		out[uri] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: reading stored events: %w", err)
	}
	return out, nil
}
