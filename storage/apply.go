package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/calwatch/calwatch/calendly"
)

// The statements the writer prepares once on its connection.
const (
	sqlUpsertEvent = `
INSERT INTO events (uri, name, start_time, end_time, status, location, event_type, cancellation, created_at, updated_at, version)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (uri) DO UPDATE SET
    name = excluded.name, start_time = excluded.start_time, end_time = excluded.end_time,
    status = excluded.status, location = excluded.location, event_type = excluded.event_type,
    cancellation = excluded.cancellation, created_at = excluded.created_at,
    updated_at = excluded.updated_at, version = excluded.version
WHERE excluded.version > events.version`

	sqlInsertEventStub = `INSERT INTO events (uri) VALUES (?) ON CONFLICT (uri) DO NOTHING`

	// What hangs off an event (hosts, guests, invitees) names it by its id
	// (migration 0016), found by its URI in the statement that writes it:
	// the event or its stub is always written first.
	sqlEventID = `(SELECT id FROM events WHERE uri = ?1)`

	sqlDeleteEventHosts  = `DELETE FROM event_hosts WHERE event_id = ` + sqlEventID
	sqlDeleteEventGuests = `DELETE FROM event_guests WHERE event_id = ` + sqlEventID

	// An event's hosts and guests come as a JSON array of person each; the
	// array index is the position. A host is stored once (hosts) and named
	// by id.
	sqlInsertHosts = `
INSERT INTO hosts (uri, email, name)
SELECT p.value ->> 'uri', p.value ->> 'email', p.value ->> 'name' FROM json_each(?) AS p WHERE true
ON CONFLICT (uri, email, name) DO NOTHING`

	sqlInsertEventHosts = `
INSERT INTO event_hosts (event_id, host_id, position)
SELECT ` + sqlEventID + `, h.id, p.key FROM json_each(?2) AS p
JOIN hosts h ON h.uri = p.value ->> 'uri' AND h.email = p.value ->> 'email' AND h.name = p.value ->> 'name'
WHERE true ON CONFLICT DO NOTHING`

	sqlInsertEventGuests = `
INSERT INTO event_guests (event_id, email, email_stored, position)
SELECT ` + sqlEventID + `, p.value ->> 'contact', nullif(p.value ->> 'email', p.value ->> 'contact'), p.key
FROM json_each(?2) AS p WHERE true
ON CONFLICT DO NOTHING`

	sqlInsertGuestContacts = `
INSERT INTO contacts (email) SELECT value FROM json_each(?) WHERE true
ON CONFLICT (email) DO NOTHING`

	// Every invitee column but the name follows version; the name follows
	// name_version, which only observations with a name carry, so a later
	// delivery with "name": null does not erase a known name. name_version
	// is stored only where it differs from version (name_version_stored;
	// NULL: the same), which it nearly never does.
	sqlUpsertInvitee = `
INSERT INTO recipients (event_uri, event_id, role, key, email_stored, contact_email, name, status, timezone, answers,
    cancellation, canceled_at, rescheduled, created_at, updated_at, version, name_version_stored)
VALUES (?1, ` + sqlEventID + `, 'invitee', ?2, nullif(?3, ?4), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, nullif(?15, ?14))
ON CONFLICT (key) WHERE role = 'invitee' DO UPDATE SET
    event_uri     = iif(excluded.version > version, excluded.event_uri, event_uri),
    event_id      = iif(excluded.version > version, excluded.event_id, event_id),
    email_stored  = iif(excluded.version > version, excluded.email_stored, email_stored),
    contact_email = iif(excluded.version > version, excluded.contact_email, contact_email),
    status        = iif(excluded.version > version, excluded.status, status),
    timezone      = iif(excluded.version > version, excluded.timezone, timezone),
    answers       = iif(excluded.version > version, excluded.answers, answers),
    cancellation  = iif(excluded.version > version, excluded.cancellation, cancellation),
    canceled_at   = iif(excluded.version > version, excluded.canceled_at, canceled_at),
    rescheduled   = iif(excluded.version > version, excluded.rescheduled, rescheduled),
    created_at    = iif(excluded.version > version, excluded.created_at, created_at),
    updated_at    = iif(excluded.version > version, excluded.updated_at, updated_at),
    name          = iif(coalesce(excluded.name_version_stored, excluded.version) > name_version, excluded.name, name),
    name_version_stored = nullif(max(coalesce(excluded.name_version_stored, excluded.version), name_version),
        max(excluded.version, version)),
    version       = max(excluded.version, version)
WHERE excluded.version > version OR coalesce(excluded.name_version_stored, excluded.version) > name_version`

	sqlUpdateNoShow = `
UPDATE recipients SET no_show = ?, no_show_uri = ?, no_show_version = ?
WHERE role = 'invitee' AND key = ? AND no_show_version < ?`

	// A contact follows its newest observation. The name is set apart,
	// only when it changes, so contacts_name moves only when its key does
	// (a returning person keeps their name).
	sqlUpsertContact = `
INSERT INTO contacts (email, name, timezone, version) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (email) DO UPDATE SET timezone = excluded.timezone, version = excluded.version
WHERE excluded.version > contacts.version`

	sqlRenameContact = `UPDATE contacts SET name = ?2 WHERE email = ?1 AND version = ?3 AND name IS NOT ?2`

	sqlInsertLink = `INSERT INTO reschedules (old_invitee, new_invitee) VALUES (?, ?) ON CONFLICT DO NOTHING`
)

