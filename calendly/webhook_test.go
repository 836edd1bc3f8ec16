package calendly

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// referencePayloads is Calendly's real and documented payloads, kept beside
// the repository (../shared). Tests that read it skip when it is absent.
var referencePayloads = filepath.Join("..", "..", "shared", "reference", "calendly", "payloads")

// wantDelivery is what the store needs out of a delivery.
type wantDelivery struct {
	event        string
	inviteeURI   string
	email        string
	name         string
	eventURI     string
	status       string
	rescheduled  bool
	newInvitee   string
	eventName    string
	eventStatus  string // "" when the payload has no scheduled_event
	start        string
	locationType string
	hosts        int
	guests       int
	noShow       bool
	canceledBy   string
	answers      int
}

var deliveryExpectations = map[string]wantDelivery{
	"webhook_invitee.created.2026-captured-redacted.json": {
		event: EventInviteeCreated, email: "john.doe@example.com", name: "John Doe", status: "active",
		inviteeURI: "https://api.calendly.com/scheduled_events/00000000-0000-0000-0000-000000000002/invitees/00000000-0000-0000-0000-000000000001",
		eventURI:   "https://api.calendly.com/scheduled_events/00000000-0000-0000-0000-000000000002",
		eventName:  "Acme - Intro", eventStatus: "active", start: "2026-06-10T06:30:00.000000Z",
		locationType: "zoom", hosts: 1,
	},
	"webhook_invitee.canceled.2026-captured-redacted.json": {
		event: EventInviteeCanceled, email: "jane.doe@example.com", name: "Jane Doe", status: "canceled",
		inviteeURI: "https://api.calendly.com/scheduled_events/00000000-0000-0000-0000-000000000004/invitees/00000000-0000-0000-0000-000000000003",
		eventURI:   "https://api.calendly.com/scheduled_events/00000000-0000-0000-0000-000000000004",
		eventName:  "Acme - Intro", eventStatus: "canceled", start: "2026-07-01T06:30:00.000000Z",
		locationType: "zoom", hosts: 1, canceledBy: "Jane Doe", answers: 1,
	},
	"webhook_invitee_no_show.created.2026-captured-redacted.json": {
		event: EventInviteeNoShowCreated, email: "john.doe@example.com", name: "John Doe", status: "active",
		inviteeURI: "https://api.calendly.com/scheduled_events/00000000-0000-0000-0000-000000000002/invitees/00000000-0000-0000-0000-000000000001",
		eventURI:   "https://api.calendly.com/scheduled_events/00000000-0000-0000-0000-000000000002",
		eventName:  "Acme - Intro", eventStatus: "active", start: "2026-06-10T06:30:00.000000Z",
		locationType: "zoom", hosts: 1, noShow: true,
	},
	"webhook_invitee.created.2025-captured-google-meet-redacted.json": {
		event: EventInviteeCreated, status: "active", locationType: "google_conference", hosts: 1, eventStatus: "active", answers: 1,
	},
	"webhook_invitee.created.2020-12-captured.hull.json": {
		event: EventInviteeCreated, email: "betty@rei.com", name: "Betty", status: "active",
		inviteeURI: "https://api.calendly.com/scheduled_events/DDVRNUTABYGF4LO2/invitees/AHT4VZ5PQYFOSTFB",
		eventURI:   "https://api.calendly.com/scheduled_events/DDVRNUTABYGF4LO2",
	},
	"webhook_invitee.canceled.2020-12-captured.hull.json": {
		event: EventInviteeCanceled, email: "betty@rei.com", name: "", status: "canceled",
		inviteeURI: "https://api.calendly.com/scheduled_events/DDVRNUTABYGF4LO2/invitees/AHT4VZ5PQYFOSTFB",
		eventURI:   "https://api.calendly.com/scheduled_events/DDVRNUTABYGF4LO2",
	},
	"doc-example_webhook_invitee.created.json": {
		event: EventInviteeCreated, status: "active", eventStatus: "active", locationType: "physical", hosts: 1, guests: 1,
	},
	"doc-example_webhook_invitee.canceled.json": {
		// A group event: one invitee canceled, the event stays active.
		event: EventInviteeCanceled, status: "canceled", eventStatus: "active", locationType: "physical", hosts: 1, guests: 1,
	},
	"doc-example_webhook_invitee_no_show.created.json": {
		event: EventInviteeNoShowCreated, email: "test@example.com", name: "John Doe", status: "active",
		inviteeURI: "https://api.calendly.com/scheduled_events/AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA",
		eventURI:   "https://api.calendly.com/scheduled_events/AAAAAAAAAAAAAAAA",
		eventName:  "15 Minute Meeting", eventStatus: "active", start: "2019-08-24T14:15:22.123456Z",
		locationType: "physical", hosts: 1, guests: 1, noShow: true,
	},
	"doc-example_GET_sample_webhook_data_invitee.created.json": {
		event: EventInviteeCreated, email: "test@example.com", name: "John Doe", status: "active",
		rescheduled: true, newInvitee: "http://example.com",
		inviteeURI: "https://calendly.com/scheduled_events/AAAAAAAAAAAAAAAA/invitees/AAAAAAAAAAAAAAAA",
		eventURI:   "https://api.calendly.com/scheduled_events/AAAAAAAAAAAAAAAA",
		eventName:  "15 Minute Meeting", eventStatus: "active", start: "2019-08-24T14:15:22.000000Z",
		locationType: "physical", hosts: 1, guests: 1, noShow: true, canceledBy: "string", answers: 1,
	},
	"doc-example_webhook_routing_form_submission.created.json": {event: EventRoutingFormSubmission},
	"doc-example_webhook_event_type.created.json":              {event: EventEventTypeCreated},
}

