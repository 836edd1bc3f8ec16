package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// withoutCheckpoints stops every checkpoint of s, so its WAL keeps every
// page written from the next walPages on.
func withoutCheckpoints(t *testing.T, s *Store) {
	t.Helper()
	if err := s.ckpt.close(); err != nil {
		t.Fatal(err)
	}
	s.ckpt = nil
	if _, err := s.conn.ExecContext(context.Background(), "PRAGMA wal_autocheckpoint = 0"); err != nil {
		t.Fatal(err)
	}
}

// idleWriterConn returns the writer's connection once the writer has
// finished what it does after a commit (the delivery log's upkeep runs
// after the first batch) and waits for work: a test may use the
// connection then, and never while the writer does. An empty write of its
// own is answered only after the writer is done with the batch before.
func idleWriterConn(t *testing.T, s *Store) *sql.Conn {
	t.Helper()
	if err := s.exec(context.Background(), func(context.Context, *sql.Conn) error { return nil }); err != nil {
		t.Fatal(err)
	}
	return s.conn
}

// walPages empties s's WAL (a checkpoint), runs write, and returns the
// database pages the WAL received.
func walPages(t *testing.T, s *Store, write func()) map[uint32]bool {
	t.Helper()
	var busy, frames, copied int
	if err := idleWriterConn(t, s).QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied); err != nil || busy != 0 {
		t.Fatalf("checkpoint: busy %d, %v", busy, err)
	}
	write()
	wal, err := os.ReadFile(s.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if len(wal) < 32 {
		t.Fatalf("the WAL holds %d bytes: nothing was written", len(wal))
	}
	pageSize := int(binary.BigEndian.Uint32(wal[8:12]))
	pages := map[uint32]bool{}
	for off := 32; off+24+pageSize <= len(wal); off += 24 + pageSize {
		pages[binary.BigEndian.Uint32(wal[off:off+4])] = true
	}
	return pages
}

// rootPages maps each table and index of s to its root page: in a store
// this small, its only page.
func rootPages(t *testing.T, s *Store) map[string]uint32 {
	t.Helper()
	rows, err := s.readDB.QueryContext(context.Background(), "SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	roots := map[string]uint32{}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			t.Fatal(err)
		}
		roots[name] = page
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return roots
}

// writtenTrees names the tables and indexes whose page is among pages.
func writtenTrees(roots map[string]uint32, pages map[uint32]bool) []string {
	var names []string
	for name, page := range roots {
		if pages[page] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// A cancellation changes the invitee's status and the event's, and nothing
// the invitee's contact, its event's id, the event's hosts or its guests
// are indexed by: their pages are not written again (each would be one more
// 4 KiB page in the WAL and again in the database, per cancellation).
func TestACancellationRewritesNoIndexItDoesNotChange(t *testing.T) {
	s := openTestStore(t)
	withoutCheckpoints(t, s)
	ev := newEvent("a", testT0, 1, "Guest@Example.com", "other@example.com")
	jane := newInvitee(ev, "1", "jane@example.com", "Jane Doe", testT0)
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, jane, ev), testT0))

	at := testT0.Add(2 * time.Hour)
	pages := walPages(t, s, func() {
		record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCanceled, at,
			cancelInvitee(jane, at), cancelEvent(ev, at, "Jane Doe")), at))
	})
	written := writtenTrees(rootPages(t, s), pages)
	t.Logf("written: %s", strings.Join(written, ", "))
	for _, changed := range []string{"recipients", "events", "events_start_status", "deliveries"} {
		if !slices.Contains(written, changed) {
			t.Errorf("%s was not written by the cancellation (written: %v): the pages are not read right", changed, written)
		}
	}
	for _, unchanged := range []string{"recipients_contact", "recipients_event_id", "event_hosts", "event_guests", "hosts", "contacts_name"} {
		if slices.Contains(written, unchanged) {
			t.Errorf("the cancellation wrote %s, where nothing changed", unchanged)
		}
	}

	evs := mustEvents(t, s, EventFilter{})
	if len(evs) != 1 || evs[0].Status != calendly.StatusCanceled || len(evs[0].Hosts) != 1 || len(evs[0].Invitees) != 1 ||
		evs[0].Invitees[0].Status != calendly.StatusCanceled {
		t.Fatalf("events = %+v", evs)
	}
	if got := guestEmails(evs[0]); !slices.Equal(got, []string{"Guest@Example.com", "other@example.com"}) {
		t.Errorf("guests = %v", got)
	}
	if c := mustContact(t, s, "jane@example.com"); c.Bookings != 1 || c.Cancellations != 1 || c.Name != "Jane Doe" {
		t.Errorf("contact = %+v", c.ContactView)
	}
}

