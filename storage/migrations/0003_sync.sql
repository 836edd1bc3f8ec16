-- 0003: what backfill and catch-up need, and what calwatch remembers about
-- the subscriptions it creates.

-- The sync cursor: one row per listing key (the user or organization URI
-- whose scheduled events are listed). last_started_at is when the last
-- complete sync began: every change Calendly made before it is in the store.
CREATE TABLE sync_cursor (
    owner_uri         TEXT PRIMARY KEY,
    window_start      TEXT NOT NULL,   -- min_start_time of the last complete sync
    last_started_at   TEXT NOT NULL,
    last_completed_at TEXT NOT NULL,
    events_listed     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Remembered subscriptions: the events, the owner (user or organization
-- URI) and how the account logged in when calwatch created them.
ALTER TABLE webhook_subscriptions ADD COLUMN events TEXT NOT NULL DEFAULT '[]';  -- JSON array
ALTER TABLE webhook_subscriptions ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE webhook_subscriptions ADD COLUMN auth_kind TEXT NOT NULL DEFAULT '';
