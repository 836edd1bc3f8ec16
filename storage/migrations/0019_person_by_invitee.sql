-- 0019: a person's activity is found through their invitees, not through
-- activity_email (email, at): every new booking put an entry on a random
-- leaf of that index (1.25 to 1.6 of about 12 WAL pages a delivery on a
-- grown store).
--
-- A row whose email is its invitee's (the recipients row with id
-- invitee_id) is found from the person's invitees: recipients_contact,
-- then activity_key. Every other row is a stray (stray = 1), kept in the
-- small index activity_stray by email: a row of an invitee not stored
-- (invitee_id 0), a no-show mark whose delivery carried another email
-- than the invitee's stored one, a rescheduled row that took the new
-- invitee's email because the old one had none, a row left behind for a
-- moment when its invitee's email changed, a row written by hand. The
-- triggers below keep the flag whoever writes: a row is a stray unless its
-- email is its invitee's, checked when it is written and when its
-- invitee's email or id changes or the invitee goes (a row flagged as a
-- stray that is not one costs only its index entry). So a person's rows
-- are exactly those with their email, as activity_email gave them, each
-- found by an index; person_activity lists them (person, the row's rowid,
-- a row named twice when it is flagged and is its invitee's).
DROP INDEX activity_email;
ALTER TABLE activity ADD COLUMN stray INTEGER NOT NULL DEFAULT 0;
UPDATE activity SET stray = 1
WHERE email IS NOT (SELECT r.contact_email FROM recipients r WHERE r.id = activity.invitee_id AND r.role = 'invitee');
CREATE INDEX activity_stray ON activity (email, at) WHERE stray = 1;

CREATE VIEW person_activity (person, row_id) AS
SELECT r.contact_email, a.rowid FROM recipients r JOIN activity a ON a.invitee_id = r.id
WHERE r.role = 'invitee' AND a.email = r.contact_email
UNION ALL
SELECT a.email, a.rowid FROM activity a WHERE a.stray = 1;

-- A row written or moved is a stray unless its email is its invitee's.
CREATE TRIGGER activity_stray_insert AFTER INSERT ON activity
WHEN NEW.email IS NOT (SELECT r.contact_email FROM recipients r WHERE r.id = NEW.invitee_id AND r.role = 'invitee')
    AND NEW.stray IS NOT 1
BEGIN
    UPDATE activity SET stray = 1 WHERE rowid = NEW.rowid;
END;

CREATE TRIGGER activity_stray_update AFTER UPDATE OF email, invitee_id, stray ON activity
WHEN NEW.stray IS NOT (NEW.email IS NOT (SELECT r.contact_email FROM recipients r WHERE r.id = NEW.invitee_id AND r.role = 'invitee'))
BEGIN
    UPDATE activity SET stray = (email IS NOT (SELECT r.contact_email FROM recipients r WHERE r.id = NEW.invitee_id AND r.role = 'invitee'))
    WHERE rowid = NEW.rowid;
END;

-- An invitee whose email or id changes, or who goes, leaves its rows that
-- no longer match as strays.
CREATE TRIGGER recipients_strays_moved AFTER UPDATE OF contact_email, id, role ON recipients
WHEN OLD.contact_email IS NOT NEW.contact_email OR OLD.id IS NOT NEW.id OR OLD.role IS NOT NEW.role
BEGIN
    UPDATE activity SET stray = 1 WHERE invitee_id = OLD.id AND stray = 0;
    UPDATE activity SET stray = 0 WHERE invitee_id = NEW.id AND stray = 1
        AND NEW.role = 'invitee' AND email = NEW.contact_email;
END;

CREATE TRIGGER recipients_strays_delete AFTER DELETE ON recipients BEGIN
    UPDATE activity SET stray = 1 WHERE invitee_id = OLD.id AND stray = 0;
END;

-- The triggers that recount a contact's last activity read it through
-- person_activity; otherwise they are 0017's.
DROP TRIGGER contacts_counted;
DROP TRIGGER activity_last_update;
DROP TRIGGER activity_last_delete;

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
        last_at = (SELECT max(a.at) FROM activity a
            WHERE a.rowid IN (SELECT row_id FROM person_activity WHERE person = NEW.email) AND a.at <> '')
    WHERE email = NEW.email AND EXISTS (SELECT 1 FROM activity a
            WHERE a.rowid IN (SELECT row_id FROM person_activity WHERE person = NEW.email) AND a.at <> '');
END;

CREATE TRIGGER activity_last_update AFTER UPDATE OF email, at ON activity
WHEN OLD.email IS NOT NEW.email OR OLD.at IS NOT NEW.at
BEGIN
    UPDATE contacts SET
        last_at = coalesce((SELECT max(a.at) FROM activity a
            WHERE a.rowid IN (SELECT row_id FROM person_activity WHERE person = OLD.email) AND a.at <> ''), '')
    WHERE email = OLD.email AND last_at = OLD.at
        AND NOT EXISTS (SELECT 1 FROM activity a
            WHERE a.rowid IN (SELECT row_id FROM person_activity WHERE person = OLD.email) AND a.at = OLD.at);
    UPDATE contacts SET last_at = NEW.at
    WHERE email = NEW.email AND last_at < NEW.at AND NEW.at <> '';
END;

CREATE TRIGGER activity_last_delete AFTER DELETE ON activity BEGIN
    UPDATE contacts SET
        last_at = coalesce((SELECT max(a.at) FROM activity a
            WHERE a.rowid IN (SELECT row_id FROM person_activity WHERE person = OLD.email) AND a.at <> ''), '')
    WHERE email = OLD.email AND last_at = OLD.at
        AND NOT EXISTS (SELECT 1 FROM activity a
            WHERE a.rowid IN (SELECT row_id FROM person_activity WHERE person = OLD.email) AND a.at = OLD.at);
END;
