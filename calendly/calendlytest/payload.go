package calendlytest

import (
	"encoding/json"

	"github.com/calwatch/calwatch/calendly"
)

// outgoing is one delivery to hand to the deliverer.
type outgoing struct {
	target deliveryTarget
	event  string
	body   []byte
}

// deliveries builds event's delivery about inv for every active
// subscription that wants it, each body a complete envelope (the deliverer
// signs it), encoded as Calendly encodes them.
func (st *state) deliveries(event string, inv *calendly.Invitee, now calendly.Time) []outgoing {
	host := st.hosts[inv.Event]
	subs := st.activeSubscriptions(event, host)
	if len(subs) == 0 {
		return nil
	}
	payload := st.webhookPayload(inv)
	out := make([]outgoing, 0, len(subs))
	for _, sub := range subs {
		createdBy := calendly.Str(sub.resource.Creator)
		if createdBy == "" {
			createdBy = host
		}
		body, err := EncodeDelivery(event, now.Time, createdBy, payload)
		if err != nil {
			panic("calendlytest: a delivery does not encode: " + err.Error())
		}
		out = append(out, outgoing{
			target: deliveryTarget{
				SubscriptionURI: sub.resource.URI,
				CallbackURL:     sub.resource.CallbackURL,
				SigningKey:      sub.signingKey,
				Invitee:         inv.URI,
				ScheduledEvent:  inv.Event,
			},
			event: event,
			body:  body,
		})
	}
	return out
}

// webhookPayload is inv as deliveries carry it: with its scheduled_event
// embedded (which, unlike the API's, has no calendar_event).
func (st *state) webhookPayload(inv *calendly.Invitee) *calendly.Invitee {
	withEvent := *inv
	ev := *st.events[inv.Event]
	ev.CalendarEvent = nil
	withEvent.ScheduledEvent = &ev
	return &withEvent
}

// inviteeJSON encodes an invitee for the API with the key set Calendly
// sends: the nullable fields calendly.Invitee omits when empty are written
// as null.
func inviteeJSON(inv *calendly.Invitee) json.RawMessage {
	raw, err := json.Marshal(inv)
	if err != nil {
		panic("calendlytest: an invitee does not encode: " + err.Error())
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		panic("calendlytest: an invitee does not decode: " + err.Error())
	}
	for _, key := range inviteeNullableKeys {
		if _, ok := fields[key]; !ok {
			fields[key] = json.RawMessage("null")
		}
	}
	body, err := json.Marshal(fields)
	if err != nil {
		panic("calendlytest: an invitee does not encode: " + err.Error())
	}
	return body
}
