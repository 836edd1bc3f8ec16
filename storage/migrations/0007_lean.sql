-- 0007: a leaner store, same data. Nothing is stored twice in a row:
--   * recipients.uri is the key for hosts and invitees, and email is the
--     lower-cased contact_email for most people: each is kept only where it
--     differs (uri_stored, email_stored; NULL: the same) and read back
--     through a generated column of the old name.
--   * an invitee's name_version is its version unless a later observation
--     came without a name: kept only where it differs.
--   * activity.invitee_uri is the URI its identity already ends with for
--     booked, canceled and rescheduled rows, and its event_uri is where the
--     invitee URI begins (Calendly names invitees <event>/invitees/<id>):
--     each kept only where it differs.
--   * recipients_people (event, role, key) indexes hosts and guests only;
--     an event's invitees are found on recipients_event_invitees (event
--     alone), since recipients_invitee already holds their keys.
-- Tables are rebuilt (SQLite cannot change a column in place) and their
-- rows copied; ids and every read stay as they were.

CREATE TABLE recipients_0007 (
    id              INTEGER PRIMARY KEY,
    event_uri       TEXT NOT NULL REFERENCES events (uri),
    role            TEXT NOT NULL CHECK (role IN ('host', 'invitee', 'guest')),
    key             TEXT NOT NULL,   -- invitee URI, host user URI, guest lower-cased email
    uri_stored      TEXT,            -- NULL: the same as key
    email_stored    TEXT,            -- NULL: the same as contact_email
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
    name_version_stored TEXT,        -- NULL: the same as version
    no_show         INTEGER NOT NULL DEFAULT 0,
    no_show_uri     TEXT NOT NULL DEFAULT '',
    no_show_version TEXT NOT NULL DEFAULT '',
    name_version    TEXT GENERATED ALWAYS AS (coalesce(name_version_stored, version)) VIRTUAL,
    uri             TEXT GENERATED ALWAYS AS (coalesce(uri_stored, key)) VIRTUAL,
    email           TEXT GENERATED ALWAYS AS (coalesce(email_stored, contact_email)) VIRTUAL
);
INSERT INTO recipients_0007 (id, event_uri, role, key, uri_stored, email_stored, contact_email, name, position,
    status, timezone, answers, cancellation, canceled_at, rescheduled, created_at, updated_at, version,
    name_version_stored, no_show, no_show_uri, no_show_version)
SELECT id, event_uri, role, key, nullif(uri, key), nullif(email, contact_email), contact_email, name, position,
    status, timezone, answers, cancellation, canceled_at, rescheduled, created_at, updated_at, version,
    nullif(name_version, version), no_show, no_show_uri, no_show_version
FROM recipients;
DROP TABLE recipients;
ALTER TABLE recipients_0007 RENAME TO recipients;
CREATE UNIQUE INDEX recipients_people ON recipients (event_uri, role, key) WHERE role IN ('host', 'guest');
CREATE INDEX recipients_event_invitees ON recipients (event_uri) WHERE role = 'invitee';
CREATE UNIQUE INDEX recipients_invitee ON recipients (key) WHERE role = 'invitee';
CREATE INDEX recipients_contact ON recipients (contact_email) WHERE role = 'invitee';

CREATE TABLE activity_0007 (
    identity       TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('booked', 'canceled', 'rescheduled', 'no_show', 'no_show_removed')),
    at             TEXT NOT NULL,
    event_stored   TEXT,  -- NULL: invitee_uri up to "/invitees/"
    invitee_stored TEXT,  -- NULL: what identity holds after "<kind>:"
    invitee_uri    TEXT GENERATED ALWAYS AS (coalesce(invitee_stored, substr(identity, length(kind) + 2))) VIRTUAL,
    event_uri      TEXT GENERATED ALWAYS AS (
        coalesce(event_stored, substr(invitee_uri, 1, instr(invitee_uri, '/invitees/') - 1))) VIRTUAL
) WITHOUT ROWID;
INSERT INTO activity_0007 (identity, email, kind, at, event_stored, invitee_stored)
SELECT identity, email, kind, at, nullif(event_uri, substr(invitee_uri, 1, instr(invitee_uri, '/invitees/') - 1)),
    nullif(invitee_uri, substr(identity, length(kind) + 2))
FROM activity;
DROP TABLE activity;
ALTER TABLE activity_0007 RENAME TO activity;
CREATE INDEX activity_email ON activity (email, at);
