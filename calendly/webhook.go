package calendly

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
func ParseDelivery(body []byte) (*Delivery, error) {
	if err := checkDepth(body, MaxDeliveryDepth); err != nil {
		return nil, invalid("%v", err)
	}
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

// checkDepth refuses JSON nested deeper than limit without decoding it. It
// only counts brackets outside strings; json.Unmarshal checks the rest.
func checkDepth(body []byte, limit int) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return errors.New("body is empty")
	}
	if body[0] != '{' {
		return errors.New("body must be a JSON object")
	}
	depth, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString:
			if c == '\\' {
				escaped = true
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > limit {
				return fmt.Errorf("nested deeper than %d levels", limit)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}
