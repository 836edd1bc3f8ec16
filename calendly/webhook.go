package calendly

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode"
)

// Webhook event names.
const (
	EventInviteeCreated        = "invitee.created"
	EventInviteeCanceled       = "invitee.canceled"
	EventInviteeNoShowCreated  = "invitee_no_show.created"
	EventInviteeNoShowDeleted  = "invitee_no_show.deleted"
	EventRoutingFormSubmission = "routing_form_submission.created"
	EventEventTypeCreated      = "event_type.created"
	EventEventTypeUpdated      = "event_type.updated"
	EventEventTypeDeleted      = "event_type.deleted"
)

// InviteeEvents are the events whose payload is an Invitee.
var InviteeEvents = []string{EventInviteeCreated, EventInviteeCanceled, EventInviteeNoShowCreated, EventInviteeNoShowDeleted}

// KnownEvents are every event type calwatch has a typed payload for.
var KnownEvents = []string{
	EventInviteeCreated, EventInviteeCanceled, EventInviteeNoShowCreated, EventInviteeNoShowDeleted,
	EventRoutingFormSubmission, EventEventTypeCreated, EventEventTypeUpdated, EventEventTypeDeleted,
}

// MaxDeliveryDepth is the deepest JSON nesting a delivery may have. Real
// payloads nest about five levels; anything far deeper is an attack.
const MaxDeliveryDepth = 32

// ErrInvalidDelivery wraps every reason a correctly signed body is refused.
var ErrInvalidDelivery = errors.New("not a valid Calendly delivery")

// Delivery is the envelope of every webhook Calendly sends. The payload's
// shape depends on Event; it is decoded on demand and always kept raw, so an
// event type calwatch does not know yet is stored, not refused.
type Delivery struct {
	Event     string          `json:"event"`
	CreatedAt Time            `json:"created_at"`
	CreatedBy string          `json:"created_by,omitempty"`
	Payload   json.RawMessage `json:"payload"`

	// Invitee is the decoded payload for invitee.* and invitee_no_show.*.
	Invitee *Invitee `json:"-"`
	// RoutingFormSubmission is the decoded payload for routing_form_submission.created.
	RoutingFormSubmission *RoutingFormSubmission `json:"-"`
	// EventType is the decoded payload for event_type.*.
	EventType *EventType `json:"-"`
}

// ParseDelivery decodes a delivery body that has already been verified. It
// refuses, wrapping ErrInvalidDelivery, a body that is not JSON, not an
// object, nested deeper than MaxDeliveryDepth, has fields of the wrong type,
// or lacks the event and payload a delivery must have. Unknown fields and
// unknown event types are not errors.
//
// The Delivery's Payload may share body's bytes (it is capped, so appending
// to it never writes into body): body must not change while it is in use.
//
// An invitee delivery of the usual shape is decoded in one pass (see
// parseInviteeDelivery); everything else, and every refusal, goes through
// parseTwoPass, which the one-pass result always equals.
func ParseDelivery(body []byte) (*Delivery, error) {
	top, err := scanTopLevel(body, MaxDeliveryDepth)
	if err != nil {
		return nil, invalid("%v", err)
	}
	if d, ok := parseInviteeDelivery(body, top); ok {
		return d, nil
	}
	return parseTwoPass(body)
}

// parseTwoPass decodes the envelope with the payload kept raw, then the
// payload by event type.
func parseTwoPass(body []byte) (*Delivery, error) {
	var d Delivery
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, invalid("%s", describeJSONError(err))
	}
	if d.Event == "" {
		return nil, invalid(`"event" is missing`)
	}
	if len(d.Payload) == 0 || d.Payload[0] != '{' {
		return nil, invalid(`"payload" must be an object`)
	}
	var target any
	switch d.Event {
	case EventInviteeCreated, EventInviteeCanceled, EventInviteeNoShowCreated, EventInviteeNoShowDeleted:
		d.Invitee = new(Invitee)
		target = d.Invitee
	case EventRoutingFormSubmission:
		d.RoutingFormSubmission = new(RoutingFormSubmission)
		target = d.RoutingFormSubmission
	case EventEventTypeCreated, EventEventTypeUpdated, EventEventTypeDeleted:
		d.EventType = new(EventType)
		target = d.EventType
	default:
		return &d, nil
	}
	if err := json.Unmarshal(d.Payload, target); err != nil {
		return nil, invalid("payload of %s: %s", d.Event, describeJSONError(err))
	}
	if d.Invitee != nil && (d.Invitee.URI == "" || d.Invitee.Event == "") {
		return nil, invalid(`payload of %s needs "uri" and "event"`, d.Event)
	}
	return &d, nil
}

// inviteeEnvelope is Delivery with the payload decoded as an Invitee in the
// same pass.
type inviteeEnvelope struct {
	Event     string   `json:"event"`
	CreatedAt Time     `json:"created_at"`
	CreatedBy string   `json:"created_by,omitempty"`
	Payload   *Invitee `json:"payload"`
}

