package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/calwatch/calwatch/calendly"
)

// Activity kinds, as ActivityView.Kind shows them.
const (
	KindBooked        = "booked"
	KindCanceled      = "canceled"
	KindRescheduled   = "rescheduled"
	KindNoShow        = "no_show"
	KindNoShowRemoved = "no_show_removed"
)

// The statements that keep activity (migration 0017: a row is keyed by
// its invitee's id, its kind and a mark, unique in activity_key; identity
// keeps the old text).
const (
	// sqlLoadInvitee reads, in one statement, what an invitee's activity
	// derives from and what of it is stored: the invitee row (its columns
	// NULL when only links know the invitee), the invitee it moved to
	// (the first in key order, should there be two), whether any invitee
	// moved to it, its booked, canceled and rescheduled rows, and whether
	// a rescheduled row kept from before it was stored (invitee_id 0) is
	// left.
	//
	// The URI is bound once, in the FROM clause: named in the joins'
	// conditions, a bound value made SQLite prepare the statement anew at
	// every run (about 50 µs each).
	sqlLoadInvitee = `
SELECT r.id, r.event_uri, r.contact_email, r.status, r.rescheduled,
    coalesce(r.created_at, r.updated_at, ''), coalesce(r.canceled_at, ''),
    coalesce((SELECT new_invitee FROM reschedules WHERE old_invitee = one.uri), ''),
    EXISTS (SELECT 1 FROM reschedules WHERE new_invitee = one.uri),
    b.email, b.at, b.event_uri, b.invitee_uri,
    c.email, c.at, c.event_uri, c.invitee_uri,
    m.email, m.at, m.event_uri, m.invitee_uri,
    u.invitee_id IS NOT NULL
FROM (SELECT ? AS uri) AS one
LEFT JOIN recipients r ON r.role = 'invitee' AND r.key = one.uri
LEFT JOIN activity b ON b.invitee_id = r.id AND b.kind = 'booked' AND b.mark = ''
LEFT JOIN activity c ON c.invitee_id = r.id AND c.kind = 'canceled' AND c.mark = ''
LEFT JOIN activity m ON m.invitee_id = coalesce(r.id, 0) AND m.kind = 'rescheduled' AND m.mark = iif(r.id IS NULL, one.uri, '')
LEFT JOIN activity u ON r.id IS NOT NULL AND u.invitee_id = 0 AND u.kind = 'rescheduled' AND u.mark = one.uri`

	sqlLoadOlders = `SELECT old_invitee FROM reschedules WHERE new_invitee = ? ORDER BY old_invitee`

	// A no-show's row is written with invitee_id -1: the statement finds
	// the id of its stored invitee (?8).
	sqlUpsertActivity = `
INSERT INTO activity (invitee_id, kind, mark, identity, email, at, event_stored, invitee_stored)
VALUES (iif(?1 >= 0, ?1, coalesce((SELECT id FROM recipients WHERE role = 'invitee' AND key = ?8), 0)), ?2, ?3, ?4, ?5, ?6,
    nullif(?7, substr(?8, 1, instr(?8, '/invitees/') - 1)), nullif(?8, substr(?4, length(?2) + 2)))
ON CONFLICT (invitee_id, kind, mark) DO UPDATE SET identity = excluded.identity, email = excluded.email,
    at = excluded.at, event_stored = excluded.event_stored, invitee_stored = excluded.invitee_stored
WHERE (identity, email, at, event_stored, invitee_stored) IS NOT
    (excluded.identity, excluded.email, excluded.at, excluded.event_stored, excluded.invitee_stored)`

	sqlDeleteActivity = `DELETE FROM activity WHERE invitee_id = ? AND kind = ? AND mark = ?`
)

// personRows is the condition that keeps the activity rows (alias a) of
// the person whose contact key is the SQL expression person: migration
// 0019's person_activity finds them through the person's invitees
// (recipients_contact, then activity_key), the rows of invitees moved to
// theirs, and activity_unkeyed; the rows it names are those whose email is
// the person's, each once.
func personRows(person string) string {
	return `a.rowid IN (SELECT row_id FROM person_activity WHERE person = ` + person + `)`
}

// idOfInvitee as an activity's inviteeID has the upsert find the id of
// the stored invitee named by inviteeURI.
const idOfInvitee = -1

