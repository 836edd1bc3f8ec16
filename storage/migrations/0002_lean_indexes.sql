-- 0002: leaner indexes on the apply path, and one row per invitee URI.
-- recipients: hosts and guests are unique per (event, role, key) and that
-- index also serves lookups by event; invitees are unique by their URI
-- alone (a partial index), so an invitee is one row whatever event it
-- names. activity is keyed by its identity, without a separate rowid.
-- Both tables are children only, so they can be rebuilt in place.

CREATE TABLE recipients_v2 (
    id              INTEGER PRIMARY KEY,
    event_uri       TEXT NOT NULL REFERENCES events (uri),
    role            TEXT NOT NULL CHECK (role IN ('host', 'invitee', 'guest')),
    key             TEXT NOT NULL,   -- invitee URI, host user URI, guest lower-cased email
    uri             TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    contact_email   TEXT NOT NULL DEFAULT '',  -- lower-cased; '' for hosts
    name            TEXT NOT NULL DEFAULT '',
    position        INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL DEFAULT '',
    timezone        TEXT NOT NULL DEFAULT '',
    answers         TEXT NOT NULL DEFAULT '[]',  -- JSON of []calendly.QuestionAnswer
    cancellation    TEXT,                        -- JSON of calendly.Cancellation
    canceled_at     TEXT,
    rescheduled     INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT,
    updated_at      TEXT,
    version         TEXT NOT NULL DEFAULT '',
    name_version    TEXT NOT NULL DEFAULT '',
    no_show         INTEGER NOT NULL DEFAULT 0,
    no_show_uri     TEXT NOT NULL DEFAULT '',
    no_show_version TEXT NOT NULL DEFAULT ''
);
-- Of invitee rows that 0001 allowed under two events, keep the newest.
INSERT INTO recipients_v2 SELECT * FROM recipients r
WHERE r.role <> 'invitee' OR NOT EXISTS (
    SELECT 1 FROM recipients o WHERE o.role = 'invitee' AND o.key = r.key
        AND (o.version > r.version OR (o.version = r.version AND o.id > r.id)));
DROP TABLE recipients;
ALTER TABLE recipients_v2 RENAME TO recipients;
CREATE UNIQUE INDEX recipients_people ON recipients (event_uri, role, key);
CREATE UNIQUE INDEX recipients_invitee ON recipients (key) WHERE role = 'invitee';
CREATE INDEX recipients_contact ON recipients (contact_email) WHERE role = 'invitee';

CREATE TABLE activity_v2 (
    identity    TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('booked', 'canceled', 'rescheduled', 'no_show', 'no_show_removed')),
    at          TEXT NOT NULL,
    event_uri   TEXT NOT NULL,
    invitee_uri TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO activity_v2 SELECT identity, email, kind, at, event_uri, invitee_uri FROM activity;
DROP TABLE activity;
ALTER TABLE activity_v2 RENAME TO activity;
CREATE INDEX activity_email ON activity (email, at);
