package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// ContactSort is an order of the contacts list.
type ContactSort int

// The orders, the email breaking ties; the zero value is the most recently
// active first. Last activity and name are read from an index
// (contacts_last, contacts_name); the count orders from the contacts table
// itself (migration 0018 dropped their indexes, which every booking and
// no-show moved).
const (
	ContactsByLast     ContactSort = iota // newest activity first, no activity last
	ContactsByBookings                    // most bookings first
	ContactsByNoShows                     // most no-shows first
	ContactsByName                        // name (case-insensitive), then email
)

// String is the order's short name, as the contacts pane shows it.
func (s ContactSort) String() string {
	switch s {
	case ContactsByLast:
		return "last"
	case ContactsByBookings:
		return "bookings"
	case ContactsByNoShows:
		return "no-shows"
	case ContactsByName:
		return "name"
	}
	return fmt.Sprintf("ContactSort(%d)", int(s))
}

// ContactPage asks for one page of contacts in Sort's order, after the
// cursor, optionally only those whose name or email starts with Search
// (case-insensitive).
type ContactPage struct {
	Sort   ContactSort
	Search string
	// After is the last row of the previous page, as Contacts returned it;
	// nil for the first page.
	After *ContactView
	Limit int // at most 200; ≤ 0 means 50
}

func (q ContactPage) limit() int {
	switch {
	case q.Limit <= 0:
		return 50
	case q.Limit > 200:
		return 200
	}
	return q.Limit
}

// Contacts returns one page of contacts with their counts. Without a
// search a page in last-activity or name order is one range of the
// order's index after the cursor; in a count order it reads the whole
// contacts table and keeps the first rows after the cursor in a bounded
// sort (about 3 ms on 20,000 people). A search reads two index
// ranges (names on contacts_name, emails on the primary key): in name
// order it merges them; in the other orders it sorts the contacts that
// match, so a page costs as many rows as match.
func (p *Panes) Contacts(ctx context.Context, q ContactPage) ([]ContactView, error) {
	if q.Sort == ContactsByName && nonEmpty(q.Search) {
		return p.contactsByNameSearch(ctx, q)
	}
	query, args, err := contactsSQL(q)
	if err != nil {
		return nil, err
	}
	return p.contactRows(ctx, query, args...)
}

// sortKey is the column an order sorts on, most first, email ascending.
var sortKey = map[ContactSort]string{
	ContactsByLast:     "last_at",
	ContactsByBookings: "bookings",
	ContactsByNoShows:  "no_shows",
}

// contactsSQL is the query of one page of q (any search but a name-order
// one, which contactsByNameSearch merges from two queries).
func contactsSQL(q ContactPage) (string, []any, error) {
	var conds []string
	var args []any
	if q.Sort == ContactsByName {
		if q.After != nil {
			// The first term is a range on contacts_name; the row-value
			// form (name, email) > (?, ?) would not use the index.
			conds = append(conds, `c.name >= ? COLLATE NOCASE AND (c.name > ? COLLATE NOCASE OR c.email > ?)`)
			args = append(args, q.After.Name, q.After.Name, q.After.Email)
		}
		return sqlContacts + where(conds) + ` ORDER BY c.name COLLATE NOCASE, c.email LIMIT ?`, append(args, q.limit()), nil
	}
	col, ok := sortKey[q.Sort]
	if !ok {
		return "", nil, fmt.Errorf("storage: contacts have no order %d", int(q.Sort))
	}
	order := ` ORDER BY c.` + col + ` DESC, c.email`
	if nonEmpty(q.Search) {
		search := strings.TrimSpace(q.Search)
		nameLo, nameHi := prefixRange(search)
		emailLo, emailHi := prefixRange(strings.ToLower(search))
		conds = append(conds, `c.email IN (
    SELECT email FROM contacts WHERE name >= ? COLLATE NOCASE AND name < ? COLLATE NOCASE
    UNION SELECT email FROM contacts WHERE email >= ? AND email < ?)`)
		args = append(args, nameLo, nameHi, emailLo, emailHi)
		// The unary + keeps the planner off contacts_last: walking it
		// would read every contact to find the few that match.
		order = ` ORDER BY +c.` + col + ` DESC, c.email`
	}
	if q.After != nil {
		// Descending key, ascending email: the first term is the range
		// (of contacts_last; in a count order, what the scan keeps).
		key := afterKey(q.Sort, q.After)
		conds = append(conds, `c.`+col+` <= ? AND (c.`+col+` < ? OR c.email > ?)`)
		args = append(args, key, key, q.After.Email)
	}
	return sqlContacts + where(conds) + order + ` LIMIT ?`, append(args, q.limit()), nil
}

// afterKey is the stored sort key of the cursor row.
func afterKey(s ContactSort, c *ContactView) any {
	switch s {
	case ContactsByBookings:
		return c.Bookings
	case ContactsByNoShows:
		return c.NoShows
	}
	if c.LastActivityAt == nil {
		return ""
	}
	return storedTime(*c.LastActivityAt)
}

func where(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return ` WHERE ` + strings.Join(conds, ` AND `)
}

