-- 0012: the contacts pane sorts by last activity, bookings or no-shows and
-- pages with a keyset on (sort key, email), so each contact keeps its
-- counts and its last activity as columns, with an index per order.
--
-- The columns are a function of other rows (the definitions are the
-- counts calwatch always showed):
--   bookings  the contact's invitees that are not the new half of a
--             reschedule;
--   cancels   the contact's canceled invitees that were not rescheduled;
--   no_shows  the contact's invitees marked no-show;
--   last_at   the newest activity time ('' when none).
-- Triggers keep them so in the transaction that writes those rows, in
-- whatever order deliveries arrive: each recounts the one or two contacts
-- a changed row belongs to, through recipients_contact, reschedules and
-- activity_email (one person's rows, never a table).

ALTER TABLE contacts ADD COLUMN bookings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN cancels  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN no_shows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN last_at  TEXT NOT NULL DEFAULT '';

UPDATE contacts SET
    bookings = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key)),
    cancels = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
        AND r.status = 'canceled' AND r.rescheduled = 0
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key)),
    no_shows = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
        AND r.no_show = 1),
    last_at = coalesce((SELECT max(a.at) FROM activity a WHERE a.email = contacts.email AND a.at <> ''), '');

-- One index per order the pane offers, newest or most first, email
-- breaking ties.
CREATE INDEX contacts_last ON contacts (last_at DESC, email);
CREATE INDEX contacts_bookings ON contacts (bookings DESC, email);
CREATE INDEX contacts_no_shows ON contacts (no_shows DESC, email);

-- A new contact (an invitee's, after its invitee row; or a guest's) is
-- counted at once.
CREATE TRIGGER contacts_counted AFTER INSERT ON contacts BEGIN
    UPDATE contacts SET
        bookings = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key)),
        cancels = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.status = 'canceled' AND r.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key)),
        no_shows = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.no_show = 1),
        last_at = coalesce((SELECT max(a.at) FROM activity a WHERE a.email = contacts.email AND a.at <> ''), '')
    WHERE email = NEW.email;
END;

CREATE TRIGGER recipients_counted_insert AFTER INSERT ON recipients BEGIN
    UPDATE contacts SET
        bookings = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key)),
        cancels = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.status = 'canceled' AND r.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key)),
        no_shows = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.no_show = 1)
    WHERE email = NEW.contact_email;
END;

CREATE TRIGGER recipients_counted_update AFTER UPDATE OF contact_email, status, rescheduled, no_show ON recipients
WHEN OLD.contact_email IS NOT NEW.contact_email OR OLD.status IS NOT NEW.status
    OR OLD.rescheduled IS NOT NEW.rescheduled OR OLD.no_show IS NOT NEW.no_show
BEGIN
    UPDATE contacts SET
        bookings = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key)),
        cancels = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.status = 'canceled' AND r.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key)),
        no_shows = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.no_show = 1)
    WHERE email IN (OLD.contact_email, NEW.contact_email);
END;

CREATE TRIGGER recipients_counted_delete AFTER DELETE ON recipients BEGIN
    UPDATE contacts SET
        bookings = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key)),
        cancels = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.status = 'canceled' AND r.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key)),
        no_shows = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.no_show = 1)
    WHERE email = OLD.contact_email;
END;

-- A reschedule link moves a booking off the new invitee's contact and a
-- cancellation off the old one's.
CREATE TRIGGER reschedules_counted_insert AFTER INSERT ON reschedules BEGIN
    UPDATE contacts SET
        bookings = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key)),
        cancels = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.status = 'canceled' AND r.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key))
    WHERE email IN (SELECT contact_email FROM recipients
        WHERE role = 'invitee' AND key IN (NEW.old_invitee, NEW.new_invitee));
END;

CREATE TRIGGER reschedules_counted_delete AFTER DELETE ON reschedules BEGIN
    UPDATE contacts SET
        bookings = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = r.key)),
        cancels = (SELECT count(*) FROM recipients r WHERE r.role = 'invitee' AND r.contact_email = contacts.email
            AND r.status = 'canceled' AND r.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = r.key))
    WHERE email IN (SELECT contact_email FROM recipients
        WHERE role = 'invitee' AND key IN (OLD.old_invitee, OLD.new_invitee));
END;

-- The last activity: the newest time on activity_email, a seek.
CREATE TRIGGER activity_last_insert AFTER INSERT ON activity WHEN NEW.at <> '' BEGIN
    UPDATE contacts SET last_at = NEW.at WHERE email = NEW.email AND last_at < NEW.at;
END;

CREATE TRIGGER activity_last_update AFTER UPDATE OF email, at ON activity
WHEN OLD.email IS NOT NEW.email OR OLD.at IS NOT NEW.at
BEGIN
    UPDATE contacts SET
        last_at = coalesce((SELECT max(a.at) FROM activity a WHERE a.email = contacts.email AND a.at <> ''), '')
    WHERE email IN (OLD.email, NEW.email);
END;

CREATE TRIGGER activity_last_delete AFTER DELETE ON activity BEGIN
    UPDATE contacts SET
        last_at = coalesce((SELECT max(a.at) FROM activity a WHERE a.email = contacts.email AND a.at <> ''), '')
    WHERE email = OLD.email AND last_at = OLD.at;
END;
