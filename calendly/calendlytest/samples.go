package calendlytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// SampleDelivery builds the body of a delivery of event as Calendly would
// send it at now: every key the real payloads have (nulls included), keys in
// alphabetical order, RFC 3339 UTC times with microseconds, URIs shaped like
// Calendly's, and names, places and answers drawn from rnd. It knows every
// event in calendly.KnownEvents and refuses any other.
func SampleDelivery(event string, now time.Time, rnd *rand.Rand) ([]byte, error) {
	host := RandomHost(rnd)
	var payload any
	switch event {
	case calendly.EventInviteeCreated:
		payload = SampleInvitee(rnd, now, host, RandomPerson(rnd), now.Add(24*time.Hour+randomStart(rnd, 14*24*time.Hour)))
	case calendly.EventInviteeCanceled:
		inv := SampleInvitee(rnd, now.Add(-72*time.Hour), host, RandomPerson(rnd), now.Add(randomStart(rnd, 7*24*time.Hour)))
		cancelInvitee(rnd, inv, host, now)
		payload = inv
	case calendly.EventInviteeNoShowCreated, calendly.EventInviteeNoShowDeleted:
		start := now.Add(-time.Hour - randomStart(rnd, 48*time.Hour)).Truncate(30 * time.Minute)
		inv := SampleInvitee(rnd, start.Add(-96*time.Hour), host, RandomPerson(rnd), start)
		if event == calendly.EventInviteeNoShowCreated {
			inv.NoShow = &calendly.NoShowRef{
				URI:       apiBase + "/invitee_no_shows/" + RandomUUID(rnd),
				CreatedAt: calendly.NewTime(now.Add(-randomMicros(rnd, 2*time.Second))),
			}
		}
		payload = inv
	case calendly.EventRoutingFormSubmission:
		payload = sampleRoutingFormSubmission(rnd, now)
	case calendly.EventEventTypeCreated, calendly.EventEventTypeUpdated, calendly.EventEventTypeDeleted:
		payload = sampleEventType(rnd, now, host, event)
	default:
		return nil, fmt.Errorf("calendlytest: no sample for event %q; known events: %s", event, strings.Join(calendly.KnownEvents, ", "))
	}
	return EncodeDelivery(event, now, host.URI, payload)
}

// randomStart is a meeting start offset of up to max, on a half hour.
func randomStart(rnd *rand.Rand, max time.Duration) time.Duration {
	return time.Duration(rnd.Int64N(int64(max/(30*time.Minute))+1)) * 30 * time.Minute
}

