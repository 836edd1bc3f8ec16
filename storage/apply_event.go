package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/calwatch/calwatch/calendly"
)

// An event a booking names is most likely new, so it is written in two
// steps: the insert, which does nothing when the URI is stored, and then
// the update; a new event is then known new, and its hosts and guests need
// no deletes. Any other observation (a cancellation, a no-show) most
// likely names a stored event: one upsert writes it only when the
// observation is newer and says whether it did. Either way the hosts and
// guests follow in statements that write only what differs (a row whose
// position is unchanged is left alone, a row no longer named is deleted),
// so a canceled event's pages of event_hosts and event_guests stay clean.
const (
	sqlInsertEvent = `
INSERT INTO events (uri, name, start_time, end_time, status, location, event_type, cancellation, created_at, updated_at, version)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (uri) DO NOTHING`

	sqlUpdateEvent = `
UPDATE events SET name = ?2, start_time = ?3, end_time = ?4, status = ?5, location = ?6, event_type = ?7,
    cancellation = ?8, created_at = ?9, updated_at = ?10, version = ?11
WHERE uri = ?1 AND ?11 > version
RETURNING id`

	sqlUpsertEvent = `
INSERT INTO events (uri, name, start_time, end_time, status, location, event_type, cancellation, created_at, updated_at, version)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
ON CONFLICT (uri) DO UPDATE SET
    name = excluded.name, start_time = excluded.start_time, end_time = excluded.end_time,
    status = excluded.status, location = excluded.location, event_type = excluded.event_type,
    cancellation = excluded.cancellation, created_at = excluded.created_at,
    updated_at = excluded.updated_at, version = excluded.version
WHERE excluded.version > events.version
RETURNING id`

	sqlInsertEventStub = `INSERT INTO events (uri) VALUES (?) ON CONFLICT (uri) DO NOTHING`

	// A host is stored once (hosts) and named by id; the writer keeps the
	// ids it has seen (hostIDs).
	sqlInsertHosts = `
INSERT INTO hosts (uri, email, name)
SELECT p.value ->> 'uri', p.value ->> 'email', p.value ->> 'name' FROM json_each(?) AS p WHERE true
ON CONFLICT (uri, email, name) DO NOTHING`

	sqlLoadHostIDs = `
SELECT p.key, h.id FROM json_each(?) AS p
JOIN hosts h ON h.uri = p.value ->> 'uri' AND h.email = p.value ->> 'email' AND h.name = p.value ->> 'name'`

	// An event's hosts come as a JSON array of host ids, its guests as a
	// JSON array of person; the array index is the position.
	sqlPutEventHosts = `
INSERT INTO event_hosts (event_id, host_id, position)
SELECT ?1, p.value, p.key FROM json_each(?2) AS p WHERE true
ON CONFLICT (event_id, host_id) DO UPDATE SET position = excluded.position WHERE position <> excluded.position`

	sqlDropStaleHosts = `
DELETE FROM event_hosts WHERE event_id = ?1 AND host_id NOT IN (SELECT value FROM json_each(?2))`

	// One row per guest email: the first one named wins (a later duplicate
	// in the same list updates nothing).
	sqlPutEventGuests = `
INSERT INTO event_guests (event_id, email, email_stored, position)
SELECT ?1, p.value ->> 'contact', nullif(p.value ->> 'email', p.value ->> 'contact'), p.key
FROM json_each(?2) AS p WHERE true
ON CONFLICT (event_id, email) DO UPDATE SET email_stored = excluded.email_stored, position = excluded.position
WHERE (email_stored, position) IS NOT (excluded.email_stored, excluded.position)
    AND NOT EXISTS (SELECT 1 FROM json_each(?2) AS q
        WHERE q.key < excluded.position AND q.value ->> 'contact' = excluded.email)`

	sqlDropStaleGuests = `
DELETE FROM event_guests WHERE event_id = ?1 AND email NOT IN (SELECT value ->> 'contact' FROM json_each(?2))`

	sqlInsertGuestContacts = `
INSERT INTO contacts (email) SELECT value FROM json_each(?) WHERE true
ON CONFLICT (email) DO NOTHING`
)

