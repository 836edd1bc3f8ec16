package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// parseStored reads a time column; "" and NULL are the zero time.
func parseStored(s sql.NullString) (time.Time, error) {
	if !s.Valid || s.String == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: stored time %q is unreadable: %w", s.String, err)
	}
	return t.UTC(), nil
}

func parseStoredPtr(s sql.NullString) (*time.Time, error) {
	t, err := parseStored(s)
	if err != nil || t.IsZero() {
		return nil, err
	}
	return &t, nil
}

// eventWhere turns a filter into SQL over the events table.
func eventWhere(f EventFilter) (string, []any, error) {
	var conds []string
	var args []any
	if !f.From.IsZero() {
		conds, args = append(conds, "start_time >= ?"), append(args, storedTime(f.From))
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "start_time < ?"), append(args, storedTime(f.To))
	}
	switch f.Status {
	case "":
	case calendly.StatusActive, calendly.StatusCanceled:
		conds, args = append(conds, "status = ?"), append(args, f.Status)
	default:
		return "", nil, fmt.Errorf("storage: unknown event status %q; use active or canceled", f.Status)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// ListEvents returns stored events, earliest start first (events whose
// start is not known yet last). Events streams the same rows.
func (s *Store) ListEvents(ctx context.Context, f EventFilter) ([]EventView, error) {
	events := []EventView{}
	for ev, err := range s.Events(ctx, f) {
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// readEvents reads the events where selects and their ids, in the same
// order (for readPeople).
func readEvents(ctx context.Context, tx *sql.Tx, where string, args []any) ([]EventView, []int64, error) {
	rows, err := tx.QueryContext(ctx, `
SELECT `+eventColumns+` FROM events`+where+`
ORDER BY start_time IS NULL, start_time, uri`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: reading events: %w", err)
	}
	defer rows.Close()
	events, ids := []EventView{}, []int64{}
	for rows.Next() {
		ev, id, err := scanEvent(rows)
		if err != nil {
			return nil, nil, err
		}
		events, ids = append(events, ev), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("storage: reading events: %w", err)
	}
	return events, ids, nil
}

// eventColumns are what scanEvent reads.
const eventColumns = `id, uri, name, start_time, end_time, status, location, cancellation`

// scanEvent reads one row of eventColumns: the event, and its id, by which
// its people are found.
func scanEvent(rows *sql.Rows) (ev EventView, id int64, err error) {
	var start, end, location, cancellation sql.NullString
	if err := rows.Scan(&id, &ev.URI, &ev.Name, &start, &end, &ev.Status, &location, &cancellation); err != nil {
		return ev, 0, fmt.Errorf("storage: reading events: %w", err)
	}
	if ev.StartTime, err = parseStoredPtr(start); err != nil {
		return ev, 0, err
	}
	if ev.EndTime, err = parseStoredPtr(end); err != nil {
		return ev, 0, err
	}
	if ev.Location, err = decodeColumn[calendly.Location](location); err != nil {
		return ev, 0, err
	}
	if ev.Cancellation, err = decodeColumn[calendly.Cancellation](cancellation); err != nil {
		return ev, 0, err
	}
	ev.Hosts, ev.Invitees, ev.Guests = []HostView{}, []InviteeView{}, []GuestView{}
	return ev, id, nil
}

// readPeople fills in the hosts, invitees and guests of events, whose ids
// are ids (in the same order).
func readPeople(ctx context.Context, tx *sql.Tx, events []EventView, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	index := make(map[int64]int, len(ids))
	for i, id := range ids {
		index[id] = i
	}
	selected, arg := oneEventPeople, any(ids[0])
	if len(ids) > 1 {
		selected, arg = pagePeople, encodeJSON(ids)
	}
	rows, err := tx.QueryContext(ctx, peopleQuery(selected), arg, arg, arg)
	if err != nil {
		return fmt.Errorf("storage: reading event people: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var eventID int64
		var role, uri, email, name, status, timezone, answers string
		var noShow bool
		var from, to sql.NullString
		if err := rows.Scan(&eventID, &role, &uri, &email, &name, &status, &timezone, &noShow, &answers, &from, &to); err != nil {
			return fmt.Errorf("storage: reading event people: %w", err)
		}
		i, ok := index[eventID]
		if !ok {
			continue
		}
		ev := &events[i]
		switch role {
		case "host":
			ev.Hosts = append(ev.Hosts, HostView{Name: name, Email: email, URI: uri})
		case "guest":
			ev.Guests = append(ev.Guests, GuestView{Email: email})
		case "invitee":
			iv := InviteeView{URI: uri, Name: name, Email: email, Status: status, Timezone: timezone, NoShow: noShow,
				QuestionsAndAnswers: []calendly.QuestionAnswer{}}
			if from.Valid {
				iv.RescheduledFrom = &from.String
			}
			if to.Valid {
				iv.RescheduledTo = &to.String
			}
			if err := json.Unmarshal([]byte(answers), &iv.QuestionsAndAnswers); err != nil {
				return fmt.Errorf("storage: answers of %s are unreadable: %w", uri, err)
			}
			if iv.QuestionsAndAnswers == nil {
				iv.QuestionsAndAnswers = []calendly.QuestionAnswer{}
			}
			ev.Invitees = append(ev.Invitees, iv)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: reading event people: %w", err)
	}
	return nil
}

// The sets of event ids peopleQuery takes: one event's, or a page of
// events' given as a JSON array.
const (
	oneEventPeople = `(?)`
	pagePeople     = `(SELECT value FROM json_each(?))`
)

// peopleQuery reads the people of the events whose ids selected gives, a
// parenthesised SQL set such as "(?)" (its arguments are given three
// times): hosts, guests and invitees, each from its own table, in (event,
// role, position) order. The ids go straight to each table's event index
// (the event's id leads event_hosts' and event_guests' keys and
// recipients_event_id), as the caller has read them with the events.
func peopleQuery(selected string) string {
	return `
SELECT event_id, role, uri, email, name, status, timezone, no_show, answers, moved_from, moved_to FROM (
SELECT eh.event_id, 'host' AS role, h.uri, h.email, h.name, '' AS status, '' AS timezone, 0 AS no_show, '[]' AS answers,
    NULL AS moved_from, NULL AS moved_to, eh.position, NULL AS created_at, h.id AS k
FROM event_hosts eh JOIN hosts h ON h.id = eh.host_id WHERE eh.event_id IN ` + selected + `
UNION ALL
SELECT g.event_id, 'guest', '', coalesce(g.email_stored, g.email), '', '', '', 0, '[]', NULL, NULL, g.position, NULL, g.email
FROM event_guests g WHERE g.event_id IN ` + selected + `
UNION ALL
SELECT r.event_id, r.role, r.uri, r.email, r.name, r.status, r.timezone, r.no_show, r.answers,
    (SELECT min(old_invitee) FROM reschedules WHERE new_invitee = r.key),
    (SELECT min(new_invitee) FROM reschedules WHERE old_invitee = r.key),
    r.position, r.created_at, r.key
FROM recipients r WHERE r.event_id IN ` + selected + ` AND r.role = 'invitee')
ORDER BY event_id, role, position, created_at, k`
}

func decodeColumn[T any](s sql.NullString) (*T, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	v := new(T)
	if err := json.Unmarshal([]byte(s.String), v); err != nil {
		return nil, fmt.Errorf("storage: a stored %T is unreadable: %w", *v, err)
	}
	return v, nil
}

const sqlContacts = `
SELECT c.email, c.name, c.timezone, c.bookings, c.cancels, c.no_shows, nullif(c.last_at, '') AS last
FROM contacts c`

func scanContact(rows interface{ Scan(...any) error }) (ContactView, error) {
	var c ContactView
	var last sql.NullString
	if err := rows.Scan(&c.Email, &c.Name, &c.Timezone, &c.Bookings, &c.Cancellations, &c.NoShows, &last); err != nil {
		return c, err
	}
	var err error
	c.LastActivityAt, err = parseStoredPtr(last)
	return c, err
}

// ListContacts returns every contact, most recently active first.
// Contacts streams the same rows.
func (s *Store) ListContacts(ctx context.Context) ([]ContactView, error) {
	out := []ContactView{}
	for c, err := range s.Contacts(ctx, ContactFilter{}) {
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// sqlContactShowActivity reads one contact's whole history (personRows),
// newest first.
var sqlContactShowActivity = `
SELECT a.kind, a.at, a.event_uri, a.invitee_uri FROM activity a WHERE ` + personRows("?") + `
ORDER BY a.at DESC, a.identity`

// Contact returns one contact by email (any case), or ErrNotFound.
func (s *Store) Contact(ctx context.Context, email string) (ContactDetail, error) {
	key := contactKey(email)
	tx, err := s.readDB.BeginTx(ctx, nil)
	if err != nil {
		return ContactDetail{}, fmt.Errorf("storage: reading contact: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	c, err := scanContact(tx.QueryRowContext(ctx, sqlContacts+` WHERE c.email = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return ContactDetail{}, fmt.Errorf("storage: no contact with email %q: %w", key, ErrNotFound)
	}
	if err != nil {
		return ContactDetail{}, fmt.Errorf("storage: reading contact: %w", err)
	}
	detail := ContactDetail{ContactView: c, Activity: []ActivityView{}}
	rows, err := tx.QueryContext(ctx, sqlContactShowActivity, key)
	if err != nil {
		return ContactDetail{}, fmt.Errorf("storage: reading activity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var a ActivityView
		var at sql.NullString
		if err := rows.Scan(&a.Kind, &at, &a.EventURI, &a.InviteeURI); err != nil {
			return ContactDetail{}, fmt.Errorf("storage: reading activity: %w", err)
		}
		if a.At, err = parseStoredPtr(at); err != nil {
			return ContactDetail{}, err
		}
		detail.Activity = append(detail.Activity, a)
	}
	if err := rows.Err(); err != nil {
		return ContactDetail{}, fmt.Errorf("storage: reading activity: %w", err)
	}
	return detail, nil
}