// SampleInvitee is an active booking of person with host, made at bookedAt
// for a meeting that starts at start, with its scheduled event filled in as
// invitee deliveries carry it.
func SampleInvitee(rnd *rand.Rand, bookedAt time.Time, host Host, person Person, start time.Time) *calendly.Invitee {
	eventUUID, inviteeUUID := RandomUUID(rnd), RandomUUID(rnd)
	name, length := RandomEventName(rnd)
	start = start.UTC().Truncate(30 * time.Minute)
	eventCreated := calendly.NewTime(bookedAt.Add(-randomMicros(rnd, 2*time.Second)))
	inviteeCreated := calendly.NewTime(eventCreated.Add(randomMicros(rnd, 30*time.Millisecond)))
	guests := []calendly.Guest{}
	for range rnd.IntN(3) {
		guests = append(guests, calendly.Guest{Email: RandomPerson(rnd).Email, CreatedAt: eventCreated, UpdatedAt: eventCreated})
	}
	var reminder *string
	if rnd.IntN(3) == 0 {
		reminder = calendly.Ptr(samplePhones[rnd.IntN(len(samplePhones))])
	}
	var schedulingMethod *string
	if rnd.IntN(4) == 0 {
		schedulingMethod = calendly.Ptr("api")
	}
	return &calendly.Invitee{
		URI:                 InviteeURI(eventUUID, inviteeUUID),
		Email:               person.Email,
		Name:                person.Name,
		Status:              calendly.StatusActive,
		QuestionsAndAnswers: RandomAnswers(rnd),
		Timezone:            calendly.Ptr(person.Timezone),
		Event:               ScheduledEventURI(eventUUID),
		CreatedAt:           inviteeCreated,
		UpdatedAt:           inviteeCreated,
		Tracking:            &calendly.Tracking{},
		TextReminderNumber:  reminder,
		CancelURL:           "https://calendly.com/cancellations/" + inviteeUUID,
		RescheduleURL:       "https://calendly.com/reschedulings/" + inviteeUUID,
		SchedulingMethod:    schedulingMethod,
		ScheduledEvent: &calendly.ScheduledEvent{
			URI:              ScheduledEventURI(eventUUID),
			Name:             name,
			Status:           calendly.StatusActive,
			StartTime:        calendly.NewTime(start),
			EndTime:          calendly.NewTime(start.Add(length)),
			EventType:        apiBase + "/event_types/" + RandomUUID(rnd),
			Location:         RandomLocation(rnd, eventUUID),
			InviteesCounter:  calendly.InviteesCounter{Total: 1, Active: 1, Limit: 1},
			CreatedAt:        eventCreated,
			UpdatedAt:        eventCreated,
			EventMemberships: []calendly.EventMembership{{User: host.URI, UserEmail: host.Email, UserName: host.Name}},
			EventGuests:      guests,
		},
	}
}

var sampleCancelReasons = []string{"Something came up, sorry!", "Terminkonflikt — neuer Vorschlag folgt", "Double-booked", ""}

// cancelInvitee turns an active booking into its canceled form at now: the
// cancellation on the invitee and on the event, as Calendly sends both.
func cancelInvitee(rnd *rand.Rand, inv *calendly.Invitee, host Host, now time.Time) {
	at := calendly.NewTime(now.Add(-randomMicros(rnd, time.Second)))
	c := &calendly.Cancellation{CanceledBy: inv.Name, CancelerType: "invitee", CreatedAt: at}
	if rnd.IntN(3) == 0 {
		c.CanceledBy, c.CancelerType = host.Name, "host"
	}
	if reason := sampleCancelReasons[rnd.IntN(len(sampleCancelReasons))]; reason != "" {
		c.Reason = &reason
	}
	updated := calendly.NewTime(at.Add(randomMicros(rnd, 40*time.Millisecond)))
	inv.Status, inv.Cancellation, inv.UpdatedAt = calendly.StatusCanceled, c, updated
	ev := inv.ScheduledEvent
	ev.Status, ev.Cancellation, ev.UpdatedAt = calendly.StatusCanceled, c, updated
	ev.InviteesCounter.Active = 0
}

func sampleRoutingFormSubmission(rnd *rand.Rand, now time.Time) *calendly.RoutingFormSubmission {
	created := calendly.NewTime(now.Add(-randomMicros(rnd, 2*time.Second)))
	industry := []string{"IT & Software", "Gesundheitswesen", "Education", "小売"}[rnd.IntN(4)]
	return &calendly.RoutingFormSubmission{
		URI:         apiBase + "/routing_form_submissions/" + RandomUUID(rnd),
		RoutingForm: apiBase + "/routing_forms/" + RandomUUID(rnd),
		QuestionsAndAnswers: []calendly.SubmissionQuestionAnswer{
			{QuestionUUID: RandomUUID(rnd), Question: "What is your industry?", Answer: industry},
			{QuestionUUID: RandomUUID(rnd), Question: "Company size", Answer: []string{"1-10", "11-50", "51-200", "200+"}[rnd.IntN(4)]},
		},
		Tracking:      &calendly.Tracking{UTMSource: calendly.Ptr("newsletter"), UTMMedium: calendly.Ptr("email")},
		Result:        &calendly.SubmissionResult{Type: "event_type", Value: json.RawMessage(`"` + apiBase + `/event_types/` + RandomUUID(rnd) + `"`)},
		Submitter:     calendly.Ptr(InviteeURI(RandomUUID(rnd), RandomUUID(rnd))),
		SubmitterType: calendly.Ptr("Invitee"),
		CreatedAt:     created,
		UpdatedAt:     created,
	}
}