// statements are the writer's prepared statements, bound to its connection.
type statements struct {
	upsertEvent, insertEventStub, deleteEventHosts, deleteEventGuests     *sql.Stmt
	insertHosts, insertEventHosts, insertEventGuests                      *sql.Stmt
	insertGuestContacts                                                   *sql.Stmt
	upsertInvitee, updateNoShow, upsertContact, renameContact, insertLink *sql.Stmt
	loadInvitee, loadOlders, upsertActivity, deleteActivity               *sql.Stmt
	savepoint, release, rollbackTo                                        *sql.Stmt
}

func prepareStatements(ctx context.Context, conn *sql.Conn) (*statements, error) {
	st := new(statements)
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.upsertEvent, sqlUpsertEvent},
		{&st.insertEventStub, sqlInsertEventStub},
		{&st.deleteEventHosts, sqlDeleteEventHosts},
		{&st.deleteEventGuests, sqlDeleteEventGuests},
		{&st.insertHosts, sqlInsertHosts},
		{&st.insertEventHosts, sqlInsertEventHosts},
		{&st.insertEventGuests, sqlInsertEventGuests},
		{&st.insertGuestContacts, sqlInsertGuestContacts},
		{&st.upsertInvitee, sqlUpsertInvitee},
		{&st.updateNoShow, sqlUpdateNoShow},
		{&st.upsertContact, sqlUpsertContact},
		{&st.renameContact, sqlRenameContact},
		{&st.insertLink, sqlInsertLink},
		{&st.loadInvitee, sqlLoadInvitee},
		{&st.loadOlders, sqlLoadOlders},
		{&st.upsertActivity, sqlUpsertActivity},
		{&st.deleteActivity, sqlDeleteActivity},
		{&st.savepoint, "SAVEPOINT item"},
		{&st.release, "RELEASE item"},
		{&st.rollbackTo, "ROLLBACK TO item"},
	} {
		stmt, err := conn.PrepareContext(ctx, p.query)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("storage: preparing a statement: %w", err)
		}
		*p.dst = stmt
	}
	return st, nil
}

func (st *statements) close() {
	for _, s := range []*sql.Stmt{
		st.upsertEvent, st.insertEventStub, st.deleteEventHosts, st.deleteEventGuests,
		st.insertHosts, st.insertEventHosts, st.insertEventGuests, st.insertGuestContacts,
		st.upsertInvitee, st.updateNoShow, st.upsertContact, st.renameContact, st.insertLink,
		st.loadInvitee, st.loadOlders, st.upsertActivity, st.deleteActivity,
		st.savepoint, st.release, st.rollbackTo,
	} {
		if s != nil {
			_ = s.Close()
		}
	}
}

