package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// jsonAppender is a value that writes its own JSON, as jsonArrayWriter
// (pretty) or jsonLinesWriter (compact) would through encoding/json and
// escapeSteering, byte for byte, without reflection: events list prints
// every stored event, and encoding/json was most of its time.
type jsonAppender interface {
	appendJSON(dst []byte, pretty bool) ([]byte, error)
}

// eventJSON is one event of `events list --json`.
type eventJSON struct{ ev *storage.EventView }

func (e eventJSON) appendJSON(dst []byte, pretty bool) ([]byte, error) {
	w := jsonWriter{b: dst, pretty: pretty}
	ev := e.ev
	w.open('{')
	w.key("uri")
	w.str(ev.URI)
	w.key("name")
	w.str(ev.Name)
	w.key("start_time")
	w.timePtr(ev.StartTime)
	w.key("end_time")
	w.timePtr(ev.EndTime)
	w.key("status")
	w.str(ev.Status)
	w.key("location")
	w.location(ev.Location)
	w.key("hosts")
	jsonArray(&w, ev.Hosts, func(h *storage.HostView) {
		w.open('{')
		w.key("name")
		w.str(h.Name)
		w.key("email")
		w.str(h.Email)
		w.key("uri")
		w.str(h.URI)
		w.close('}')
	})
	w.key("invitees")
	jsonArray(&w, ev.Invitees, w.invitee)
	w.key("guests")
	jsonArray(&w, ev.Guests, func(g *storage.GuestView) {
		w.open('{')
		w.key("email")
		w.str(g.Email)
		w.close('}')
	})
	w.key("cancellation")
	w.cancellation(ev.Cancellation)
	w.close('}')
	return w.b, w.err
}

func (w *jsonWriter) invitee(inv *storage.InviteeView) {
	w.open('{')
	w.key("uri")
	w.str(inv.URI)
	w.key("name")
	w.str(inv.Name)
	w.key("email")
	w.str(inv.Email)
	w.key("status")
	w.str(inv.Status)
	w.key("timezone")
	w.str(inv.Timezone)
	w.key("no_show")
	w.b = strconv.AppendBool(w.b, inv.NoShow)
	w.key("rescheduled_from")
	w.strPtr(inv.RescheduledFrom)
	w.key("rescheduled_to")
	w.strPtr(inv.RescheduledTo)
	w.key("questions_and_answers")
	jsonArray(w, inv.QuestionsAndAnswers, func(qa *calendly.QuestionAnswer) {
		w.open('{')
		w.key("question")
		w.str(qa.Question)
		w.key("answer")
		w.str(qa.Answer)
		w.key("position")
		w.b = strconv.AppendInt(w.b, int64(qa.Position), 10)
		w.close('}')
	})
	w.close('}')
}

// jsonArray writes items as an array, each by one; a nil slice is null,
// as encoding/json has it.
func jsonArray[T any](w *jsonWriter, items []T, one func(*T)) {
	if items == nil {
		w.null()
		return
	}
	w.open('[')
	for i := range items {
		w.elem()
		one(&items[i])
	}
	w.close(']')
}

// location writes calendly.Location as its struct tags say: type always,
// the rest when not empty, data (raw JSON) compacted and indented as
// encoding/json does.
func (w *jsonWriter) location(l *calendly.Location) {
	if l == nil {
		w.null()
		return
	}
	w.open('{')
	w.key("type")
	w.str(l.Type)
	for _, f := range [...]struct{ name, value string }{
		{"location", l.Location}, {"additional_info", l.AdditionalInfo}, {"join_url", l.JoinURL},
		{"status", l.Status}, {"phone_number", l.PhoneNumber},
	} {
		if f.value != "" {
			w.key(f.name)
			w.str(f.value)
		}
	}
	if len(l.Data) > 0 {
		w.key("data")
		w.raw(l.Data)
	}
	w.close('}')
}

func (w *jsonWriter) cancellation(c *calendly.Cancellation) {
	if c == nil {
		w.null()
		return
	}
	w.open('{')
	w.key("canceled_by")
	w.str(c.CanceledBy)
	w.key("reason")
	w.strPtr(c.Reason)
	w.key("canceler_type")
	w.str(c.CancelerType)
	if !c.CreatedAt.IsZero() { // omitzero
		w.key("created_at")
		w.marshaler(c.CreatedAt)
	}
	w.close('}')
}

// jsonWriter appends JSON laid out as json.Encoder with SetIndent("  ",
// "  ") lays it out (pretty) or compact, strings escaped as encoding/json
// escapes them without HTML escaping, then as escapeSteering does. The
// first error sticks.
type jsonWriter struct {
	b      []byte
	pretty bool
	depth  int
	empty  bool // the container just opened has no member yet
	err    error
}

func (w *jsonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.empty = true
}

func (w *jsonWriter) close(c byte) {
	w.depth--
	if !w.empty {
		w.newline()
	}
	w.b = append(w.b, c)
	w.empty = false
}

// elem starts an array element.
func (w *jsonWriter) elem() {
	if !w.empty {
		w.b = append(w.b, ',')
	}
	w.empty = false
	w.newline()
}

// key starts an object member; its value follows.
func (w *jsonWriter) key(k string) {
	w.elem()
	w.str(k)
	w.b = append(w.b, ':')
	if w.pretty {
		w.b = append(w.b, ' ')
	}
}

// newline starts a line at the current depth: the array writer's prefix
// ("  ") and an indent per level.
func (w *jsonWriter) newline() {
	if !w.pretty {
		return
	}
	w.b = append(w.b, '\n', ' ', ' ')
	for range w.depth {
		w.b = append(w.b, ' ', ' ')
	}
}

func (w *jsonWriter) null() { w.b = append(w.b, "null"...) }

func (w *jsonWriter) strPtr(s *string) {
	if s == nil {
		w.null()
		return
	}
	w.str(*s)
}

func (w *jsonWriter) timePtr(t *time.Time) {
	if t == nil {
		w.null()
		return
	}
	w.marshaler(*t)
}

// marshaler writes what a value's own MarshalJSON gives (a time: a quoted
// string or null, never anything to indent).
func (w *jsonWriter) marshaler(m json.Marshaler) {
	b, err := m.MarshalJSON()
	if err != nil {
		w.fail(err)
		return
	}
	w.b = append(w.b, escapeSteering(b)...)
}

// raw writes raw JSON as encoding/json writes a json.RawMessage: checked
// and compacted (an error if it is not JSON), then laid out at the current
// depth.
func (w *jsonWriter) raw(m json.RawMessage) {
	var compact bytes.Buffer
	if err := json.Compact(&compact, m); err != nil {
		w.fail(fmt.Errorf("json: error calling MarshalJSON for type json.RawMessage: %w", err))
		return
	}
	if !w.pretty {
		w.b = append(w.b, escapeSteering(compact.Bytes())...)
		return
	}
	var indented bytes.Buffer
	_ = json.Indent(&indented, compact.Bytes(), strings.Repeat("  ", w.depth+1), "  ") // compact is valid JSON
	w.b = append(w.b, escapeSteering(indented.Bytes())...)
}

func (w *jsonWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// str writes s as a JSON string: encoding/json's escapes (", \, control
// characters, invalid UTF-8 as \ufffd, U+2028 and U+2029; not <, >, &),
// then escapeSteering's (C1 controls and bidirectional overrides).
func (w *jsonWriter) str(s string) {
	w.b = storage.AppendJSONString(w.b, s, false, steersTerminal)
}