// parseInviteeDelivery decodes an invitee delivery in one json.Unmarshal,
// taking the raw payload from where scanTopLevel found it. ok is false, and
// the caller must use parseTwoPass, unless the body is the plain case where
// both give the same: one "event" key whose value is a string without
// escapes naming an invitee event, one "payload" key whose value is an
// object, top-level keys that are plain ASCII (so they match struct fields
// the way json does), and a decode without error (errors are worded by
// parseTwoPass).
func parseInviteeDelivery(body []byte, top topLevel) (*Delivery, bool) {
	if top.unsure || top.events != 1 || top.payloads != 1 {
		return nil, false
	}
	event := body[top.event[0]:top.event[1]]
	if len(event) < 2 || event[0] != '"' || event[len(event)-1] != '"' || bytes.IndexByte(event, '\\') >= 0 {
		return nil, false
	}
	switch string(event[1 : len(event)-1]) {
	case EventInviteeCreated, EventInviteeCanceled, EventInviteeNoShowCreated, EventInviteeNoShowDeleted:
	default:
		return nil, false
	}
	payload := body[top.payload[0]:top.payload[1]]
	if len(payload) == 0 || payload[0] != '{' {
		return nil, false
	}
	var env inviteeEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.Payload == nil || env.Event != string(event[1:len(event)-1]) {
		return nil, false
	}
	if env.Payload.URI == "" || env.Payload.Event == "" {
		return nil, false
	}
	return &Delivery{
		Event: env.Event, CreatedAt: env.CreatedAt, CreatedBy: env.CreatedBy,
		Payload: payload[:len(payload):len(payload)], Invitee: env.Payload,
	}, true
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidDelivery, fmt.Sprintf(format, args...))
}

func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field != "" {
			return fmt.Sprintf("field %q must be %s, not %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return fmt.Sprintf("must be %s, not %s", typeErr.Type, typeErr.Value)
	}
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("not JSON (offset %d: %v)", syntaxErr.Offset, syntaxErr)
	}
	return err.Error()
}

// topLevel is where the values of a body's top-level "event" and
// "payload" keys are (byte offsets, end exclusive, of the last of each) and
// how many of each there are. Keys match as encoding/json matches them to
// fields: ignoring ASCII case. unsure is set when some top-level key has an
// escape or a non-ASCII byte, which this scan does not decode.
type topLevel struct {
	event, payload   [2]int
	events, payloads int
	unsure           bool
}

// scanTopLevel refuses JSON nested deeper than limit without decoding it,
// and notes where the top-level values are. It only counts brackets outside
// strings; json.Unmarshal checks the rest, and what it notes is only
// meaningful for a body json.Unmarshal accepts.
func scanTopLevel(body []byte, limit int) (topLevel, error) {
	var top topLevel
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return top, errors.New("body is empty")
	}
	if trimmed[0] != '{' {
		return top, errors.New("body must be a JSON object")
	}
	start := len(body) - len(bytes.TrimLeftFunc(body, unicode.IsSpace))
	body = body[:start+len(trimmed)]
	depth, inString, escaped := 0, false, false
	expectKey := false           // at depth 1: the next string is a key
	keyStart, valStart := -1, -1 // of the key or value being read at depth 1
	var key []byte               // the key whose value is being read
	endValue := func(end int) {
		if valStart < 0 {
			return
		}
		span := [2]int{valStart, valStart + len(bytes.TrimRight(body[valStart:end], " \t\r\n"))}
		switch {
		case asciiEqualFold(key, "event"):
			top.event, top.events = span, top.events+1
		case asciiEqualFold(key, "payload"):
			top.payload, top.payloads = span, top.payloads+1
		}
		valStart = -1
	}
	for i := start; i < len(body); i++ {
		c := body[i]
		switch {
		case escaped:
			escaped = false
		case inString:
			if c == '\\' {
				escaped = true
				if keyStart >= 0 {
					top.unsure = true
				}
			} else if c == '"' {
				inString = false
				if keyStart >= 0 {
					key, keyStart = body[keyStart:i], -1
				}
			} else if keyStart >= 0 {
				if c >= 0x80 {
					top.unsure = true
				}
			} else {
				i += skipStringRun(body[i+1:]) // to just before the next quote or backslash
			}
		case c == '"':
			inString = true
			if depth == 1 {
				if expectKey {
					keyStart, expectKey = i+1, false
				} else if valStart < 0 {
					valStart = i
				}
			}
		case c == '{' || c == '[':
			if depth == 1 && valStart < 0 {
				valStart = i
			}
			depth++
			if depth > limit {
				return top, fmt.Errorf("nested deeper than %d levels", limit)
			}
			if depth == 1 {
				expectKey = true
			}
		case c == '}' || c == ']':
			if depth == 1 {
				endValue(i)
			}
			depth--
		case depth == 1 && c == ',':
			endValue(i)
			expectKey = true
		case depth == 1 && c == ':':
			valStart = -1
		case depth == 1 && valStart < 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n':
			valStart = i // a number or literal
		}
	}
	return top, nil
}

// skipStringRun is how many bytes of s come before its first quote or
// backslash (all of s if it has neither).
func skipStringRun(s []byte) int {
	n := bytes.IndexByte(s, '"')
	if n < 0 {
		n = len(s)
	}
	if b := bytes.IndexByte(s[:n], '\\'); b >= 0 {
		return b
	}
	return n
}

// asciiEqualFold reports whether b equals the lower-case ASCII word s,
// ignoring ASCII case.
func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
