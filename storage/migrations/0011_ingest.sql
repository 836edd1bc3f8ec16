-- 0011: events become a rowid table. As a WITHOUT ROWID table clustered
-- by their random UUID URIs, every new event landed in a random leaf of a
-- B-tree of wide rows (location, cancellation): a page written per event
-- and frequent splits. Now rows append at the end of the table and only
-- the URI's narrow unique index takes a random insert. Every read goes by
-- uri or start_time as before; ON CONFLICT (uri) and the foreign keys of
-- recipients, event_hosts and event_guests name the same unique key.
CREATE TABLE events_0011 (
    uri          TEXT NOT NULL PRIMARY KEY,
    name         TEXT NOT NULL DEFAULT '',
    start_time   TEXT,
    end_time     TEXT,
    status       TEXT NOT NULL DEFAULT 'active',
    canceled     INTEGER GENERATED ALWAYS AS (status = 'canceled') VIRTUAL,
    location     TEXT,              -- JSON of calendly.Location
    event_type   TEXT NOT NULL DEFAULT '',
    cancellation TEXT,              -- JSON of calendly.Cancellation
    created_at   TEXT,
    updated_at   TEXT,
    version      TEXT NOT NULL DEFAULT ''
);
INSERT INTO events_0011 (uri, name, start_time, end_time, status, location, event_type, cancellation,
    created_at, updated_at, version)
SELECT uri, name, start_time, end_time, status, location, event_type, cancellation,
    created_at, updated_at, version
FROM events ORDER BY coalesce(created_at, ''), uri;
DROP TABLE events;
ALTER TABLE events_0011 RENAME TO events;
CREATE INDEX events_start_status ON events (start_time, status);
