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

// activity is one row of a contact's history. identity names the change it
// describes, so writing it again updates the row instead of adding one.
type activity struct {
	identity, email, kind, at, eventURI, inviteeURI string
}

func (st *statements) putActivity(ctx context.Context, a activity) error {
	if _, err := st.upsertActivity.ExecContext(ctx, a.identity, a.email, a.kind, a.at, a.eventURI, a.inviteeURI); err != nil {
		return fmt.Errorf("recording %s activity: %w", a.kind, err)
	}
	return nil
}

func (a activity) valid() bool { return a.email != "" }

// storedInvitee is the part of an invitee row its activity derives from,
// with the invitee's reschedule links.
type storedInvitee struct {
	present                 bool // false: only links mention this invitee
	eventURI, email, status string
	rescheduled             bool
	createdAt, canceledAt   string
	movedTo                 string // the least invitee this one was rescheduled to
	movedFrom               bool   // some invitee was rescheduled to this one
}

func (st *statements) loadStoredInvitee(ctx context.Context, uri string) (storedInvitee, error) {
	s := storedInvitee{present: true}
	err := st.loadInvitee.QueryRowContext(ctx, uri).Scan(&s.eventURI, &s.email, &s.status, &s.rescheduled,
		&s.createdAt, &s.canceledAt, &s.movedTo, &s.movedFrom)
	if errors.Is(err, sql.ErrNoRows) {
		s = storedInvitee{}
		err = st.loadLinks.QueryRowContext(ctx, uri).Scan(&s.movedTo, &s.movedFrom)
	}
	if err != nil {
		return s, fmt.Errorf("reading invitee %s: %w", uri, err)
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
func (st *statements) refreshActivity(ctx context.Context, uri string) error {
	self, err := st.loadStoredInvitee(ctx, uri)
	if err != nil {
		return err
	}
	booked, canceled, rescheduled := KindBooked+":"+uri, KindCanceled+":"+uri, KindRescheduled+":"+uri
	var drop [3]string // identities that must not exist; "" matches nothing
	movedAway := self.movedTo != "" || self.rescheduled

	if self.present && !self.movedFrom && self.email != "" {
		err = st.putActivity(ctx, activity{identity: booked, email: self.email, kind: KindBooked,
			at: self.createdAt, eventURI: self.eventURI, inviteeURI: uri})
		if err != nil {
			return err
		}
	} else {
		drop[0] = booked
	}
	if self.present && self.status == calendly.StatusCanceled && !movedAway && self.email != "" {
		err = st.putActivity(ctx, activity{identity: canceled, email: self.email, kind: KindCanceled,
			at: self.canceledAt, eventURI: self.eventURI, inviteeURI: uri})
		if err != nil {
			return err
		}
	} else {
		drop[1] = canceled
	}
	if movedAway {
		var next storedInvitee
		if self.movedTo != "" {
			if next, err = st.loadStoredInvitee(ctx, self.movedTo); err != nil {
				return err
			}
		}
		if a := rescheduledRow(uri, self, self.movedTo, next); !a.valid() {
			drop[2] = rescheduled
		} else if err := st.putActivity(ctx, a); err != nil {
			return err
		}
	} else {
		drop[2] = rescheduled
	}
	if drop != [3]string{} {
		if _, err := st.deleteActivity.ExecContext(ctx, drop[0], drop[1], drop[2]); err != nil {
			return fmt.Errorf("removing activity of %s: %w", uri, err)
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
			if err := st.putActivity(ctx, a); err != nil {
				return err
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
