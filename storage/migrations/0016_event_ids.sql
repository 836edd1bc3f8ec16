-- 0016: what hangs off an event names it by an integer id. Keyed by the
-- event's random UUID URI, event_hosts, event_guests and the index of an
-- event's invitees took every new booking on a random leaf of each (about
-- 3.3 of the 16 WAL pages a delivery wrote on a grown store); keyed by an
-- id that grows with each new event, new bookings append.
--
-- events gets an id of its own (an INTEGER PRIMARY KEY keeps its value
-- through VACUUM, a bare rowid need not): each event keeps its rowid as
-- its id. The URI stays a unique key: ON CONFLICT (uri), every read by
-- URI, and recipients' foreign key on event_uri name it. No trigger is on
-- events, event_hosts or event_guests, so the rebuilds lose none.
CREATE TABLE events_0016 (
    id           INTEGER PRIMARY KEY,
    uri          TEXT NOT NULL UNIQUE,
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
INSERT INTO events_0016 (id, uri, name, start_time, end_time, status, location, event_type, cancellation,
    created_at, updated_at, version)
SELECT rowid, uri, name, start_time, end_time, status, location, event_type, cancellation,
    created_at, updated_at, version
FROM events ORDER BY rowid;
DROP TABLE events;
ALTER TABLE events_0016 RENAME TO events;
CREATE INDEX events_start_status ON events (start_time, status);

-- An event's hosts in Calendly's order, clustered by the event's id.
CREATE TABLE event_hosts_0016 (
    event_id INTEGER NOT NULL REFERENCES events (id),
    host_id  INTEGER NOT NULL REFERENCES hosts (id),
    position INTEGER NOT NULL,
    PRIMARY KEY (event_id, host_id)
) WITHOUT ROWID;
INSERT INTO event_hosts_0016 (event_id, host_id, position)
SELECT e.id, eh.host_id, eh.position FROM event_hosts eh JOIN events e ON e.uri = eh.event_uri
ORDER BY e.id, eh.host_id;
DROP TABLE event_hosts;
ALTER TABLE event_hosts_0016 RENAME TO event_hosts;

-- An event's guests by lower-cased email (email_stored: the address as
-- written when it differs), clustered by the event's id.
CREATE TABLE event_guests_0016 (
    event_id     INTEGER NOT NULL REFERENCES events (id),
    email        TEXT NOT NULL,
    email_stored TEXT,
    position     INTEGER NOT NULL,
    PRIMARY KEY (event_id, email)
) WITHOUT ROWID;
INSERT INTO event_guests_0016 (event_id, email, email_stored, position)
SELECT e.id, g.email, g.email_stored, g.position FROM event_guests g JOIN events e ON e.uri = g.event_uri
ORDER BY e.id, g.email;
DROP TABLE event_guests;
ALTER TABLE event_guests_0016 RENAME TO event_guests;

-- recipients is not rebuilt (a rebuild would drop the triggers on it): it
-- gains the event's id beside event_uri, which stays for what reads it.
-- The writer fills both; an event's invitees are found by the id.
ALTER TABLE recipients ADD COLUMN event_id INTEGER REFERENCES events (id);
UPDATE recipients SET event_id = (SELECT e.id FROM events e WHERE e.uri = recipients.event_uri);
DROP INDEX recipients_event_invitees;
CREATE INDEX recipients_event_id ON recipients (event_id) WHERE role = 'invitee';