// applyEvent stores a scheduled_event observation if it is newer than what
// is stored, and then brings the event's hosts and guests in line with its
// own. It returns the event's id when a statement told it (0: unknown, the
// stored event did not change). booking says the event is most likely new.
func (st *statements) applyEvent(ctx context.Context, uri string, ev *calendly.ScheduledEvent, booking bool) (int64, error) {
	status := ev.Status
	if status == "" {
		status = calendly.StatusActive
	}
	location, cancellation := encodeJSON(ev.Location), encodeJSON(ev.Cancellation)
	args := []any{uri, ev.Name, nullTime(ev.StartTime.Time), nullTime(ev.EndTime.Time),
		status, nullIfEmpty(location), ev.EventType, nullIfEmpty(cancellation),
		nullTime(ev.CreatedAt.Time), nullTime(ev.UpdatedAt.Time), eventVersion(ev, location, cancellation)}
	var id int64
	fresh := false // known to be inserted just now
	if booking {
		res, err := st.insertEvent.ExecContext(ctx, args...)
		if err == nil {
			id, err = insertedID(res)
		}
		if err != nil {
			return 0, fmt.Errorf("storing event %s: %w", uri, err)
		}
		fresh = id != 0
	}
	if !fresh {
		update := st.upsertEvent
		if booking {
			update = st.updateEvent
		}
		if err := update.QueryRowContext(ctx, args...).Scan(&id); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("storing event %s: %w", uri, err)
		}
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
			return 0, fmt.Errorf("storing guest contacts of %s: %w", uri, err)
		}
	}
	if id == 0 {
		return 0, nil // the stored event is as new or newer
	}
	return id, st.putHostsAndGuests(ctx, uri, id, fresh, ev)
}

// putHostsAndGuests makes the event's hosts and guests its observation's:
// one row per host key (the user URI, else the email) and per guest email,
// the first one named winning. A new event has nothing to delete.
func (st *statements) putHostsAndGuests(ctx context.Context, uri string, id int64, fresh bool, ev *calendly.ScheduledEvent) error {
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
	ids, err := st.hostIDs(ctx, hosts)
	if err != nil {
		return fmt.Errorf("storing hosts of %s: %w", uri, err)
	}
	hostList := appendIDs(make([]byte, 0, 2+8*len(ids)), ids)
	if !fresh {
		if _, err := st.dropStaleHosts.ExecContext(ctx, id, hostList); err != nil {
			return fmt.Errorf("replacing hosts of %s: %w", uri, err)
		}
	}
	if len(ids) > 0 {
		if _, err := st.putEventHosts.ExecContext(ctx, id, hostList); err != nil {
			return fmt.Errorf("storing hosts of %s: %w", uri, err)
		}
	}
	guestList := "[]"
	if len(guests) > 0 {
		guestList = encodeJSON(guests)
	}
	if !fresh {
		if _, err := st.dropStaleGuests.ExecContext(ctx, id, guestList); err != nil {
			return fmt.Errorf("replacing guests of %s: %w", uri, err)
		}
	}
	if len(guests) > 0 {
		if _, err := st.putEventGuests.ExecContext(ctx, id, guestList); err != nil {
			return fmt.Errorf("storing guests of %s: %w", uri, err)
		}
	}
	return nil
}

// appendIDs appends ids as a JSON array.
func appendIDs(dst []byte, ids []int64) []byte {
	dst = append(dst, '[')
	for i, id := range ids {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, id, 10)
	}
	return append(dst, ']')
}

// maxRememberedHosts bounds the host id cache: past it (an account with
// that many hosts, or names that keep changing) the writer starts over.
const maxRememberedHosts = 1024

// hostKey is what a hosts row is unique by.
type hostKey struct{ uri, email, name string }

// hostIDs returns the hosts rows' ids of hosts, in order, storing those
// not stored yet. An account has few hosts, so the writer keeps every id
// it has seen: a host row is never deleted or changed, and the cache is
// emptied whenever a write is rolled back (forgetHosts), so an id it holds
// is always a committed row or one of the open transaction.
func (st *statements) hostIDs(ctx context.Context, hosts []person) ([]int64, error) {
	ids := make([]int64, len(hosts))
	var missing []person
	var at []int
	for i, h := range hosts {
		if id, ok := st.hosts[hostKey{h.URI, h.Email, h.Name}]; ok {
			ids[i] = id
			continue
		}
		missing = append(missing, h)
		at = append(at, i)
	}
	if len(missing) == 0 {
		return ids, nil
	}
	people := encodeJSON(missing)
	if _, err := st.insertHosts.ExecContext(ctx, people); err != nil {
		return nil, err
	}
	rows, err := st.loadHostIDs.QueryContext(ctx, people)
	if err != nil {
		return nil, err
	}
	found := 0
	for rows.Next() {
		var i int
		var id int64
		if err := rows.Scan(&i, &id); err != nil {
			rows.Close()
			return nil, err
		}
		if i < 0 || i >= len(missing) {
			continue
		}
		ids[at[i]] = id
		found++
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	if found != len(missing) {
		// Not expected: each was inserted or already there.
		return nil, fmt.Errorf("%d of %d hosts not found after storing them", len(missing)-found, len(missing))
	}
	if st.hosts == nil || len(st.hosts) > maxRememberedHosts {
		st.hosts = map[hostKey]int64{}
	}
	for j, h := range missing {
		st.hosts[hostKey{h.URI, h.Email, h.Name}] = ids[at[j]]
	}
	return ids, nil
}

// forgetHosts empties the host id cache: a rolled-back write may have
// inserted some of the hosts it holds.
func (st *statements) forgetHosts() { clear(st.hosts) }
