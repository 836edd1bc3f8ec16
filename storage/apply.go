package storage

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/calwatch/calwatch/calendly"
)

// The statements the writer prepares once on its connection (the event's
// are in apply_event.go). A statement that would change nothing writes
// nothing: SQLite rewrites the index entries of every column an UPDATE
// sets, equal or not, and each entry rewritten dirties its page, which the
// commit writes to the WAL and the checkpoint again.
const (
	// Every invitee column but the name follows version; the name follows
	// name_version, which only observations with a name carry, so a later
	// delivery with "name": null does not erase a known name. name_version
	// is stored only where it differs from version (name_version_stored;
	// NULL: the same), which it nearly never does. The event's id is ?16
	// when the caller knows it.
	//
	// The upsert leaves the indexed columns (contact_email, event_id) and
	// event_uri, which a foreign key checks, out of its SET, so a newer
	// observation (a cancellation) does not rewrite their entries in
	// recipients_contact and recipients_event_id; it updates a row only
	// when they are unchanged or not taken. When it updates nothing and
	// they are to change, sqlUpdateInvitee (run only then) writes them with
	// the rest.
	sqlUpsertInvitee = `
INSERT INTO recipients (event_uri, event_id, role, key, email_stored, contact_email, name, status, timezone, answers,
    cancellation, canceled_at, rescheduled, created_at, updated_at, version, name_version_stored)
VALUES (?1, ` + sqlInviteeEventID + `, 'invitee', ?2, nullif(?3, ?4), ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, nullif(?15, ?14))
ON CONFLICT (key) WHERE role = 'invitee' DO UPDATE SET
    email_stored  = iif(excluded.version > version, excluded.email_stored, email_stored),
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
WHERE (excluded.version > version OR coalesce(excluded.name_version_stored, excluded.version) > name_version)
    AND (excluded.version <= version OR (contact_email IS excluded.contact_email
        AND event_id IS excluded.event_id AND event_uri IS excluded.event_uri))`

	// sqlUpdateInvitee is the upsert's update for a newer observation that
	// moves the invitee to another contact or event (the arguments are the
	// upsert's).
	sqlUpdateInvitee = `
UPDATE recipients SET
    event_uri = ?1, event_id = ` + sqlInviteeEventID + `, email_stored = nullif(?3, ?4), contact_email = ?4,
    status = ?6, timezone = ?7, answers = ?8, cancellation = ?9, canceled_at = ?10, rescheduled = ?11,
    created_at = ?12, updated_at = ?13,
    name = iif(coalesce(nullif(?15, ?14), ?14) > name_version, ?5, name),
    name_version_stored = nullif(max(coalesce(nullif(?15, ?14), ?14), name_version), ?14),
    version = ?14
WHERE role = 'invitee' AND key = ?2 AND ?14 > version`

	sqlInviteeEventID = `coalesce(?16, (SELECT id FROM events WHERE uri = ?1))`

	sqlUpdateNoShow = `
UPDATE recipients SET no_show = ?, no_show_uri = ?, no_show_version = ?
WHERE role = 'invitee' AND key = ? AND no_show_version < ?`

	// A contact follows its newest observation. The upsert leaves the name
	// alone, so contacts_name moves only when its key does (a returning
	// person keeps their name): it updates a row only when the name is the
	// same, and when it updates nothing, sqlUpdateContact (run only then)
	// writes a newer observation's other name with the rest.
	sqlUpsertContact = `
INSERT INTO contacts (email, name, timezone, version) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (email) DO UPDATE SET timezone = excluded.timezone, version = excluded.version
WHERE excluded.version > contacts.version AND contacts.name IS excluded.name`

	sqlUpdateContact = `UPDATE contacts SET name = ?2, timezone = ?3, version = ?4 WHERE email = ?1 AND ?4 > version`

	sqlInsertLink = `INSERT INTO reschedules (old_invitee, new_invitee) VALUES (?, ?) ON CONFLICT DO NOTHING`
)

// statements are the writer's prepared statements, bound to its connection,
// and what the writer remembers between them.
type statements struct {
	insertEvent, updateEvent, upsertEvent, insertEventStub    *sql.Stmt
	insertGuestContacts                                       *sql.Stmt
	insertHosts, loadHostIDs, putEventHosts, dropStaleHosts   *sql.Stmt
	putEventGuests, dropStaleGuests                           *sql.Stmt
	upsertInvitee, updateInvitee, updateNoShow, upsertContact *sql.Stmt
	updateContact, insertLink                                 *sql.Stmt
	loadInvitee, loadOlders, upsertActivity, deleteActivity   *sql.Stmt
	savepoint, release, rollbackTo                            *sql.Stmt

	hosts map[hostKey]int64 // host ids seen (hostIDs); emptied by a rollback
}