// contactsByNameSearch is a page of a search in name order: two index
// ranges, merged.
func (p *Panes) contactsByNameSearch(ctx context.Context, q ContactPage) ([]ContactView, error) {
	limit := q.limit()
	after, afterArgs := "", []any{nil, nil} // keeps ?5 the limit
	if q.After != nil {
		after = ` AND c.name >= ?3 COLLATE NOCASE AND (c.name > ?3 COLLATE NOCASE OR c.email > ?4)`
		afterArgs = []any{q.After.Name, q.After.Email}
	}
	const order = ` ORDER BY c.name COLLATE NOCASE, c.email LIMIT ?5`
	search := strings.TrimSpace(q.Search)
	nameLo, nameHi := prefixRange(search)
	byName, err := p.contactRows(ctx, sqlContacts+` WHERE `+contactByName+after+order,
		append(append([]any{nameLo, nameHi}, afterArgs...), limit)...)
	if err != nil {
		return nil, err
	}
	emailLo, emailHi := prefixRange(strings.ToLower(search))
	byEmail, err := p.contactRows(ctx, sqlContacts+` WHERE `+contactByEmail+after+order,
		append(append([]any{emailLo, emailHi}, afterArgs...), limit)...)
	if err != nil {
		return nil, err
	}
	return mergeContacts(byName, byEmail, limit), nil
}

// The two halves of a contact search: a name prefix on contacts_name (any
// ASCII case) and an email prefix on the primary key (stored lower-cased).
const (
	contactByName  = `c.name >= ?1 COLLATE NOCASE AND c.name < ?2 COLLATE NOCASE`
	contactByEmail = `c.email >= ?1 AND c.email < ?2`
)

// mergeContacts merges two pages in (name NOCASE, email) order, dropping
// the rows both hold, and keeps the first limit.
func mergeContacts(a, b []ContactView, limit int) []ContactView {
	out := make([]ContactView, 0, min(limit, len(a)+len(b)))
	for len(out) < limit && (len(a) > 0 || len(b) > 0) {
		switch {
		case len(b) == 0 || len(a) > 0 && contactBefore(a[0], b[0]):
			out, a = append(out, a[0]), a[1:]
		case len(a) > 0 && a[0].Email == b[0].Email:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		default:
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// contactBefore is SQLite's (name COLLATE NOCASE, email) order: NOCASE
// folds ASCII letters only.
func contactBefore(x, y ContactView) bool {
	if c := strings.Compare(asciiLower(x.Name), asciiLower(y.Name)); c != 0 {
		return c < 0
	}
	return x.Email < y.Email
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func (p *Panes) contactRows(ctx context.Context, query string, args ...any) ([]ContactView, error) {
	rows, err := p.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: reading contacts: %w", err)
	}
	defer rows.Close()
	var out []ContactView
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: reading contacts: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: reading contacts: %w", err)
	}
	return out, nil
}

// CountContacts says how many contacts match search ("" counts them all).
func (p *Panes) CountContacts(ctx context.Context, search string) (int, error) {
	query := `SELECT count(*) FROM contacts c`
	var args []any
	if search = strings.TrimSpace(search); search != "" {
		query += ` WHERE (c.name >= ?1 COLLATE NOCASE AND c.name < ?2 COLLATE NOCASE) OR (c.email >= ?3 AND c.email < ?4)`
		nameLo, nameHi := prefixRange(search)
		emailLo, emailHi := prefixRange(strings.ToLower(search))
		args = []any{nameLo, nameHi, emailLo, emailHi}
	}
	var n int
	if err := p.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: counting contacts: %w", err)
	}
	return n, nil
}

// ActivityRow is one change in a contact's history with the booking it is
// about.
type ActivityRow struct {
	ActivityView
	Identity   string // the cursor for the next page
	EventName  string
	EventStart time.Time // zero when the event is not stored yet
}

// ActivityPage asks for a contact's history, newest first, after a cursor.
type ActivityPage struct {
	Email string
	// AfterAt and AfterIdentity are the last row of the previous page
	// (AfterAt as stored, from ActivityRow.At); both zero for the first.
	AfterAt       time.Time
	AfterIdentity string
	Limit         int // at most 200; ≤ 0 means 50
}

// sqlActivityPage reads the first page of one person's activity (bound:
// the contact key, the limit); sqlActivityPageAfter the page after a row
// (bound: the key, its at and identity, the limit).
var (
	sqlActivityPage      = activityPageQuery("")
	sqlActivityPageAfter = activityPageQuery(` AND (a.at, a.identity) < (?, ?)`)
)

func activityPageQuery(cursor string) string {
	return `
SELECT a.identity, a.kind, a.at, a.event_uri, a.invitee_uri, coalesce(e.name, ''), e.start_time
FROM activity a LEFT JOIN events e ON e.uri = a.event_uri
WHERE ` + personRows("?") + cursor + `
ORDER BY a.at DESC, a.identity DESC LIMIT ?`
}

// ContactActivity returns a page of one contact's history, newest first,
// read through the person's invitees (personRows) and sorted: a person has
// few rows.
func (p *Panes) ContactActivity(ctx context.Context, q ActivityPage) ([]ActivityRow, error) {
	limit := ContactPage{Limit: q.Limit}.limit()
	query := sqlActivityPage
	args := []any{contactKey(q.Email)}
	if q.AfterIdentity != "" {
		query = sqlActivityPageAfter
		args = append(args, storedTime(q.AfterAt), q.AfterIdentity)
	}
	args = append(args, limit)
	rows, err := p.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: reading activity: %w", err)
	}
	defer rows.Close()
	var out []ActivityRow
	for rows.Next() {
		var a ActivityRow
		var at, start sql.NullString
		if err := rows.Scan(&a.Identity, &a.Kind, &at, &a.EventURI, &a.InviteeURI, &a.EventName, &start); err != nil {
			return nil, fmt.Errorf("storage: reading activity: %w", err)
		}
		if a.At, err = parseStoredPtr(at); err != nil {
			return nil, err
		}
		if a.EventStart, err = parseStored(start); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: reading activity: %w", err)
	}
	return out, nil
}
