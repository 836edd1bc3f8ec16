package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

var testSigningKey = []byte("storage-test-signing-key")

// fataler is what the helpers need of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// queryer is a connection, a pool or a transaction.
type queryer interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// textRows runs query and returns each row as its columns' text joined by
// " | " (NULL as "").
func textRows(t fataler, q queryer, query string, args ...any) []string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		texts := make([]string, len(cols))
		for i, v := range vals {
			texts[i] = v.String
		}
		out = append(out, strings.Join(texts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// openTestStore opens a fresh database in a temporary folder and closes it
// when the test ends.
func openTestStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// signedDelivery signs body at signedAt as Calendly would and parses it the
// way the listener does, so the delivery is a real one.
func signedDelivery(t fataler, body []byte, signedAt time.Time) IncomingDelivery {
	t.Helper()
	header := calendly.Sign(testSigningKey, signedAt, body)
	sig, err := calendly.Verify(header, body, testSigningKey, signedAt, 0)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	parsed, err := calendly.ParseDelivery(body)
	if err != nil {
		t.Fatalf("ParseDelivery: %v", err)
	}
	return IncomingDelivery{ReceivedAt: signedAt, SignatureHeader: header, ReplayKey: sig.ReplayKey(), Body: body, Parsed: parsed}
}

// envelope is a webhook body as Calendly sends it.
type envelope struct {
	CreatedAt calendly.Time `json:"created_at"`
	CreatedBy string        `json:"created_by"`
	Event     string        `json:"event"`
	Payload   any           `json:"payload"`
}

func webhookBody(t fataler, event string, at time.Time, payload any) []byte {
	t.Helper()
	b, err := json.Marshal(envelope{CreatedAt: calendly.NewTime(at), CreatedBy: hostURI, Event: event, Payload: payload})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return b
}

const (
	hostURI   = "https://api.calendly.com/users/00000000-0000-0000-0000-0000000000a1"
	hostEmail = "host@acme.example"
	hostName  = "Acme Host"
)

var testT0 = time.Date(2026, 6, 1, 9, 0, 0, 123456000, time.UTC)

func eventURI(id string) string { return "https://api.calendly.com/scheduled_events/ev-" + id }

func inviteeURI(ev, id string) string { return eventURI(ev) + "/invitees/inv-" + id }

// newEvent is a scheduled event created at "at", starting a day later.
func newEvent(id string, at time.Time, limit int, guests ...string) *calendly.ScheduledEvent {
	ev := &calendly.ScheduledEvent{
		URI: eventURI(id), Name: "Intro call " + id, Status: calendly.StatusActive,
		StartTime: calendly.NewTime(at.Add(24 * time.Hour)), EndTime: calendly.NewTime(at.Add(24*time.Hour + 30*time.Minute)),
		EventType:       "https://api.calendly.com/event_types/et-1",
		Location:        &calendly.Location{Type: "zoom", JoinURL: "https://zoom.example/j/" + id, Status: "pushed"},
		InviteesCounter: calendly.InviteesCounter{Total: 1, Active: 1, Limit: limit},
		CreatedAt:       calendly.NewTime(at), UpdatedAt: calendly.NewTime(at),
		EventMemberships: []calendly.EventMembership{{User: hostURI, UserEmail: hostEmail, UserName: hostName}},
		EventGuests:      []calendly.Guest{},
	}
	for _, g := range guests {
		ev.EventGuests = append(ev.EventGuests, calendly.Guest{Email: g, CreatedAt: calendly.NewTime(at), UpdatedAt: calendly.NewTime(at)})
	}
	return ev
}

// cancelEvent returns ev canceled at "at".
func cancelEvent(ev *calendly.ScheduledEvent, at time.Time, by string) *calendly.ScheduledEvent {
	c := *ev
	c.Status = calendly.StatusCanceled
	c.UpdatedAt = calendly.NewTime(at)
	c.Cancellation = &calendly.Cancellation{CanceledBy: by, Reason: calendly.Ptr("conflict"), CancelerType: "invitee", CreatedAt: calendly.NewTime(at)}
	return &c
}

// newInvitee is an active invitee of ev created at "at".
func newInvitee(ev *calendly.ScheduledEvent, id, email, name string, at time.Time) *calendly.Invitee {
	return &calendly.Invitee{
		URI: ev.URI + "/invitees/inv-" + id, Email: email, Name: name, Status: calendly.StatusActive,
		QuestionsAndAnswers: []calendly.QuestionAnswer{{Question: "Anything to prepare?", Answer: "Agenda " + id, Position: 0}},
		Timezone:            calendly.Ptr("Europe/Berlin"), Event: ev.URI,
		CreatedAt: calendly.NewTime(at), UpdatedAt: calendly.NewTime(at),
		CancelURL: "https://calendly.com/cancellations/" + id, RescheduleURL: "https://calendly.com/reschedulings/" + id,
	}
}

// cancelInvitee returns inv canceled at "at".
func cancelInvitee(inv *calendly.Invitee, at time.Time) *calendly.Invitee {
	c := *inv
	c.Status = calendly.StatusCanceled
	c.UpdatedAt = calendly.NewTime(at)
	c.Cancellation = &calendly.Cancellation{CanceledBy: inv.Name, Reason: calendly.Ptr("conflict"), CancelerType: "invitee", CreatedAt: calendly.NewTime(at)}
	return &c
}

// inviteeBody is an invitee.* or invitee_no_show.* delivery about inv with
// the event snapshot ev (nil: the 2020 shape without scheduled_event).
func inviteeBody(t fataler, event string, at time.Time, inv *calendly.Invitee, ev *calendly.ScheduledEvent) []byte {
	t.Helper()
	p := *inv
	p.ScheduledEvent = ev
	return webhookBody(t, event, at, p)
}

// record records every delivery in order, failing the test on error.
func record(t fataler, s *Store, ds ...IncomingDelivery) []DeliveryRecord {
	t.Helper()
	out := make([]DeliveryRecord, 0, len(ds))
	for i, d := range ds {
		rec, err := s.RecordDelivery(context.Background(), d)
		if err != nil {
			t.Fatalf("RecordDelivery #%d (%s): %v", i, d.Parsed.Event, err)
		}
		out = append(out, rec)
	}
	return out
}

// snapshot is everything a user can read back, as JSON for easy diffs.
func snapshot(t fataler, s *Store) string {
	t.Helper()
	ctx := context.Background()
	events, err := s.ListEvents(ctx, EventFilter{})
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	contacts, err := s.ListContacts(ctx)
	if err != nil {
		t.Fatalf("ListContacts: %v", err)
	}
	details := make([]ContactDetail, 0, len(contacts))
	for _, c := range contacts {
		d, err := s.Contact(ctx, c.Email)
		if err != nil {
			t.Fatalf("Contact(%s): %v", c.Email, err)
		}
		details = append(details, d)
	}
	b, err := json.MarshalIndent(map[string]any{"events": events, "contacts": contacts, "details": details}, "", "  ")
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func mustEvents(t fataler, s *Store, f EventFilter) []EventView {
	t.Helper()
	evs, err := s.ListEvents(context.Background(), f)
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	return evs
}

func mustContact(t fataler, s *Store, email string) ContactDetail {
	t.Helper()
	c, err := s.Contact(context.Background(), email)
	if err != nil {
		t.Fatalf("Contact(%s): %v", email, err)
	}
	return c
}

func kinds(acts []ActivityView) []string {
	out := make([]string, len(acts))
	for i, a := range acts {
		out[i] = fmt.Sprintf("%s %s", a.Kind, a.InviteeURI)
	}
	return out
}
