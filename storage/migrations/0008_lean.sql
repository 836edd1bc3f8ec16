-- 0008: a leaner store, same data. Nothing is stored twice:
--   * hosts leave recipients: the few people who host are kept once each
--     (hosts) and an event names them by id (event_hosts); guests leave
--     too, into event_guests, clustered by event (no rowid, no index of
--     their own). recipients keeps the invitees, and recipients_people,
--     which indexed hosts and guests, goes.
--   * an invitee's uri is its key; its email is the lower-cased
--     contact_email for most people and its name_version is its version
--     unless a later observation came without a name: each is kept only
--     where it differs (email_stored, name_version_stored; NULL: the same)
--     and read back through a generated column of the old name.
--   * activity.invitee_uri is the URI its identity already ends with for
--     booked, canceled and rescheduled rows, and its event_uri is where the
--     invitee URI begins (Calendly names invitees <event>/invitees/<id>):
--     each kept only where it differs.
-- And the delivery log gets an index by time, for deliveries list --from
-- and --to (and a count that need not read the bodies): about 40 bytes a
-- delivery, against the 3 KB or so of the body beside it.
-- Tables are rebuilt (SQLite cannot change a column in place) and their
-- rows copied; ids and every read stay as they were.

-- Everyone who hosts an event, once per (uri, email, name) as Calendly
-- named them; uri is '' for a membership that carried none.
CREATE TABLE hosts (
    id    INTEGER PRIMARY KEY,
    uri   TEXT NOT NULL,
    email TEXT NOT NULL,
    name  TEXT NOT NULL,
    UNIQUE (uri, email, name)
);
-- An event's hosts in Calendly's order; they follow the event's version.
CREATE TABLE event_hosts (
    event_uri TEXT NOT NULL REFERENCES events (uri),
    host_id   INTEGER NOT NULL REFERENCES hosts (id),
    position  INTEGER NOT NULL,
    PRIMARY KEY (event_uri, host_id)
) WITHOUT ROWID;
-- An event's guests (event_guests), by lower-cased email; email_stored is
-- the address as written when it differs.
CREATE TABLE event_guests (
    event_uri    TEXT NOT NULL REFERENCES events (uri),
    email        TEXT NOT NULL,
    email_stored TEXT,
    position     INTEGER NOT NULL,
    PRIMARY KEY (event_uri, email)
) WITHOUT ROWID;

INSERT INTO hosts (uri, email, name)
SELECT DISTINCT uri, email, name FROM recipients WHERE role = 'host';
INSERT INTO event_hosts (event_uri, host_id, position)
SELECT r.event_uri, h.id, r.position FROM recipients r
JOIN hosts h ON h.uri = r.uri AND h.email = r.email AND h.name = r.name
WHERE r.role = 'host' ORDER BY r.event_uri, r.position, r.key
ON CONFLICT DO NOTHING;
INSERT INTO event_guests (event_uri, email, email_stored, position)
SELECT event_uri, key, nullif(email, key), position FROM recipients WHERE role = 'guest'
ORDER BY event_uri, position, key
ON CONFLICT DO NOTHING;

CREATE TABLE recipients_0007 (
    id              INTEGER PRIMARY KEY,
    event_uri       TEXT NOT NULL REFERENCES events (uri),
    role            TEXT NOT NULL CHECK (role = 'invitee'),
    key             TEXT NOT NULL,   -- the invitee URI
    email_stored    TEXT,            -- NULL: the same as contact_email
    contact_email   TEXT NOT NULL DEFAULT '',  -- lower-cased
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
    name_version_stored TEXT,                    -- NULL: the same as version
    no_show         INTEGER NOT NULL DEFAULT 0,
    no_show_uri     TEXT NOT NULL DEFAULT '',
    no_show_version TEXT NOT NULL DEFAULT '',
    uri             TEXT GENERATED ALWAYS AS (key) VIRTUAL,
    email           TEXT GENERATED ALWAYS AS (coalesce(email_stored, contact_email)) VIRTUAL,
    name_version    TEXT GENERATED ALWAYS AS (coalesce(name_version_stored, version)) VIRTUAL
);
INSERT INTO recipients_0007 (id, event_uri, role, key, email_stored, contact_email, name, position,
    status, timezone, answers, cancellation, canceled_at, rescheduled, created_at, updated_at, version,
    name_version_stored, no_show, no_show_uri, no_show_version)
SELECT id, event_uri, role, key, nullif(email, contact_email), contact_email, name, position,
    status, timezone, answers, cancellation, canceled_at, rescheduled, created_at, updated_at, version,
    nullif(name_version, version), no_show, no_show_uri, no_show_version
FROM recipients WHERE role = 'invitee';
DROP TABLE recipients;
ALTER TABLE recipients_0007 RENAME TO recipients;
CREATE INDEX recipients_event_invitees ON recipients (event_uri) WHERE role = 'invitee';
CREATE UNIQUE INDEX recipients_invitee ON recipients (key) WHERE role = 'invitee';
CREATE INDEX recipients_contact ON recipients (contact_email) WHERE role = 'invitee';

CREATE TABLE activity_lean (
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
INSERT INTO activity_lean (identity, email, kind, at, event_stored, invitee_stored)
SELECT identity, email, kind, at, nullif(event_uri, substr(invitee_uri, 1, instr(invitee_uri, '/invitees/') - 1)),
    nullif(invitee_uri, substr(identity, length(kind) + 2))
FROM activity;
DROP TABLE activity;
ALTER TABLE activity_lean RENAME TO activity;
CREATE INDEX activity_email ON activity (email, at);
CREATE INDEX activity_at ON activity (at, kind); -- 0007's, lost with the old table

CREATE INDEX deliveries_received ON deliveries (received_at);