func guestEmails(ev EventView) []string {
	var out []string
	for _, g := range ev.Guests {
		out = append(out, g.Email)
	}
	return out
}

// A newer observation of an event still replaces its hosts and guests
// (only what differs is written): a host gone and one added, guests
// reordered, one gone, one added, a duplicate email whose first spelling
// wins; an older observation afterwards changes none of it. The newer one
// comes as a booking (the event is written by insert, then update) and as
// a cancellation (by one upsert).
func TestANewerEventReplacesItsHostsAndGuests(t *testing.T) {
	for _, kind := range []string{calendly.EventInviteeCreated, calendly.EventInviteeCanceled} {
		t.Run(kind, func(t *testing.T) {
			s := openTestStore(t)
			ev := newEvent("a", testT0, 1, "a@example.com", "b@example.com")
			ev.EventMemberships = append(ev.EventMemberships, calendly.EventMembership{
				User: "https://api.calendly.com/users/second", UserEmail: "second@acme.example", UserName: "Second Host"})
			jane := newInvitee(ev, "1", "jane@example.com", "Jane Doe", testT0)
			first := signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, jane, ev), testT0)
			record(t, s, first)

			at := testT0.Add(time.Hour)
			moved := *ev
			later := *jane
			if kind == calendly.EventInviteeCanceled {
				moved = *cancelEvent(ev, at, "Jane Doe")
				later = *cancelInvitee(jane, at)
			}
			moved.UpdatedAt, later.UpdatedAt = calendly.NewTime(at), calendly.NewTime(at)
			moved.EventMemberships = []calendly.EventMembership{
				{User: "https://api.calendly.com/users/third", UserEmail: "third@acme.example", UserName: "Third Host"},
				ev.EventMemberships[0],
			}
			moved.EventGuests = []calendly.Guest{{Email: "C@example.com"}, {Email: "b@example.com"}, {Email: "c@example.com"}}
			record(t, s, signedDelivery(t, inviteeBody(t, kind, at, &later, &moved), at))
			// The first observation again, as a retry with another signature: older, so nothing moves back.
			record(t, s, signedDelivery(t, first.Body, at.Add(time.Second)))

			evs := mustEvents(t, s, EventFilter{})
			if len(evs) != 1 {
				t.Fatalf("events = %+v", evs)
			}
			var hosts []string
			for _, h := range evs[0].Hosts {
				hosts = append(hosts, h.Email)
			}
			if !slices.Equal(hosts, []string{"third@acme.example", hostEmail}) {
				t.Errorf("hosts = %v, want the newer observation's, in its order", hosts)
			}
			if got := guestEmails(evs[0]); !slices.Equal(got, []string{"C@example.com", "b@example.com"}) {
				t.Errorf("guests = %v, want the newer observation's, the first spelling of a repeated email", got)
			}
		})
	}
}

// The writer remembers host ids; a batch rolled back forgets them, so an
// id of a host row that was never committed is not used by the next
// batch (its event_hosts row would break the foreign key, or name another
// host).
func TestARolledBackHostIsNotRemembered(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	ev := newEvent("a", testT0, 1)
	ev.EventMemberships = []calendly.EventMembership{{User: "https://api.calendly.com/users/new", UserEmail: "new@acme.example", UserName: "New Host"}}
	jane := newInvitee(ev, "1", "jane@example.com", "Jane Doe", testT0)
	c, _ := changeFromDelivery(signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, jane, ev), testT0).Parsed)
	_, err := s.w.submit(ctx, &writeRequest{exec: func(ctx context.Context, conn *sql.Conn) error {
		return errors.Join(s.w.st.applyChange(ctx, c), errors.New("the item fails after the host is stored"))
	}})
	if err == nil {
		t.Fatal("the failing item succeeded")
	}
	if n := len(s.w.st.hosts); n != 0 {
		t.Errorf("after the rollback the writer remembers %d host ids", n)
	}
	record(t, s, signedDelivery(t, inviteeBody(t, calendly.EventInviteeCreated, testT0, jane, ev), testT0.Add(time.Second)))
	evs := mustEvents(t, s, EventFilter{})
	if len(evs) != 1 || len(evs[0].Hosts) != 1 || evs[0].Hosts[0].Email != "new@acme.example" {
		t.Fatalf("events = %+v", evs)
	}
}