func TestReferenceDeliveries(t *testing.T) {
	var files []string
	for _, pattern := range []string{"webhook_*.json", "doc-example_webhook_*.json", "doc-example_GET_sample_webhook_data_*.json"} {
		matched, _ := filepath.Glob(filepath.Join(referencePayloads, pattern))
		files = append(files, matched...)
	}
	if len(files) == 0 {
		t.Skipf("no reference payloads at %s (../shared is not beside this clone)", referencePayloads)
	}
	seen := map[string]bool{}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, known := deliveryExpectations[name]
			if name == "webhook_invitee.created.2023-01-sample.activepieces.json" {
				// Its authors trimmed the "event" key: a delivery without one
				// is refused, but its payload still decodes as an invitee.
				if _, err := ParseDelivery(body); !errors.Is(err, ErrInvalidDelivery) || !strings.Contains(err.Error(), `"event" is missing`) {
					t.Fatalf("ParseDelivery(no event) = %v, want a refusal naming the missing event", err)
				}
				var env struct{ Payload json.RawMessage }
				if err := json.Unmarshal(body, &env); err != nil {
					t.Fatal(err)
				}
				inv := decodeStrict[Invitee](t, env.Payload)
				if inv.Email != "abdulyki@activepieces.com" || inv.Status != StatusActive || Str(inv.Timezone) != "Asia/Baghdad" {
					t.Errorf("payload decoded as %+v", inv)
				}
				seen[name] = true
				return
			}
			if !known {
				t.Fatalf("no expectations for reference payload %s: add them", name)
			}
			seen[name] = true
			d, err := ParseDelivery(body)
			if err != nil {
				t.Fatalf("ParseDelivery = %v", err)
			}
			checkDelivery(t, d, want)
			checkEveryFieldModelled(t, d)
		})
	}
	for name := range deliveryExpectations {
		if !seen[name] {
			t.Errorf("reference payload %s is expected but missing", name)
		}
	}
}

