-- 0014: contacts keep their counts by deltas instead of recounts.
--
-- 0012's triggers recounted a contact's rows (three counts through
-- recipients_contact and reschedules) on every change of an invitee row or
-- a reschedule link, and set all three columns each time, so SQLite
-- rewrote the row and its contacts_bookings and contacts_no_shows entries
-- even when no count moved. The definitions stay 0012's; each invitee row
-- now contributes to its contact's columns:
--   bookings  1 unless some link has new_invitee = its key;
--   cancels   1 if status = 'canceled' AND rescheduled = 0 and no link has
--             old_invitee = its key;
--   no_shows  1 if no_show = 1.
-- A trigger adds a row's contribution when it appears, subtracts it when
-- it goes, and on an update subtracts the old contribution from the old
-- contact and adds the new one to the new contact. Each statement sets one
-- column, and only where its delta is not zero, so an index moves only
-- when its key does. A link changes the contribution of the invitee it
-- names only when it is the first (or, deleted, the last) link of its
-- kind for that key; a link stored before its invitee row changes nothing
-- now, and the row counts it when it arrives. A contact row that appears
-- after its rows (an invitee's contact is written after the invitee row)
-- is counted once, as before. The counts 0012 kept are already right, so
-- nothing is recounted here.

DROP TRIGGER contacts_counted;
DROP TRIGGER recipients_counted_insert;
DROP TRIGGER recipients_counted_update;
DROP TRIGGER recipients_counted_delete;
DROP TRIGGER reschedules_counted_insert;
DROP TRIGGER reschedules_counted_delete;
DROP TRIGGER activity_last_update;
DROP TRIGGER activity_last_delete;

-- A new contact: each column is counted over its person's rows, and set
-- only when there is something to count (a guest's or a brand-new
-- person's row stays as inserted).
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

-- An invitee row appears: its contributions are added.
CREATE TRIGGER recipients_counted_insert AFTER INSERT ON recipients BEGIN
    UPDATE contacts SET bookings = bookings + 1
    WHERE email = NEW.contact_email AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = NEW.key);
    UPDATE contacts SET cancels = cancels + 1
    WHERE email = NEW.contact_email AND NEW.status = 'canceled' AND NEW.rescheduled = 0
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = NEW.key);
    UPDATE contacts SET no_shows = no_shows + 1
    WHERE email = NEW.contact_email AND NEW.no_show = 1;
END;

-- An invitee row changes: per column, only when what it depends on moved.
-- On the old contact the delta is minus the old contribution, on the new
-- one plus the new; when they are one contact, the difference.
CREATE TRIGGER recipients_bookings_moved AFTER UPDATE OF contact_email, key ON recipients
WHEN OLD.contact_email IS NOT NEW.contact_email OR OLD.key IS NOT NEW.key
BEGIN
    UPDATE contacts SET bookings = bookings
        + iif(email = NEW.contact_email AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = NEW.key), 1, 0)
        - iif(email = OLD.contact_email AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = OLD.key), 1, 0)
    WHERE email IN (OLD.contact_email, NEW.contact_email)
        AND iif(email = NEW.contact_email AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = NEW.key), 1, 0)
        <> iif(email = OLD.contact_email AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = OLD.key), 1, 0);
END;

CREATE TRIGGER recipients_cancels_moved AFTER UPDATE OF contact_email, key, status, rescheduled ON recipients
WHEN OLD.contact_email IS NOT NEW.contact_email OR OLD.key IS NOT NEW.key
    OR OLD.status IS NOT NEW.status OR OLD.rescheduled IS NOT NEW.rescheduled