// activity is one row of a contact's history, keyed by (inviteeID, kind,
// mark), so writing it again updates the row instead of adding one.
// identity is the text readers order ties and pages by.
type activity struct {
	inviteeID                                       int64
	mark                                            string
	identity, email, kind, at, eventURI, inviteeURI string
}

func (st *statements) putActivity(ctx context.Context, a activity) error {
	if _, err := st.upsertActivity.ExecContext(ctx, a.inviteeID, a.kind, a.mark, a.identity, a.email, a.at,
		a.eventURI, a.inviteeURI); err != nil {
		return fmt.Errorf("recording %s activity: %w", a.kind, err)
	}
	return nil
}

func (st *statements) dropActivity(ctx context.Context, inviteeID int64, kind, mark string) error {
	if _, err := st.deleteActivity.ExecContext(ctx, inviteeID, kind, mark); err != nil {
		return fmt.Errorf("removing %s activity: %w", kind, err)
	}
	return nil
}

// syncActivity makes the stored row of key (inviteeID, kind, mark) want,
// or removes it when want is not valid; it writes nothing when the row
// already is what it should be.
func (st *statements) syncActivity(ctx context.Context, inviteeID int64, kind, mark string, want activity, have storedRow) error {
	if !want.valid() {
		if !have.ok {
			return nil
		}
		return st.dropActivity(ctx, inviteeID, kind, mark)
	}
	if have.ok && have == (storedRow{ok: true, email: want.email, at: want.at, eventURI: want.eventURI, inviteeURI: want.inviteeURI}) {
		return nil
	}
	want.inviteeID, want.mark = inviteeID, mark
	return st.putActivity(ctx, want)
}

func (a activity) valid() bool { return a.email != "" }

// storedRow is what a stored activity row shows (ok: there is one).
type storedRow struct {
	ok                              bool
	email, at, eventURI, inviteeURI string
}

func (r *storedRow) scan(email, at, eventURI, inviteeURI sql.NullString) {
	*r = storedRow{ok: email.Valid, email: email.String, at: at.String, eventURI: eventURI.String, inviteeURI: inviteeURI.String}
}

// storedInvitee is the part of an invitee row its activity derives from,
// with the invitee's reschedule links and the activity rows stored of it.
type storedInvitee struct {
	present                 bool // false: only links mention this invitee
	id                      int64
	eventURI, email, status string
	rescheduled             bool
	createdAt, canceledAt   string
	movedTo                 string // the least invitee this one was rescheduled to
	movedFrom               bool   // some invitee was rescheduled to this one

	booked, canceled, moved storedRow // its rows of those kinds
	unstoredMoved           bool      // a rescheduled row from before it was stored is left
}

// key is the invitee id and mark its booked, canceled and rescheduled rows
// are stored under: its id, or 0 and its URI while it is not stored.
func (s storedInvitee) key(uri string) (int64, string) {
	if s.present {
		return s.id, ""
	}
	return 0, uri
}

func (st *statements) loadStoredInvitee(ctx context.Context, uri string) (storedInvitee, error) {
	var s storedInvitee
	var id sql.NullInt64
	var eventURI, email, status, createdAt, canceledAt sql.NullString
	var rescheduled sql.NullBool
	var rows [3][4]sql.NullString
	err := st.loadInvitee.QueryRowContext(ctx, uri).Scan(&id, &eventURI, &email, &status, &rescheduled,
		&createdAt, &canceledAt, &s.movedTo, &s.movedFrom,
		&rows[0][0], &rows[0][1], &rows[0][2], &rows[0][3],
		&rows[1][0], &rows[1][1], &rows[1][2], &rows[1][3],
		&rows[2][0], &rows[2][1], &rows[2][2], &rows[2][3],
		&s.unstoredMoved)
	if err != nil {
		return s, fmt.Errorf("reading invitee %s: %w", uri, err)
	}
	if s.present = id.Valid; s.present {
		s.id, s.eventURI, s.email, s.status = id.Int64, eventURI.String, email.String, status.String
		s.rescheduled, s.createdAt, s.canceledAt = rescheduled.Bool, createdAt.String, canceledAt.String
	}
	for i, r := range []*storedRow{&s.booked, &s.canceled, &s.moved} {
		r.scan(rows[i][0], rows[i][1], rows[i][2], rows[i][3])
	}
	return s, nil
}

