-- 0001: the booking model, the delivery log and the integration's secrets.
-- Times are TEXT in calendly.TimeLayout (UTC, microseconds, fixed width), so
-- they sort as strings. A "version" column is a last-writer-wins key: a row's
-- fields are replaced only by an observation whose version sorts higher.

-- Scheduled events, keyed by Calendly URI. A row may be a stub (only its URI)
-- until a delivery or a backfill brings the scheduled_event object.
CREATE TABLE events (
    uri          TEXT PRIMARY KEY,
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
) WITHOUT ROWID;
CREATE INDEX events_start ON events (start_time);

-- Everyone on an event: hosts (from event_memberships), invitees (one row per
-- invitee URI, whatever event it names) and guests (from event_guests). Host
-- and guest rows follow the event's version and are unique per (event, role,
-- key), an index that also serves lookups by event; invitee rows have their
-- own registers and are unique by their URI alone (a partial index).
CREATE TABLE recipients (
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
CREATE UNIQUE INDEX recipients_people ON recipients (event_uri, role, key);
CREATE UNIQUE INDEX recipients_invitee ON recipients (key) WHERE role = 'invitee';
CREATE INDEX recipients_contact ON recipients (contact_email) WHERE role = 'invitee';

-- Reschedule links between invitees: the union of every old_invitee and
-- new_invitee Calendly reported, so both directions hold in any order.
CREATE TABLE reschedules (
    old_invitee TEXT NOT NULL,
    new_invitee TEXT NOT NULL,
    PRIMARY KEY (old_invitee, new_invitee)
) WITHOUT ROWID;
CREATE INDEX reschedules_new ON reschedules (new_invitee);

-- People seen as invitee or guest, keyed by lower-cased email.
CREATE TABLE contacts (
    email    TEXT PRIMARY KEY,
    name     TEXT NOT NULL DEFAULT '',
    timezone TEXT NOT NULL DEFAULT '',
    version  TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

-- One row per change in a contact's history, keyed by its identity, so
-- re-applying a change updates the same row instead of adding one.
CREATE TABLE activity (
    identity    TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('booked', 'canceled', 'rescheduled', 'no_show', 'no_show_removed')),
    at          TEXT NOT NULL,
    event_uri   TEXT NOT NULL,
    invitee_uri TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX activity_email ON activity (email, at);

-- Every request the listener answered: raw bytes, signature header, verdict.
CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY,
    received_at      TEXT NOT NULL,
    event            TEXT NOT NULL DEFAULT '',
    outcome          TEXT NOT NULL,
    reason           TEXT NOT NULL DEFAULT '',
    invitee_uri      TEXT NOT NULL DEFAULT '',
    invitee_email    TEXT NOT NULL DEFAULT '',
    event_uri        TEXT NOT NULL DEFAULT '',
    replay_key       TEXT NOT NULL DEFAULT '',
    signature_header TEXT NOT NULL DEFAULT '',
    body             BLOB NOT NULL
);

-- Signatures (t and v1) already accepted, so a restart does not reopen the
-- replay window.
CREATE TABLE replay_keys (
    key        TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
) WITHOUT ROWID;

-- The Calendly account calwatch works for. Secrets are BLOBs holding
-- ciphertext; they are never stored in the clear.
CREATE TABLE integration (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    auth_kind        TEXT NOT NULL DEFAULT '',   -- 'oauth' or 'pat'
    user_uri         TEXT NOT NULL DEFAULT '',
    user_name        TEXT NOT NULL DEFAULT '',
    user_email       TEXT NOT NULL DEFAULT '',
    organization_uri TEXT NOT NULL DEFAULT '',
    access_token     BLOB,
    refresh_token    BLOB,
    token_expires_at TEXT,
    signing_key      BLOB,
    updated_at       TEXT NOT NULL
);

-- Webhook subscriptions this program created (only those may be deleted).
CREATE TABLE webhook_subscriptions (
    uri          TEXT PRIMARY KEY,
    callback_url TEXT NOT NULL,
    scope        TEXT NOT NULL DEFAULT '',
    signing_key  BLOB,                          -- ciphertext
    created_at   TEXT NOT NULL
) WITHOUT ROWID;