func sampleEventType(rnd *rand.Rand, now time.Time, host Host, event string) *calendly.EventType {
	name, length := RandomEventName(rnd)
	slug := strings.ToLower(strings.Join(strings.FieldsFunc(name, func(r rune) bool { return r == ' ' || r > 127 || r == '&' }), "-"))
	created := calendly.NewTime(now.Add(-time.Duration(1+rnd.IntN(90)) * 24 * time.Hour).Add(-randomMicros(rnd, time.Hour)))
	updated := calendly.NewTime(now.Add(-randomMicros(rnd, time.Second)))
	if event == calendly.EventEventTypeCreated {
		created = updated
	}
	minutes := int(length / time.Minute)
	et := &calendly.EventType{
		URI:              apiBase + "/event_types/" + RandomUUID(rnd),
		Name:             name,
		Active:           true,
		BookingMethod:    "instant",
		Slug:             &slug,
		SchedulingURL:    "https://calendly.com/" + strings.Split(host.Email, "@")[0] + "/" + slug,
		Duration:         minutes,
		DurationOptions:  []int{minutes},
		Kind:             "solo",
		Type:             "StandardEventType",
		Color:            []string{"#8247f5", "#0ae8f0", "#17e885", "#ffa600"}[rnd.IntN(4)],
		CreatedAt:        created,
		UpdatedAt:        updated,
		DescriptionPlain: calendly.Ptr("Let's talk — bring your questions & ideas."),
		DescriptionHTML:  calendly.Ptr("<p>Let's talk — bring your questions &amp; ideas.</p>"),
		Profile:          &calendly.Profile{Type: "User", Name: host.Name, Owner: host.URI},
		Locations:        json.RawMessage(`[{"kind":"zoom_conference"},{"kind":"inbound_call","phone_number":"+1 202-555-0143","additional_info":"Call me at the start time."}]`),
		CustomQuestions:  json.RawMessage(`[{"name":"Please share anything that will help prepare for our meeting.","type":"text","position":0,"enabled":true,"required":false,"answer_choices":[],"include_other":false}]`),
		Locale:           "en",
	}
	if event == calendly.EventEventTypeDeleted {
		et.Active, et.DeletedAt = false, &updated
	}
	return et
}

// inviteeNullableKeys are keys real invitee payloads always carry, as null
// when empty, that calendly.Invitee omits when nil.
var inviteeNullableKeys = []string{"scheduling_method", "invitee_scheduled_by"}

// EncodeDelivery writes the envelope {created_at, created_by, event,
// payload} around payload as Calendly does: compact JSON, keys in
// alphabetical order at every level, HTML characters escaped as \u003c.
func EncodeDelivery(event string, createdAt time.Time, createdBy string, payload any) ([]byte, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("calendlytest: encoding the %s payload: %w", event, err)
	}
	var fields map[string]any
	if err := decodeNumbers(raw, &fields); err != nil {
		return nil, fmt.Errorf("calendlytest: the %s payload must be a JSON object: %w", event, err)
	}
	if _, ok := payload.(*calendly.Invitee); ok {
		for _, k := range inviteeNullableKeys {
			if _, present := fields[k]; !present {
				fields[k] = nil
			}
		}
	}
	return json.Marshal(map[string]any{
		"created_at": calendly.NewTime(createdAt),
		"created_by": createdBy,
		"event":      event,
		"payload":    fields,
	})
}

// decodeNumbers decodes JSON keeping numbers as written (json.Number).
func decodeNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