// refreshActivity brings the booked, canceled and rescheduled rows that
// depend on invitee uri in line with the stored state. Those rows are a pure
// function of the invitee rows and the reschedule links, which is what makes
// the history the same in every delivery order:
//
//   - booked(I) exists when I is stored and is not the new half of a
//     reschedule; at = I's created_at.
//   - canceled(I) exists when I is canceled and was not rescheduled; at = the
//     cancellation's created_at.
//   - rescheduled(O) exists when O was rescheduled (a link O→N, or O says
//     rescheduled); it is about N when N is known: at = N's created_at, else
//     O's cancellation time.
//
// Each row is compared with what is stored and written only when it
// differs.
func (st *statements) refreshActivity(ctx context.Context, uri string) error {
	self, err := st.loadStoredInvitee(ctx, uri)
	if err != nil {
		return err
	}
	id, mark := self.key(uri)
	movedAway := self.movedTo != "" || self.rescheduled

	var booked, canceled, rescheduled activity // not valid: no such row
	if self.present && !self.movedFrom {
		booked = activity{identity: KindBooked + ":" + uri, email: self.email, kind: KindBooked,
			at: self.createdAt, eventURI: self.eventURI, inviteeURI: uri}
	}
	if self.present && self.status == calendly.StatusCanceled && !movedAway {
		canceled = activity{identity: KindCanceled + ":" + uri, email: self.email, kind: KindCanceled,
			at: self.canceledAt, eventURI: self.eventURI, inviteeURI: uri}
	}
	if movedAway {
		var next storedInvitee
		if self.movedTo != "" {
			if next, err = st.loadStoredInvitee(ctx, self.movedTo); err != nil {
				return err
			}
		}
		rescheduled = rescheduledRow(uri, self, self.movedTo, next)
	}
	for _, r := range []struct {
		kind string
		want activity
		have storedRow
	}{
		{KindBooked, booked, self.booked},
		{KindCanceled, canceled, self.canceled},
		{KindRescheduled, rescheduled, self.moved},
	} {
		if err := st.syncActivity(ctx, id, r.kind, mark, r.want, r.have); err != nil {
			return fmt.Errorf("invitee %s: %w", uri, err)
		}
	}
	// Stored now, its rescheduled row is kept under its id.
	if self.unstoredMoved {
		if err := st.dropActivity(ctx, 0, KindRescheduled, uri); err != nil {
			return fmt.Errorf("invitee %s: %w", uri, err)
		}
	}
	if self.movedFrom {
		return st.refreshMovedTo(ctx, uri, self)
	}
	return nil
}

// refreshMovedTo rewrites the rescheduled row of every invitee that was
// rescheduled to uri, since that row describes uri.
func (st *statements) refreshMovedTo(ctx context.Context, uri string, self storedInvitee) error {
	rows, err := st.loadOlders.QueryContext(ctx, uri)
	if err != nil {
		return fmt.Errorf("reading reschedules of %s: %w", uri, err)
	}
	var olders []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return fmt.Errorf("reading reschedules of %s: %w", uri, err)
		}
		olders = append(olders, o)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("reading reschedules of %s: %w", uri, err)
	}
	for _, oldURI := range olders {
		old, err := st.loadStoredInvitee(ctx, oldURI)
		if err != nil {
			return err
		}
		if old.movedTo != uri {
			continue // oldURI's rescheduled row is about another invitee
		}
		if a := rescheduledRow(oldURI, old, uri, self); a.valid() {
			id, mark := old.key(oldURI)
			if err := st.syncActivity(ctx, id, KindRescheduled, mark, a, old.moved); err != nil {
				return fmt.Errorf("invitee %s: %w", oldURI, err)
			}
		}
	}
	return nil
}

// rescheduledRow is the one rescheduled row of old (URI oldURI, possibly
// not stored) moving to newURI (possibly "" or not stored). It is not valid
// when no email is known yet.
func rescheduledRow(oldURI string, old storedInvitee, newURI string, next storedInvitee) activity {
	a := activity{identity: KindRescheduled + ":" + oldURI, kind: KindRescheduled, inviteeURI: oldURI}
	if newURI != "" {
		a.inviteeURI = newURI
	}
	switch {
	case old.present && old.email != "":
		a.email = old.email
	case next.present:
		a.email = next.email
	}
	switch {
	case next.present:
		a.at, a.eventURI = next.createdAt, next.eventURI
	case old.present:
		a.at, a.eventURI = old.canceledAt, old.eventURI
	}
	return a
}