func prepareStatements(ctx context.Context, conn *sql.Conn) (*statements, error) {
	st := new(statements)
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&st.insertEvent, sqlInsertEvent},
		{&st.updateEvent, sqlUpdateEvent},
		{&st.upsertEvent, sqlUpsertEvent},
		{&st.insertEventStub, sqlInsertEventStub},
		{&st.insertGuestContacts, sqlInsertGuestContacts},
		{&st.insertHosts, sqlInsertHosts},
		{&st.loadHostIDs, sqlLoadHostIDs},
		{&st.putEventHosts, sqlPutEventHosts},
		{&st.dropStaleHosts, sqlDropStaleHosts},
		{&st.putEventGuests, sqlPutEventGuests},
		{&st.dropStaleGuests, sqlDropStaleGuests},
		{&st.upsertInvitee, sqlUpsertInvitee},
		{&st.updateInvitee, sqlUpdateInvitee},
		{&st.updateNoShow, sqlUpdateNoShow},
		{&st.upsertContact, sqlUpsertContact},
		{&st.updateContact, sqlUpdateContact},
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
		st.insertEvent, st.updateEvent, st.upsertEvent, st.insertEventStub, st.insertGuestContacts,
		st.insertHosts, st.loadHostIDs, st.putEventHosts, st.dropStaleHosts,
		st.putEventGuests, st.dropStaleGuests,
		st.upsertInvitee, st.updateInvitee, st.updateNoShow, st.upsertContact,
		st.updateContact, st.insertLink,
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
	var eventID int64 // 0: the statements find it by URI
	if c.event != nil {
		// A hint only (either way the event is stored right): a booking's
		// event is most likely new, a cancellation's or a no-show's stored.
		booking := c.invitee == nil ||
			c.invitee.Status != calendly.StatusCanceled && (c.noShow == nil || c.noShow.observed)
		id, err := st.applyEvent(ctx, c.eventURI, c.event, booking)
		if err != nil {
			return err
		}
		eventID = id
	} else {
		res, err := st.insertEventStub.ExecContext(ctx, c.eventURI)
		if err == nil {
			eventID, err = insertedID(res)
		}
		if err != nil {
			return fmt.Errorf("storing event %s: %w", c.eventURI, err)
		}
	}
	if c.invitee == nil {
		return nil
	}
	return st.applyInvitee(ctx, c, eventID)
}

// insertedID is the rowid an INSERT … ON CONFLICT DO NOTHING gave its row,
// 0 when it inserted none.
func insertedID(res sql.Result) (int64, error) {
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return 0, err
	}
	return res.LastInsertId()
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
func (st *statements) applyInvitee(ctx context.Context, c change, eventID int64) error {
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
	var knownEventID any // NULL: the statements find it by URI
	if eventID != 0 {
		knownEventID = eventID
	}
	args := []any{c.eventURI, inv.URI, inv.Email, email, name, inv.Status,
		calendly.Str(inv.Timezone), answersJSON, nullIfEmpty(cancellation), nullTime(canceledAt(inv)),
		rescheduled, nullTime(inv.CreatedAt.Time), nullTime(inv.UpdatedAt.Time), version, nameVersion, knownEventID}
	// Activity derives from invitee rows and links only: when neither
	// moved (a retry, an older observation) it needs no refresh.
	changed, err := execUnlessDone(ctx, st.upsertInvitee, st.updateInvitee, args...)
	if err != nil {
		return fmt.Errorf("storing invitee %s: %w", inv.URI, err)
	}
	if email != "" {
		nameRank := "0"
		if name != "" {
			nameRank = "1"
		}
		contactVersion := nameRank + "|" + storedTime(inv.UpdatedAt.Time) + "|" + inv.URI + "|" + version
		if _, err := execUnlessDone(ctx, st.upsertContact, st.updateContact, email, name, calendly.Str(inv.Timezone), contactVersion); err != nil {
			return fmt.Errorf("storing contact of %s: %w", inv.URI, err)
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

// execUnlessDone runs first, and then, only when first changed no row,
// then, with the same arguments; it returns the rows they changed.
func execUnlessDone(ctx context.Context, first, then *sql.Stmt, args ...any) (int64, error) {
	res, err := first.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return n, err
	}
	if res, err = then.ExecContext(ctx, args...); err != nil {
		return 0, err
	}
	return res.RowsAffected()
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