BEGIN
    UPDATE contacts SET cancels = cancels
        + iif(email = NEW.contact_email AND NEW.status = 'canceled' AND NEW.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = NEW.key), 1, 0)
        - iif(email = OLD.contact_email AND OLD.status = 'canceled' AND OLD.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = OLD.key), 1, 0)
    WHERE email IN (OLD.contact_email, NEW.contact_email)
        AND iif(email = NEW.contact_email AND NEW.status = 'canceled' AND NEW.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = NEW.key), 1, 0)
        <> iif(email = OLD.contact_email AND OLD.status = 'canceled' AND OLD.rescheduled = 0
            AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = OLD.key), 1, 0);
END;

CREATE TRIGGER recipients_no_shows_moved AFTER UPDATE OF contact_email, no_show ON recipients
WHEN OLD.contact_email IS NOT NEW.contact_email OR OLD.no_show IS NOT NEW.no_show
BEGIN
    UPDATE contacts SET no_shows = no_shows
        + iif(email = NEW.contact_email AND NEW.no_show = 1, 1, 0)
        - iif(email = OLD.contact_email AND OLD.no_show = 1, 1, 0)
    WHERE email IN (OLD.contact_email, NEW.contact_email)
        AND iif(email = NEW.contact_email AND NEW.no_show = 1, 1, 0)
        <> iif(email = OLD.contact_email AND OLD.no_show = 1, 1, 0);
END;

-- An invitee row goes (calwatch deletes none today): its contributions go.
CREATE TRIGGER recipients_counted_delete AFTER DELETE ON recipients BEGIN
    UPDATE contacts SET bookings = bookings - 1
    WHERE email = OLD.contact_email AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = OLD.key);
    UPDATE contacts SET cancels = cancels - 1
    WHERE email = OLD.contact_email AND OLD.status = 'canceled' AND OLD.rescheduled = 0
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = OLD.key);
    UPDATE contacts SET no_shows = no_shows - 1
    WHERE email = OLD.contact_email AND OLD.no_show = 1;
END;

-- The first link to an invitee takes its booking away, and the first link
-- from a canceled one its cancellation; the last, deleted, gives it back.
-- A link whose invitee row is not stored yet finds no contact.
CREATE TRIGGER reschedules_counted_insert AFTER INSERT ON reschedules BEGIN
    UPDATE contacts SET bookings = bookings - 1
    WHERE email = (SELECT r.contact_email FROM recipients r WHERE r.role = 'invitee' AND r.key = NEW.new_invitee)
        AND NOT EXISTS (SELECT 1 FROM reschedules s
            WHERE s.new_invitee = NEW.new_invitee AND s.old_invitee IS NOT NEW.old_invitee);
    UPDATE contacts SET cancels = cancels - 1
    WHERE email = (SELECT r.contact_email FROM recipients r WHERE r.role = 'invitee' AND r.key = NEW.old_invitee
            AND r.status = 'canceled' AND r.rescheduled = 0)
        AND NOT EXISTS (SELECT 1 FROM reschedules s
            WHERE s.old_invitee = NEW.old_invitee AND s.new_invitee IS NOT NEW.new_invitee);
END;

CREATE TRIGGER reschedules_counted_delete AFTER DELETE ON reschedules BEGIN
    UPDATE contacts SET bookings = bookings + 1
    WHERE email = (SELECT r.contact_email FROM recipients r WHERE r.role = 'invitee' AND r.key = OLD.new_invitee)
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.new_invitee = OLD.new_invitee);
    UPDATE contacts SET cancels = cancels + 1
    WHERE email = (SELECT r.contact_email FROM recipients r WHERE r.role = 'invitee' AND r.key = OLD.old_invitee
            AND r.status = 'canceled' AND r.rescheduled = 0)
        AND NOT EXISTS (SELECT 1 FROM reschedules s WHERE s.old_invitee = OLD.old_invitee);
END;

-- The last activity. An activity row that changes is one that goes and
-- one that appears: the one that goes is recounted (a seek on
-- activity_email) only when it was the contact's newest and no row of the
-- same time is left; the one that appears moves last_at forward, as the
-- insert trigger (0012's, kept) does.
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
