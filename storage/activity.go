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

func (st *statements) dropActivity(ctx context.Context, identity string) error {
	if _, err := st.deleteActivity.ExecContext(ctx, identity); err != nil {
		return fmt.Errorf("removing activity: %w", err)
	}
	return nil
}

// storedInvitee is the part of an invitee row its activity derives from.
type storedInvitee struct {
	eventURI, email, status string
	rescheduled             bool
	createdAt, canceledAt   string
}

func (st *statements) loadStoredInvitee(ctx context.Context, uri string) (*storedInvitee, error) {
	var s storedInvitee
	err := st.loadInvitee.QueryRowContext(ctx, uri).Scan(&s.eventURI, &s.email, &s.status, &s.rescheduled, &s.createdAt, &s.canceledAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading invitee %s: %w", uri, err)
	}
	return &s, nil
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
	rows, err := st.loadLinks.QueryContext(ctx, uri)
	if err != nil {
		return fmt.Errorf("reading reschedules of %s: %w", uri, err)
	}
	var newer string    // the first N with uri→N
	var olders []string // every O with O→uri
	for rows.Next() {
		var oldURI, newURI string
		if err := rows.Scan(&oldURI, &newURI); err != nil {
			rows.Close()
			return fmt.Errorf("reading reschedules of %s: %w", uri, err)
		}
		if oldURI == uri && newer == "" {
			newer = newURI
		}
		if newURI == uri {
			olders = append(olders, oldURI)
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("reading reschedules of %s: %w", uri, err)
	}
	rescheduledAway := newer != "" || (self != nil && self.rescheduled)

	if self != nil && len(olders) == 0 && self.email != "" {
		err = st.putActivity(ctx, activity{identity: KindBooked + ":" + uri, email: self.email, kind: KindBooked,
			at: self.createdAt, eventURI: self.eventURI, inviteeURI: uri})
	} else {
		err = st.dropActivity(ctx, KindBooked+":"+uri)
	}
	if err != nil {
		return err
	}
	if self != nil && self.status == calendly.StatusCanceled && !rescheduledAway && self.email != "" {
		err = st.putActivity(ctx, activity{identity: KindCanceled + ":" + uri, email: self.email, kind: KindCanceled,
			at: self.canceledAt, eventURI: self.eventURI, inviteeURI: uri})
	} else {
		err = st.dropActivity(ctx, KindCanceled+":"+uri)
	}
	if err != nil {
		return err
	}
	if rescheduledAway {
		next, err := st.loadStoredInvitee(ctx, newer)
		if newer == "" || err != nil {
			next = nil
		}
		if err := st.putRescheduled(ctx, uri, self, newer, next); err != nil {
			return err
		}
	} else if err := st.dropActivity(ctx, KindRescheduled+":"+uri); err != nil {
		return err
	}
	for _, oldURI := range olders {
		first, err := st.firstNewer(ctx, oldURI)
		if err != nil {
			return err
		}
		if first != uri {
			continue // the reschedule row of oldURI is about another invitee
		}
		old, err := st.loadStoredInvitee(ctx, oldURI)
		if err != nil {
			return err
		}
		if err := st.putRescheduled(ctx, oldURI, old, uri, self); err != nil {
			return err
		}
	}
	return nil
}

// firstNewer is the invitee oldURI was rescheduled to (the least URI, should
// Calendly ever report two).
func (st *statements) firstNewer(ctx context.Context, oldURI string) (string, error) {
	rows, err := st.loadLinks.QueryContext(ctx, oldURI)
	if err != nil {
		return "", fmt.Errorf("reading reschedules of %s: %w", oldURI, err)
	}
	defer rows.Close()
	for rows.Next() {
		var o, n string
		if err := rows.Scan(&o, &n); err != nil {
			return "", err
		}
		if o == oldURI {
			return n, nil
		}
	}
	return "", rows.Err()
}

// putRescheduled writes the one rescheduled row of old (URI oldURI, row
// possibly unknown) moving to newURI (row possibly unknown, URI possibly "").
func (st *statements) putRescheduled(ctx context.Context, oldURI string, old *storedInvitee, newURI string, next *storedInvitee) error {
	a := activity{identity: KindRescheduled + ":" + oldURI, kind: KindRescheduled, inviteeURI: oldURI}
	if newURI != "" {
		a.inviteeURI = newURI
	}
	switch {
	case old != nil && old.email != "":
		a.email = old.email
	case next != nil:
		a.email = next.email
	}
	switch {
	case next != nil:
		a.at, a.eventURI = next.createdAt, next.eventURI
	case old != nil:
		a.at, a.eventURI = old.canceledAt, old.eventURI
	}
	if a.email == "" {
		return st.dropActivity(ctx, a.identity)
	}
	return st.putActivity(ctx, a)
}
