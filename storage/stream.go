package storage

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"strings"
	"time"
)

// streamPage is how many events Events reads people for at once: memory
// stays bounded by one page, whatever the store holds.
const streamPage = 256

// Events streams stored events in ListEvents' order (earliest start first,
// events whose start is not known yet last), at most f.Limit of them, with
// their people read a page at a time. Every row comes from one read
// transaction, so the list is consistent while a listener writes. Stop
// early by breaking out of the loop; an error ends the sequence.
func (s *Store) Events(ctx context.Context, f EventFilter) iter.Seq2[EventView, error] {
	return func(yield func(EventView, error) bool) {
		conds, args, err := eventConds(f)
		if err != nil {
			yield(EventView{}, err)
			return
		}
		tx, err := s.readDB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			yield(EventView{}, fmt.Errorf("storage: reading events: %w", err))
			return
		}
		defer func() { _ = tx.Rollback() }()
		left := f.Limit
		if left <= 0 {
			left = -1
		}
		// Events with a start come in index order; those without (stubs
		// no scheduled_event reached yet) after them, only when no date
		// range is asked for.
		parts := []string{sqlEventsStarting}
		if f.From.IsZero() && f.To.IsZero() {
			parts = append(parts, sqlEventsUnstarted)
		}
		for _, part := range parts {
			query := strings.Replace(part, "/*conds*/", andConds(conds), 1)
			n, ok := streamEvents(ctx, tx, query, append(args, left), yield)
			if !ok {
				return
			}
			if left > 0 {
				if left -= n; left == 0 {
					return
				}
			}
		}
	}
}

// The two halves of Events: each walks an index in the order it prints.
const (
	sqlEventsStarting = `SELECT ` + eventColumns + ` FROM events
WHERE start_time IS NOT NULL /*conds*/ ORDER BY start_time, uri LIMIT ?`
	sqlEventsUnstarted = `SELECT ` + eventColumns + ` FROM events
WHERE start_time IS NULL /*conds*/ ORDER BY uri LIMIT ?`
)

func andConds(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return "AND " + strings.Join(conds, " AND ")
}

// streamEvents yields the events query selects with their people, a page
// at a time; n is how many it read, ok false when it must stop (the caller
// broke off or an error was yielded).
func streamEvents(ctx context.Context, tx *sql.Tx, query string, args []any, yield func(EventView, error) bool) (n int, ok bool) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		yield(EventView{}, fmt.Errorf("storage: reading events: %w", err))
		return 0, false
	}
	defer rows.Close()
	page := make([]EventView, 0, streamPage)
	ids := make([]int64, 0, streamPage)
	flush := func() bool {
		if len(page) == 0 {
			return true
		}
		if err := readPeople(ctx, tx, page, ids); err != nil {
			yield(EventView{}, err)
			return false
		}
		for _, ev := range page {
			if !yield(ev, nil) {
				return false
			}
		}
		page, ids = page[:0], ids[:0]
		return true
	}
	for rows.Next() {
		ev, id, err := scanEvent(rows)
		if err != nil {
			yield(EventView{}, err)
			return n, false
		}
		n++
		ids = append(ids, id)
		if page = append(page, ev); len(page) == streamPage && !flush() {
			return n, false
		}
	}
	if err := rows.Err(); err != nil {
		yield(EventView{}, fmt.Errorf("storage: reading events: %w", err))
		return n, false
	}
	return n, flush()
}

// eventConds turns a filter into SQL conditions over the events table.
func eventConds(f EventFilter) ([]string, []any, error) {
	where, args, err := eventWhere(f)
	if err != nil || where == "" {
		return nil, args, err
	}
	return []string{strings.TrimPrefix(where, " WHERE ")}, args, nil
}

// ContactFilter narrows Contacts. Zero fields do not filter.
type ContactFilter struct {
	// Search keeps contacts whose name or email starts with it (any case).
	Search string
	// From and To keep contacts with some activity in [From, To).
	From, To time.Time
	Limit    int // at most this many; ≤ 0: all
}

// Contacts streams contacts in ListContacts' order (most recently active
// first, email breaking ties, those never active last), at most f.Limit of
// them. Each contact keeps its counts and last activity as columns (kept by
// triggers, migration 0011), so the whole list is one walk of the
// contacts_last index in the order it prints. A search reads two index
// ranges (names on contacts_name, emails on the primary key) and sorts
// what matched; a date range is checked per contact on its own activity
// rows (personRows).
func (s *Store) Contacts(ctx context.Context, f ContactFilter) iter.Seq2[ContactView, error] {
	return func(yield func(ContactView, error) bool) {
		query, args := contactsQuery(f)
		rows, err := s.readDB.QueryContext(ctx, query, args...)
		if err != nil {
			yield(ContactView{}, fmt.Errorf("storage: reading contacts: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanContact(rows)
			if err != nil {
				yield(ContactView{}, fmt.Errorf("storage: reading contacts: %w", err))
				return
			}
			if !yield(c, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(ContactView{}, fmt.Errorf("storage: reading contacts: %w", err))
		}
	}
}

// contactsQuery is the SQL of Contacts for f: each contact's row, most
// recently active first. last_at is ” for a contact never active, the
// least of strings, so one descending order puts them last.
func contactsQuery(f ContactFilter) (string, []any) {
	var conds []string
	var args []any
	order := ` ORDER BY c.last_at DESC, c.email`
	if search := strings.TrimSpace(f.Search); search != "" {
		nameLo, nameHi := prefixRange(search)
		emailLo, emailHi := prefixRange(strings.ToLower(search))
		// Two index ranges, united: names on contacts_name, emails on the
		// primary key (stored lower-cased).
		conds = append(conds, `c.email IN (
    SELECT email FROM contacts WHERE name >= ? COLLATE NOCASE AND name < ? COLLATE NOCASE
    UNION SELECT email FROM contacts WHERE email >= ? AND email < ?)`)
		args = append(args, nameLo, nameHi, emailLo, emailHi)
		// The unary + keeps the planner off the order's index: walking it
		// would read every contact to find the few that match.
		order = ` ORDER BY +c.last_at DESC, c.email`
	}
	if !f.From.IsZero() || !f.To.IsZero() {
		from, to := "", "\U0010FFFF"
		if !f.From.IsZero() {
			from = storedTime(f.From)
		}
		if !f.To.IsZero() {
			to = storedTime(f.To)
		}
		conds = append(conds, `EXISTS (SELECT 1 FROM activity a WHERE `+personRows("c.email")+` AND a.at >= ? AND a.at < ? AND a.at <> '')`)
		args = append(args, from, to)
	}
	query := sqlContacts
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	return query + order + ` LIMIT ?`, append(args, limit)
}
