package calendlytest

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

var sampleNow = time.Date(2026, 6, 24, 22, 30, 45, 105381000, time.UTC)

// realFixture names, for each event, the reference delivery whose key set a
// sample must match.
var realFixture = map[string]string{
	calendly.EventInviteeCreated:        "webhook_invitee.created.2026-captured-redacted.json",
	calendly.EventInviteeCanceled:       "webhook_invitee.canceled.2026-captured-redacted.json",
	calendly.EventInviteeNoShowCreated:  "webhook_invitee_no_show.created.2026-captured-redacted.json",
	calendly.EventInviteeNoShowDeleted:  "webhook_invitee_no_show.created.2026-captured-redacted.json",
	calendly.EventRoutingFormSubmission: "doc-example_webhook_routing_form_submission.created.json",
	calendly.EventEventTypeCreated:      "doc-example_webhook_event_type.created.json",
	calendly.EventEventTypeUpdated:      "doc-example_webhook_event_type.created.json",
	calendly.EventEventTypeDeleted:      "doc-example_webhook_event_type.created.json",
}

func TestSampleDeliveryParsesForEveryKnownEvent(t *testing.T) {
	for _, event := range calendly.KnownEvents {
		for seed := range uint64(50) {
			body, err := SampleDelivery(event, sampleNow, rand.New(rand.NewPCG(seed, 1)))
			if err != nil {
				t.Fatalf("SampleDelivery(%s, seed %d): %v", event, seed, err)
			}
			d, err := calendly.ParseDelivery(body)
			if err != nil {
				t.Fatalf("SampleDelivery(%s, seed %d) does not parse: %v\n%s", event, seed, err, body)
			}
			if d.Event != event || !d.CreatedAt.Equal(sampleNow) {
				t.Fatalf("envelope = %s at %v, want %s at %v", d.Event, d.CreatedAt, event, sampleNow)
			}
			checkSampleMeaning(t, event, d)
		}
	}
}

// checkSampleMeaning checks that a sample says what its event means.
func checkSampleMeaning(t *testing.T, event string, d *calendly.Delivery) {
	t.Helper()
	inv := d.Invitee
	switch event {
	case calendly.EventInviteeCreated:
		if inv.Status != calendly.StatusActive || inv.Cancellation != nil || !inv.ScheduledEvent.StartTime.After(sampleNow) {
			t.Errorf("invitee.created: status %s, cancellation %v, start %v: want an active future booking", inv.Status, inv.Cancellation, inv.ScheduledEvent.StartTime)
		}
	case calendly.EventInviteeCanceled:
		if inv.Status != calendly.StatusCanceled || inv.Cancellation == nil || inv.ScheduledEvent.Status != calendly.StatusCanceled || inv.ScheduledEvent.Cancellation == nil {
			t.Errorf("invitee.canceled: invitee %s, event %s: want both canceled with a cancellation", inv.Status, inv.ScheduledEvent.Status)
		}
	case calendly.EventInviteeNoShowCreated:
		if inv.NoShow == nil || !strings.HasPrefix(inv.NoShow.URI, "https://api.calendly.com/invitee_no_shows/") || !inv.ScheduledEvent.EndTime.Before(sampleNow) {
			t.Errorf("invitee_no_show.created: no_show %+v, end %v: want a no-show of a past meeting", inv.NoShow, inv.ScheduledEvent.EndTime)
		}
	case calendly.EventInviteeNoShowDeleted:
		if inv.NoShow != nil || !inv.ScheduledEvent.EndTime.Before(sampleNow) {
			t.Errorf("invitee_no_show.deleted: no_show %+v: want null for a past meeting", inv.NoShow)
		}
	case calendly.EventRoutingFormSubmission:
		if d.RoutingFormSubmission == nil || len(d.RoutingFormSubmission.QuestionsAndAnswers) == 0 {
			t.Errorf("routing form submission without answers")
		}
	case calendly.EventEventTypeDeleted:
		if d.EventType.DeletedAt == nil || d.EventType.Active {
			t.Errorf("event_type.deleted: deleted_at %v, active %v", d.EventType.DeletedAt, d.EventType.Active)
		}
	case calendly.EventEventTypeCreated, calendly.EventEventTypeUpdated:
		if d.EventType.DeletedAt != nil || !d.EventType.Active {
			t.Errorf("%s: deleted_at %v, active %v", event, d.EventType.DeletedAt, d.EventType.Active)
		}
	}
	if inv != nil {
		if !inviteeURIPattern.MatchString(inv.URI) || inv.Event != inv.ScheduledEvent.URI || !strings.HasPrefix(inv.URI, inv.Event+"/invitees/") {
			t.Errorf("invitee URI %q and event %q are not shaped like Calendly's", inv.URI, inv.Event)
		}
		if !inv.ScheduledEvent.EndTime.After(inv.ScheduledEvent.StartTime.Time) {
			t.Errorf("event ends %v, not after its start %v", inv.ScheduledEvent.EndTime, inv.ScheduledEvent.StartTime)
		}
	}
}

