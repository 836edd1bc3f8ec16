package storage

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// change is one observation of Calendly's state, normalised from a webhook
// delivery or from a backfill read (a scheduled event and its invitees).
// Applying the same change twice, or a set of changes in any order, leaves
// the same state: every field is a last-writer-wins register keyed on
// Calendly's own timestamps, and every set is a union.
//
// eventURI is the invitee's "event": the scheduled_event object, when there
// is one, describes that event (Calendly's own doc examples give it a
// different uri, so its uri field is not used as a key).
type change struct {
	eventURI string
	event    *calendly.ScheduledEvent // nil: only the event's URI is known
	invitee  *calendly.Invitee        // nil: the change carries no invitee
	noShow   *noShowMark              // nil: says nothing about a no-show
}

// noShowMark is a no-show being marked or removed.
type noShowMark struct {
	marked bool
	at     time.Time // when Calendly says it happened
	uri    string    // the invitee_no_shows URI when known
	// observed marks a removal that is not an event but a read: a snapshot
	// taken at "at" showed no no-show. It moves the register like a removal
	// at that time, and adds no history row (nothing happened at "at").
	observed bool
}

// changeFromDelivery normalises a parsed delivery. ok is false for
// deliveries that change no booking (routing forms, event types, events
// calwatch does not know).
func changeFromDelivery(d *calendly.Delivery) (c change, ok bool) {
	if d == nil || d.Invitee == nil || d.Invitee.URI == "" || d.Invitee.Event == "" {
		return change{}, false
	}
	inv := *d.Invitee
	if inv.Status == "" {
		inv.Status = calendly.StatusActive
		if d.Event == calendly.EventInviteeCanceled {
			inv.Status = calendly.StatusCanceled
		}
	}
	c = change{eventURI: inv.Event, event: inv.ScheduledEvent, invitee: &inv}
	switch d.Event {
	case calendly.EventInviteeNoShowCreated:
		mark := noShowMark{marked: true, at: d.CreatedAt.Time}
		if inv.NoShow != nil {
			mark.uri = inv.NoShow.URI
			if !inv.NoShow.CreatedAt.IsZero() {
				mark.at = inv.NoShow.CreatedAt.Time
			}
		}
		c.noShow = &mark
	case calendly.EventInviteeNoShowDeleted:
		c.noShow = &noShowMark{marked: false, at: d.CreatedAt.Time}
	default:
		c.noShow = noShowFromSnapshot(&inv)
	}
	return c, true
}

// changesFromSnapshot normalises what a backfill read: a scheduled event
// and its invitees, as GET /scheduled_events and .../invitees return them.
// readAt is when the invitees were read (taken before the request went
// out); when set, the snapshot is authoritative for no-show state at that
// time, so a null no_show clears a mark made before it and a mark made after
// it (a later delivery) still wins. A zero readAt makes a null no_show say
// nothing.
func changesFromSnapshot(ev calendly.ScheduledEvent, invitees []calendly.Invitee, readAt time.Time) []change {
	if len(invitees) == 0 {
		return []change{{eventURI: ev.URI, event: &ev}}
	}
	out := make([]change, 0, len(invitees))
	for i := range invitees {
		inv := invitees[i]
		if inv.Status == "" {
			inv.Status = calendly.StatusActive
		}
		if inv.Event == "" {
			inv.Event = ev.URI
		}
		mark := noShowFromSnapshot(&inv)
		if mark == nil && !readAt.IsZero() {
			mark = &noShowMark{marked: false, at: readAt, observed: true}
		}
		out = append(out, change{eventURI: ev.URI, event: &ev, invitee: &inv, noShow: mark})
	}
	return out
}

// noShowFromSnapshot reads the no_show object an invitee may carry. A null
// no_show says nothing here: the mark may simply come later.
func noShowFromSnapshot(inv *calendly.Invitee) *noShowMark {
	if inv.NoShow == nil || inv.NoShow.CreatedAt.IsZero() {
		return nil
	}
	return &noShowMark{marked: true, at: inv.NoShow.CreatedAt.Time, uri: inv.NoShow.URI}
}

// storedTime is how times are kept: calendly.TimeLayout in UTC, fixed width
// so that strings sort as times; "" for the zero time.
func storedTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(calendly.TimeLayout)
}

