-- 0011: events and activity become rowid tables. As a WITHOUT ROWID table clustered
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

-- activity likewise: its identity ("<kind>:<invitee URI>") is as random;
-- rows now append and the identity's unique index takes the random insert.
-- Reads go by email or time (activity_email, activity_at), as before.
CREATE TABLE activity_0011 (
    identity       TEXT NOT NULL PRIMARY KEY,
    email          TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('booked', 'canceled', 'rescheduled', 'no_show', 'no_show_removed')),
    at             TEXT NOT NULL,
    event_stored   TEXT,  -- NULL: invitee_uri up to "/invitees/"
    invitee_stored TEXT,  -- NULL: what identity holds after "<kind>:"
    invitee_uri    TEXT GENERATED ALWAYS AS (coalesce(invitee_stored, substr(identity, length(kind) + 2))) VIRTUAL,
    event_uri      TEXT GENERATED ALWAYS AS (
        coalesce(event_stored, substr(invitee_uri, 1, instr(invitee_uri, '/invitees/') - 1))) VIRTUAL
);
INSERT INTO activity_0011 (identity, email, kind, at, event_stored, invitee_stored)
SELECT identity, email, kind, at, event_stored, invitee_stored FROM activity ORDER BY at, identity;
DROP TABLE activity;
ALTER TABLE activity_0011 RENAME TO activity;
CREATE INDEX activity_email ON activity (email, at);
CREATE INDEX activity_at ON activity (at, kind);