var (
	uuidPart          = `[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}`
	inviteeURIPattern = regexp.MustCompile(`^https://api\.calendly\.com/scheduled_events/` + uuidPart + `/invitees/` + uuidPart + `$`)
	// a JSON string holding a time: it must be UTC with six fractional digits.
	timeValuePattern = regexp.MustCompile(`"(\d{4}-\d\d-\d\dT[^"]*)"`)
	calendlyTime     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

func TestSampleTimesAreMicrosecondUTC(t *testing.T) {
	for _, event := range calendly.KnownEvents {
		body, err := SampleDelivery(event, sampleNow, rand.New(rand.NewPCG(7, 7)))
		if err != nil {
			t.Fatal(err)
		}
		matches := timeValuePattern.FindAllSubmatch(body, -1)
		if len(matches) < 3 {
			t.Fatalf("%s: only %d times in %s", event, len(matches), body)
		}
		for _, m := range matches {
			if !calendlyTime.Match(m[1]) {
				t.Errorf("%s: time %s is not RFC 3339 UTC with microseconds", event, m[1])
			}
		}
	}
}

func TestSampleKeysMatchRealDeliveries(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "reference", "calendly", "payloads")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference payloads not available (%v)", err)
	}
	for _, event := range calendly.KnownEvents {
		t.Run(event, func(t *testing.T) {
			real, err := os.ReadFile(filepath.Join(dir, realFixture[event]))
			if err != nil {
				t.Fatal(err)
			}
			want := keySets(t, real)
			for seed := range uint64(20) {
				body, err := SampleDelivery(event, sampleNow, rand.New(rand.NewPCG(seed, 2)))
				if err != nil {
					t.Fatal(err)
				}
				got := keySets(t, body)
				for level, wantKeys := range want {
					if gotKeys, ok := got[level]; (ok || level == "envelope" || level == "payload") && !slices.Equal(gotKeys, wantKeys) {
						t.Fatalf("seed %d: %s keys\n got %v\nwant %v", seed, level, got[level], wantKeys)
					}
				}
			}
		})
	}
}

// nestedObjects are the objects inside a payload whose keys a sample must
// share with the real delivery whenever both carry them.
var nestedObjects = [][]string{
	{"tracking"}, {"cancellation"}, {"no_show"}, {"questions_and_answers", "0"},
	{"scheduled_event"}, {"scheduled_event", "cancellation"}, {"scheduled_event", "invitees_counter"},
	{"scheduled_event", "event_memberships", "0"},
	{"profile"}, {"result"},
}

// keySets are the sorted keys of the envelope, the payload and every
// nested object of nestedObjects the body has.
func keySets(t *testing.T, body []byte) map[string][]string {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	payload, _ := env["payload"].(map[string]any)
	sets := map[string][]string{"envelope": sortedKeys(env), "payload": sortedKeys(payload)}
	for _, path := range nestedObjects {
		var node any = payload
		for _, seg := range path {
			switch n := node.(type) {
			case map[string]any:
				node = n[seg]
			case []any:
				if len(n) == 0 {
					node = nil
				} else {
					node = n[0]
				}
			}
		}
		if obj, ok := node.(map[string]any); ok {
			sets["payload."+strings.Join(path, ".")] = sortedKeys(obj)
		}
	}
	return sets
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestSampleDeliveryIsDeterministicPerSeed(t *testing.T) {
	a, _ := SampleDelivery(calendly.EventInviteeCreated, sampleNow, rand.New(rand.NewPCG(3, 4)))
	b, _ := SampleDelivery(calendly.EventInviteeCreated, sampleNow, rand.New(rand.NewPCG(3, 4)))
	c, _ := SampleDelivery(calendly.EventInviteeCreated, sampleNow, rand.New(rand.NewPCG(5, 6)))
	if !bytes.Equal(a, b) {
		t.Error("the same seed gave two different samples")
	}
	if bytes.Equal(a, c) {
		t.Error("two seeds gave the same sample")
	}
}

func TestSampleDeliveryKeysAreAlphabeticalLikeCalendly(t *testing.T) {
	body, err := SampleDelivery(calendly.EventInviteeCanceled, sampleNow, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(body, []byte(`{"created_at":"2026-06-24T22:30:45.105381Z","created_by":"https://api.calendly.com/users/`)) {
		t.Errorf("envelope does not start like Calendly's (created_at, created_by, …): %.120s", body)
	}
	if !bytes.Contains(body, []byte(`"payload":{"cancel_url":"https://calendly.com/cancellations/`)) {
		t.Errorf("payload keys are not alphabetical: %.200s", body)
	}
}

func TestSampleDeliveryRefusesUnknownEvent(t *testing.T) {
	_, err := SampleDelivery("invitee.updated", sampleNow, rand.New(rand.NewPCG(1, 1)))
	if err == nil || !strings.Contains(err.Error(), "invitee.created") {
		t.Fatalf("err = %v, want a refusal listing the known events", err)
	}
}

func TestSamplesCoverEveryLocationKindAndUnicode(t *testing.T) {
	seen := map[string]bool{}
	nonASCII := false
	rnd := rand.New(rand.NewPCG(9, 9))
	for range 400 {
		loc := RandomLocation(rnd, RandomUUID(rnd))
		seen[loc.Type] = true
		if loc.Type == "zoom" && (!json.Valid(loc.Data) || !strings.HasPrefix(loc.JoinURL, "https://us06web.zoom.us/j/")) {
			t.Errorf("zoom location is not shaped like Zoom's: %+v", loc)
		}
		if p := RandomPerson(rnd); strings.ContainsFunc(p.Name, func(r rune) bool { return r > 127 }) {
			nonASCII = true
		}
	}
	for _, kind := range LocationKinds {
		if !seen[kind] {
			t.Errorf("RandomLocation never produced %q", kind)
		}
	}
	if !nonASCII {
		t.Error("RandomPerson never produced a non-ASCII name")
	}
}