func checkDelivery(t *testing.T, d *Delivery, want wantDelivery) {
	t.Helper()
	if d.Event != want.event {
		t.Errorf("event = %q, want %q", d.Event, want.event)
	}
	if d.CreatedAt.IsZero() {
		t.Error("envelope created_at is zero")
	}
	switch want.event {
	case EventRoutingFormSubmission:
		if d.RoutingFormSubmission == nil || d.RoutingFormSubmission.URI == "" || len(d.RoutingFormSubmission.QuestionsAndAnswers) == 0 {
			t.Errorf("routing form submission = %+v", d.RoutingFormSubmission)
		}
		return
	case EventEventTypeCreated:
		if d.EventType == nil || d.EventType.URI == "" || d.EventType.Duration != 15 || d.EventType.Profile == nil {
			t.Errorf("event type = %+v", d.EventType)
		}
		return
	}
	inv := d.Invitee
	if inv == nil {
		t.Fatal("invitee payload not decoded")
	}
	check := func(field, got, want string) {
		if want != "" && got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	check("uri", inv.URI, want.inviteeURI)
	check("email", inv.Email, want.email)
	check("name", inv.Name, want.name)
	check("event", inv.Event, want.eventURI)
	check("status", inv.Status, want.status)
	check("new_invitee", Str(inv.NewInvitee), want.newInvitee)
	if inv.Rescheduled != want.rescheduled {
		t.Errorf("rescheduled = %v, want %v", inv.Rescheduled, want.rescheduled)
	}
	if (inv.NoShow != nil) != want.noShow {
		t.Errorf("no_show = %+v, want set=%v", inv.NoShow, want.noShow)
	}
	if len(inv.QuestionsAndAnswers) != want.answers {
		t.Errorf("%d answers, want %d", len(inv.QuestionsAndAnswers), want.answers)
	}
	if want.canceledBy != "" && (inv.Cancellation == nil || inv.Cancellation.CanceledBy != want.canceledBy) {
		t.Errorf("cancellation = %+v, want canceled_by %q", inv.Cancellation, want.canceledBy)
	}
	ev := inv.ScheduledEvent
	if want.eventStatus == "" {
		if ev != nil {
			t.Errorf("unexpected scheduled_event %+v", ev)
		}
		return
	}
	if ev == nil {
		t.Fatal("scheduled_event missing")
	}
	check("scheduled_event.name", ev.Name, want.eventName)
	check("scheduled_event.status", ev.Status, want.eventStatus)
	check("scheduled_event.start_time", ev.StartTime.String(), want.start)
	if ev.Location == nil || ev.Location.Type != want.locationType {
		t.Errorf("location = %+v, want type %q", ev.Location, want.locationType)
	}
	if len(ev.EventMemberships) != want.hosts {
		t.Errorf("%d hosts, want %d", len(ev.EventMemberships), want.hosts)
	}
	if len(ev.EventGuests) != want.guests {
		t.Errorf("%d guests, want %d", len(ev.EventGuests), want.guests)
	}
	if !ev.EndTime.After(ev.StartTime.Time) && !ev.EndTime.Equal(ev.StartTime.Time) {
		t.Errorf("end %v before start %v", ev.EndTime, ev.StartTime)
	}
}

// checkEveryFieldModelled decodes the payload again refusing unknown fields,
// so a field Calendly sends that our types drop fails the test.
func checkEveryFieldModelled(t *testing.T, d *Delivery) {
	t.Helper()
	switch {
	case d.Invitee != nil:
		decodeStrict[Invitee](t, d.Payload)
	case d.RoutingFormSubmission != nil:
		decodeStrict[RoutingFormSubmission](t, d.Payload)
	case d.EventType != nil:
		decodeStrict[EventType](t, d.Payload)
	}
}

func decodeStrict[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("payload has a field %T does not model: %v", v, err)
	}
	return v
}

// The current (2026) shape survives decode → encode unchanged, key for key
// and null for null: what the emulator sends looks like what Calendly sends.
func TestCurrentShapeRoundTrips(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(referencePayloads, "webhook_*2026*.json"))
	local, _ := filepath.Glob(filepath.Join("testdata", "deliveries", "invitee*.json"))
	files = append(files, local...)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := ParseDelivery(body)
			if err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(d.Invitee)
			if err != nil {
				t.Fatal(err)
			}
			var want, got any
			if err := json.Unmarshal(d.Payload, &want); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				gotJSON, _ := json.MarshalIndent(got, "", " ")
				t.Errorf("re-encoded payload differs from the original:\n%s", gotJSON)
			}
		})
	}
}

