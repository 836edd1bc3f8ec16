-- 0017: activity is keyed by integers that grow with arrival. Its unique
-- identity ("<kind>:<invitee URI>", about 100 random bytes) put every
-- activity row on a random leaf of a wide index (about 1.5 of the 14.5 WAL
-- pages a delivery wrote on a grown store). A row is now keyed by
--   invitee_id  the recipients id of the invitee the row is of (for a
--               rescheduled row the old invitee; for a no-show the marked
--               one); 0 while that invitee is known only through a
--               reschedule link;
--   kind;
--   mark        '' for booked, canceled and rescheduled rows of a stored
--               invitee; a no-show's identity after "<kind>:"; the URI of
--               an invitee not stored yet (invitee_id 0).
-- A new invitee's id is the greatest, so its rows' keys append; an older
-- invitee's land on a leaf of a narrow index (about 20 bytes an entry, not
-- 120). Rows still append to the table, which other indexes name by rowid.
-- identity stays, with the same text, as the readers' tie-break and page
-- cursor; invitee_uri and event_uri keep their meaning.
CREATE TABLE activity_0017 (
    invitee_id     INTEGER NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('booked', 'canceled', 'rescheduled', 'no_show', 'no_show_removed')),
    mark           TEXT NOT NULL DEFAULT '',
    identity       TEXT NOT NULL,
    email          TEXT NOT NULL,
    at             TEXT NOT NULL,
    event_stored   TEXT,  -- NULL: invitee_uri up to "/invitees/"
    invitee_stored TEXT,  -- NULL: what identity holds after "<kind>:"
    invitee_uri    TEXT GENERATED ALWAYS AS (coalesce(invitee_stored, substr(identity, length(kind) + 2))) VIRTUAL,
    event_uri      TEXT GENERATED ALWAYS AS (
        coalesce(event_stored, substr(invitee_uri, 1, instr(invitee_uri, '/invitees/') - 1))) VIRTUAL
);

-- The invitee a row is of: the one its identity names, or for a no-show
-- the one it is about.
INSERT INTO activity_0017 (rowid, invitee_id, kind, mark, identity, email, at, event_stored, invitee_stored)
SELECT a.rowid, coalesce(r.id, 0), a.kind,
    iif(a.kind IN ('no_show', 'no_show_removed') OR r.id IS NULL, substr(a.identity, length(a.kind) + 2), ''),
    a.identity, a.email, a.at, a.event_stored, a.invitee_stored
FROM activity a LEFT JOIN recipients r ON r.role = 'invitee'
    AND r.key = iif(a.kind IN ('no_show', 'no_show_removed'), a.invitee_uri, substr(a.identity, length(a.kind) + 2))
ORDER BY a.rowid;

-- Dropping activity drops its triggers (0012's and 0014's, for contacts'
-- last_at); they are made again below, the same. contacts_counted reads
-- activity, so it goes while activity is missing and comes back as 0014
-- wrote it.
DROP TRIGGER contacts_counted;
DROP TABLE activity;
ALTER TABLE activity_0017 RENAME TO activity;
CREATE UNIQUE INDEX activity_key ON activity (invitee_id, kind, mark);
CREATE INDEX activity_email ON activity (email, at);
CREATE INDEX activity_at ON activity (at, kind);

CREATE TRIGGER contacts_counted AFTER INSERT ON contacts BEGIN
    UPDATE contacts SET
        bookings = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = NEW.email
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key))
    WHERE email = NEW.email AND EXISTS (SELECT 1 FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = NEW.email
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key));
    UPDATE contacts SET
        cancels = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = NEW.email
            AND r.status = 'canceled' AND r.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key))
    WHERE email = NEW.email AND EXISTS (SELECT 1 FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = NEW.email
        AND r.status = 'canceled' AND r.rescheduled = 0
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key));
    UPDATE contacts SET
        no_shows = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = NEW.email
            AND r.no_show = 1)
    WHERE email = NEW.email AND EXISTS (SELECT 1 FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = NEW.email
        AND r.no_show = 1);
    UPDATE contacts SET
        last_at = (SELECT max(a.at) FROM activity a WHERE a.email = NEW.email AND a.at <> '')
    WHERE email = NEW.email AND EXISTS (SELECT 1 FROM activity a WHERE a.email = NEW.email AND a.at <> '');
END;

CREATE TRIGGER activity_last_insert AFTER INSERT ON activity WHEN NEW.at <> '' BEGIN
    UPDATE contacts SET last_at = NEW.at WHERE email = NEW.email AND last_at < NEW.at;
END;

CREATE TRIGGER activity_last_update AFTER UPDATE OF email, at ON activity
WHEN OLD.email IS NOT NEW.email OR OLD.at IS NOT NEW.at
BEGIN
    UPDATE contacts SET
        last_at = coalesce((SELECT max(a.at) FROM activity a WHERE a.email = OLD.email AND a.at <> ''), '')
    WHERE email = OLD.email AND last_at = OLD.at
        AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.email = OLD.email AND a.at = OLD.at);
    UPDATE contacts SET last_at = NEW.at
    WHERE email = NEW.email AND last_at < NEW.at AND NEW.at <> '';
END;

CREATE TRIGGER activity_last_delete AFTER DELETE ON activity BEGIN
    UPDATE contacts SET
        last_at = coalesce((SELECT max(a.at) FROM activity a WHERE a.email = OLD.email AND a.at <> ''), '')
    WHERE email = OLD.email AND last_at = OLD.at
        AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.email = OLD.email AND a.at = OLD.at);
END;