// applyChange writes one change into the open transaction.
func (st *statements) applyChange(ctx context.Context, c change) error {
	if c.eventURI == "" {
		return nil
	}
	if c.event != nil {
		if err := st.applyEvent(ctx, c.eventURI, c.event); err != nil {
			return err
		}
	} else if _, err := st.insertEventStub.ExecContext(ctx, c.eventURI); err != nil {
		return fmt.Errorf("storing event %s: %w", c.eventURI, err)
	}
	if c.invitee == nil {
		return nil
	}
	return st.applyInvitee(ctx, c)
}

// applyEvent stores a scheduled_event observation if it is newer than what
// is stored, and then replaces the event's hosts and guests with its own.
func (st *statements) applyEvent(ctx context.Context, uri string, ev *calendly.ScheduledEvent) error {
	status := ev.Status
	if status == "" {
		status = calendly.StatusActive
	}
	location, cancellation := encodeJSON(ev.Location), encodeJSON(ev.Cancellation)
	res, err := st.upsertEvent.ExecContext(ctx, uri, ev.Name, nullTime(ev.StartTime.Time), nullTime(ev.EndTime.Time),
		status, nullIfEmpty(location), ev.EventType, nullIfEmpty(cancellation),
		nullTime(ev.CreatedAt.Time), nullTime(ev.UpdatedAt.Time), eventVersion(ev, location, cancellation))
	if err != nil {
		return fmt.Errorf("storing event %s: %w", uri, err)
	}
	// Guests are contacts as soon as they are seen, whichever version wins.
	var guestEmails []string
	for _, g := range ev.EventGuests {
		if email := contactKey(g.Email); email != "" {
			guestEmails = append(guestEmails, email)
		}
	}
	if len(guestEmails) > 0 {
		if _, err := st.insertGuestContacts.ExecContext(ctx, encodeJSON(guestEmails)); err != nil {
			return fmt.Errorf("storing guest contacts of %s: %w", uri, err)
		}
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	for _, del := range []*sql.Stmt{st.deleteEventHosts, st.deleteEventGuests} {
		if _, err := del.ExecContext(ctx, uri); err != nil {
			return fmt.Errorf("replacing hosts and guests of %s: %w", uri, err)
		}
	}
	// One row per host key (the user URI, else the email) and per guest
	// email: the first one named wins.
	var hosts, guests []person
	seen := map[string]bool{}
	for _, m := range ev.EventMemberships {
		key := m.User
		if key == "" {
			key = contactKey(m.UserEmail)
		}
		if key != "" && !seen[key] {
			seen[key] = true
			hosts = append(hosts, person{URI: m.User, Email: m.UserEmail, Name: m.UserName})
		}
	}
	for _, g := range ev.EventGuests {
		if email := contactKey(g.Email); email != "" {
			guests = append(guests, person{Email: g.Email, Contact: email})
		}
	}
	if len(hosts) > 0 {
		people := encodeJSON(hosts)
		if _, err := st.insertHosts.ExecContext(ctx, people); err != nil {
			return fmt.Errorf("storing hosts of %s: %w", uri, err)
		}
		if _, err := st.insertEventHosts.ExecContext(ctx, uri, people); err != nil {
			return fmt.Errorf("storing hosts of %s: %w", uri, err)
		}
	}
	if len(guests) > 0 {
		if _, err := st.insertEventGuests.ExecContext(ctx, uri, encodeJSON(guests)); err != nil {
			return fmt.Errorf("storing guests of %s: %w", uri, err)
		}
	}
	return nil
}

// person is a host or a guest, handed to the statements as JSON so all of
// an event's hosts (or guests) are written by one statement.
type person struct {
	URI     string `json:"uri"`
	Email   string `json:"email"`
	Contact string `json:"contact"`
	Name    string `json:"name"`
}

// applyInvitee stores an invitee observation, its contact, its reschedule
// links and its no-show, then brings the activity rows it affects up to date.
func (st *statements) applyInvitee(ctx context.Context, c change) error {
	inv := c.invitee
	email := contactKey(inv.Email)
	name := inviteeName(inv)
	answers := inv.QuestionsAndAnswers
	if answers == nil {
		answers = []calendly.QuestionAnswer{}
	}
	answersJSON, cancellation := encodeJSON(answers), encodeJSON(inv.Cancellation)
	version := inviteeVersion(inv, answersJSON, cancellation)
	nameVersion := ""
	if name != "" {
		nameVersion = version
	}
	rescheduled := 0
	if inv.Rescheduled {
		rescheduled = 1
	}
	res, err := st.upsertInvitee.ExecContext(ctx, c.eventURI, inv.URI, inv.Email, email, name, inv.Status,
		calendly.Str(inv.Timezone), answersJSON, nullIfEmpty(cancellation), nullTime(canceledAt(inv)),
		rescheduled, nullTime(inv.CreatedAt.Time), nullTime(inv.UpdatedAt.Time), version, nameVersion)
	if err != nil {
		return fmt.Errorf("storing invitee %s: %w", inv.URI, err)
	}
	// Activity derives from invitee rows and links only: when neither
	// moved (a retry, an older observation) it needs no refresh.
	changed, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("storing invitee %s: %w", inv.URI, err)
	}
	if email != "" {
		nameRank := "0"
		if name != "" {
			nameRank = "1"
		}
		contactVersion := nameRank + "|" + storedTime(inv.UpdatedAt.Time) + "|" + inv.URI + "|" + version
		if _, err := st.upsertContact.ExecContext(ctx, email, name, calendly.Str(inv.Timezone), contactVersion); err != nil {
			return fmt.Errorf("storing contact of %s: %w", inv.URI, err)
		}
		if _, err := st.renameContact.ExecContext(ctx, email, name, contactVersion); err != nil {
			return fmt.Errorf("storing the name of the contact of %s: %w", inv.URI, err)
		}
	}
	touched := []string{inv.URI}
	for _, link := range [][2]string{{calendly.Str(inv.OldInvitee), inv.URI}, {inv.URI, calendly.Str(inv.NewInvitee)}} {
		if link[0] == "" || link[1] == "" || link[0] == link[1] {
			continue
		}
		res, err := st.insertLink.ExecContext(ctx, link[0], link[1])
		if err != nil {
			return fmt.Errorf("linking %s to %s: %w", link[0], link[1], err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("linking %s to %s: %w", link[0], link[1], err)
		} else if n > 0 {
			changed++
		}
		touched = append(touched, link[0], link[1])
	}
	if c.noShow != nil {
		if err := st.applyNoShow(ctx, c.eventURI, inv.URI, email, c.noShow); err != nil {
			return err
		}
	}
	if changed == 0 {
		return nil
	}
	slices.Sort(touched)
	for _, uri := range slices.Compact(touched) {
		if err := st.refreshActivity(ctx, uri); err != nil {
			return err
		}
	}
	return nil
}

// applyNoShow moves the invitee's no-show register if the mark is newer and
// records the mark as an activity (once, whatever the order).
func (st *statements) applyNoShow(ctx context.Context, eventURI, inviteeURI, email string, m *noShowMark) error {
	version := noShowVersion(m)
	flag := 0
	if m.marked {
		flag = 1
	}
	if _, err := st.updateNoShow.ExecContext(ctx, flag, m.uri, version, inviteeURI, version); err != nil {
		return fmt.Errorf("storing the no-show of %s: %w", inviteeURI, err)
	}
	if email == "" || m.observed {
		return nil
	}
	// The invitee row is stored (applyInvitee wrote it first): the
	// statement finds its id. Each mark is a row of its own.
	a := activity{inviteeID: idOfInvitee, email: email, at: storedTime(m.at), eventURI: eventURI, inviteeURI: inviteeURI}
	if m.marked {
		a.kind = KindNoShow
		a.mark = inviteeURI + "@" + a.at
		if m.uri != "" {
			a.mark = m.uri
		}
	} else {
		a.kind = KindNoShowRemoved
		a.mark = inviteeURI + "@" + a.at
	}
	a.identity = a.kind + ":" + a.mark
	return st.putActivity(ctx, a)
}