// nullTime is storedTime as a column value: NULL for the zero time.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return storedTime(t)
}

// contentDigest is a short hash of an observation's stored fields: the
// deterministic tie-break between two observations that carry the same
// timestamp but different content. Fields are length-prefixed so no two
// field lists hash alike.
func contentDigest(fields ...string) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range fields {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// encodeJSON is v as JSON, "" for nil: how location, cancellation and
// answers are stored. Those, and the lists of people and emails an event
// hands its statements, are written without reflection (see jsontext.go),
// with the same bytes.
func encodeJSON(v any) string {
	var b []byte
	switch v := v.(type) {
	case []calendly.QuestionAnswer:
		b = appendAnswers(make([]byte, 0, 64+96*len(v)), v)
	case *calendly.Cancellation:
		b = appendCancellation(make([]byte, 0, 160), v)
	case []string:
		b = appendStrings(make([]byte, 0, 2+48*len(v)), v)
	case []person:
		b = appendPeople(make([]byte, 0, 2+160*len(v)), v)
	case *calendly.Location:
		if fast, ok := appendLocation(make([]byte, 0, 128), v); ok {
			b = fast
		}
	}
	if b != nil {
		if string(b) == "null" {
			return ""
		}
		return string(b)
	}
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return "" // only values decoded from JSON reach here; they always encode
	}
	return string(b)
}

// nullIfEmpty stores "" as NULL.
func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// statusRank makes canceled sort above active at any timestamp: Calendly
// never re-activates a canceled event or invitee, so canceled is sticky.
func statusRank(status string) string {
	if status == calendly.StatusCanceled {
		return "1"
	}
	return "0"
}

// eventVersion orders observations of one scheduled event; location and
// cancellation are their stored JSON.
func eventVersion(ev *calendly.ScheduledEvent, location, cancellation string) string {
	fields := []string{ev.Name, ev.Status, ev.EventType, storedTime(ev.StartTime.Time), storedTime(ev.EndTime.Time), location, cancellation}
	for _, m := range ev.EventMemberships {
		fields = append(fields, "host", m.User, m.UserEmail, m.UserName)
	}
	for _, g := range ev.EventGuests {
		fields = append(fields, "guest", g.Email)
	}
	return statusRank(ev.Status) + "|" + storedTime(ev.UpdatedAt.Time) + "|" + contentDigest(fields...)
}

// inviteeVersion orders observations of one invitee; answers and
// cancellation are their stored JSON.
func inviteeVersion(inv *calendly.Invitee, answers, cancellation string) string {
	rescheduled := "0"
	if inv.Rescheduled {
		rescheduled = "1"
	}
	digest := contentDigest(inviteeName(inv), inv.Email, inv.Status, calendly.Str(inv.Timezone), answers, cancellation,
		rescheduled, storedTime(inv.CreatedAt.Time), inv.Event)
	return statusRank(inv.Status) + "|" + storedTime(inv.UpdatedAt.Time) + "|" + digest
}

// inviteeName is the name Calendly gave, or first and last name joined.
func inviteeName(inv *calendly.Invitee) string {
	if n := strings.TrimSpace(inv.Name); n != "" {
		return n
	}
	return strings.TrimSpace(calendly.Str(inv.FirstName) + " " + calendly.Str(inv.LastName))
}

// noShowVersion orders the marks and removals of one invitee's no-show. At
// the same instant a mark wins over a removal.
func noShowVersion(m *noShowMark) string {
	rank := "0"
	if m.marked {
		rank = "1"
	}
	return storedTime(m.at) + "|" + rank + "|" + m.uri
}

// contactKey is how contacts are keyed: the lower-cased email.
func contactKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// canceledAt is when an invitee was canceled: the cancellation's own time,
// else the invitee's last update.
func canceledAt(inv *calendly.Invitee) time.Time {
	if inv.Status != calendly.StatusCanceled {
		return time.Time{}
	}
	if inv.Cancellation != nil && !inv.Cancellation.CreatedAt.IsZero() {
		return inv.Cancellation.CreatedAt.Time
	}
	return inv.UpdatedAt.Time
}