func TestLocalDeliveries(t *testing.T) {
	t.Run("reschedule cancel links the new invitee", func(t *testing.T) {
		d := mustParseFile(t, "invitee.canceled.rescheduled.json")
		inv := d.Invitee
		if !inv.Rescheduled || !strings.HasSuffix(Str(inv.NewInvitee), "000000000021") || inv.Status != StatusCanceled {
			t.Errorf("invitee = rescheduled %v new %q status %q", inv.Rescheduled, Str(inv.NewInvitee), inv.Status)
		}
		if inv.Cancellation.Reason != nil {
			t.Errorf("null reason decoded as %q", *inv.Cancellation.Reason)
		}
		if inv.ScheduledEvent.Location.Summary() != "https://calendly.com/events/e0000000-0000-4000-8000-000000000010/google_meet" {
			t.Errorf("location summary = %q", inv.ScheduledEvent.Location.Summary())
		}
		if inv.QuestionsAndAnswers[0].Answer != "Line one\nLine two" {
			t.Errorf("answer = %q", inv.QuestionsAndAnswers[0].Answer)
		}
	})
	t.Run("no-show removed", func(t *testing.T) {
		d := mustParseFile(t, "invitee_no_show.deleted.json")
		if d.Event != EventInviteeNoShowDeleted || d.Invitee.NoShow != nil || d.Invitee.Name != "李伟" {
			t.Errorf("delivery = %s %+v", d.Event, d.Invitee)
		}
		if d.Invitee.Payment == nil || d.Invitee.Payment.Amount != 49.5 || d.Invitee.Reconfirmation.ConfirmedAt != nil {
			t.Errorf("payment %+v reconfirmation %+v", d.Invitee.Payment, d.Invitee.Reconfirmation)
		}
	})
	t.Run("unknown event type is kept raw", func(t *testing.T) {
		d := mustParseFile(t, "unknown.event.json")
		if d.Event != "meeting.transcribed" || d.Invitee != nil || !bytes.Contains(d.Payload, []byte(`"words":1200`)) {
			t.Errorf("delivery = %+v", d)
		}
	})
}

func mustParseFile(t *testing.T, name string) *Delivery {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "deliveries", name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ParseDelivery(body)
	if err != nil {
		t.Fatalf("ParseDelivery(%s) = %v", name, err)
	}
	return d
}

func TestParseDeliveryRefuses(t *testing.T) {
	deep := `{"event":"x","payload":{"a":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}`
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "empty"},
		{"not JSON", `hello`, "JSON object"},
		{"array", `[{"event":"invitee.created"}]`, "JSON object"},
		{"truncated", `{"event":"invitee.created","payload":{`, "not JSON"},
		{"trailing garbage", `{"event":"x","payload":{}} {}`, "not JSON"},
		{"event not a string", `{"event":7,"payload":{}}`, `"event"`},
		{"no event", `{"payload":{}}`, `"event" is missing`},
		{"no payload", `{"event":"invitee.created"}`, `"payload" must be an object`},
		{"payload a string", `{"event":"x","payload":"hi"}`, `"payload" must be an object`},
		{"too deep", deep, "nested deeper"},
		{"invitee email a number", `{"event":"invitee.created","payload":{"uri":"u","event":"e","email":5}}`, `"email"`},
		{"rescheduled a string", `{"event":"invitee.canceled","payload":{"uri":"u","event":"e","rescheduled":"yes"}}`, `"rescheduled"`},
		{"bad time", `{"event":"invitee.created","created_at":"yesterday","payload":{"uri":"u","event":"e"}}`, "RFC 3339"},
		{"invitee without uri", `{"event":"invitee.created","payload":{"event":"e"}}`, `needs "uri"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseDelivery([]byte(tt.body))
			if !errors.Is(err, ErrInvalidDelivery) {
				t.Fatalf("ParseDelivery = %+v, %v; want ErrInvalidDelivery", d, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func FuzzParseDelivery(f *testing.F) {
	for _, name := range []string{"invitee.canceled.rescheduled.json", "invitee_no_show.deleted.json", "unknown.event.json"} {
		if body, err := os.ReadFile(filepath.Join("testdata", "deliveries", name)); err == nil {
			f.Add(body)
		}
	}
	f.Add([]byte(`{"event":"invitee.created","payload":{"uri":"u","event":"e"}}`))
	f.Add([]byte(`{"event":"routing_form_submission.created","payload":{"result":{"type":"x","value":{}}}}`))
	f.Add([]byte(`{"event":"event_type.updated","payload":{"duration":"15"}}`))
	f.Add([]byte(`{"a":"\"{[","payload":[[[[]]]]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseDelivery(body)
		if err != nil {
			if !errors.Is(err, ErrInvalidDelivery) {
				t.Fatalf("error %v does not wrap ErrInvalidDelivery", err)
			}
			return
		}
		if d.Event == "" || len(d.Payload) == 0 || d.Payload[0] != '{' {
			t.Fatalf("accepted a delivery without event or object payload: %+v", d)
		}
		if !json.Valid(body) {
			t.Fatal("accepted invalid JSON")
		}
		if d.Invitee != nil && (d.Invitee.URI == "" || d.Invitee.Event == "") {
			t.Fatal("accepted an invitee payload without uri and event")
		}
	})
}
