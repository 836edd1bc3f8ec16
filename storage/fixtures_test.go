package storage

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// referencePayloads is Calendly's real and documented payloads, kept beside
// the repository (see /work/shared/reference/calendly/SOURCES.md).
var referencePayloads = filepath.Join("..", "..", "shared", "reference", "calendly", "payloads")

func TestReferencePayloadsApplyAndReadBack(t *testing.T) {
	var files []string
	for _, pattern := range []string{"webhook_*.json", "doc-example_webhook_*.json"} {
		m, _ := filepath.Glob(filepath.Join(referencePayloads, pattern))
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no reference payloads in %s", referencePayloads)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s := openTestStore(t)
			ctx := context.Background()
			parsed, err := calendly.ParseDelivery(body)
			if err != nil {
				// The 2023 activepieces sample lost its "event" key; the
				// listener refuses it, and the refusal is logged.
				if !errors.Is(err, calendly.ErrInvalidDelivery) {
					t.Fatalf("ParseDelivery: %v", err)
				}
				rec, err := s.RecordRefused(ctx, RefusedDelivery{ReceivedAt: testT0, Body: body, Reason: err.Error()})
				if err != nil || rec.Outcome != OutcomeRefused {
					t.Fatalf("RecordRefused = %+v, %v", rec, err)
				}
				return
			}
			rec := record(t, s, signedDelivery(t, body, testT0))[0]
			if rec.Outcome != OutcomeApplied || rec.Event != parsed.Event {
				t.Errorf("record = %+v", rec)
			}
			inv := parsed.Invitee
			if inv == nil {
				if evs := mustEvents(t, s, EventFilter{}); len(evs) != 0 {
					t.Errorf("%s created events: %+v", parsed.Event, evs)
				}
				return
			}
			checkInviteeReadBack(t, s, parsed.Event, inv)
		})
	}
}

// checkInviteeReadBack compares what one applied invitee delivery reads back
// as with the payload itself.
func checkInviteeReadBack(t *testing.T, s *Store, event string, inv *calendly.Invitee) {
	t.Helper()
	evs := mustEvents(t, s, EventFilter{})
	if len(evs) != 1 || evs[0].URI != inv.Event || len(evs[0].Invitees) != 1 {
		t.Fatalf("events = %+v, want one event %s with one invitee", evs, inv.Event)
	}
	ev, got := evs[0], evs[0].Invitees[0]
	if got.URI != inv.URI || got.Email != inv.Email || got.Status != inv.Status || got.Timezone != calendly.Str(inv.Timezone) {
		t.Errorf("invitee = %+v, payload %+v", got, inv)
	}
	if len(got.QuestionsAndAnswers) != len(inv.QuestionsAndAnswers) {
		t.Errorf("answers = %+v, want %+v", got.QuestionsAndAnswers, inv.QuestionsAndAnswers)
	}
	if got.NoShow != (event == calendly.EventInviteeNoShowCreated || inv.NoShow != nil) {
		t.Errorf("no_show = %v after %s", got.NoShow, event)
	}
	if se := inv.ScheduledEvent; se != nil {
		if ev.Name != se.Name || ev.Status != se.Status || ev.StartTime == nil || !ev.StartTime.Equal(se.StartTime.Time) ||
			len(ev.Hosts) != len(se.EventMemberships) || len(ev.Guests) != len(se.EventGuests) {
			t.Errorf("event = %+v, payload %+v", ev, se)
		}
		if (ev.Cancellation != nil) != (se.Cancellation != nil) || ev.Location.Summary() != se.Location.Summary() {
			t.Errorf("event cancellation/location = %+v %+v, payload %+v %+v", ev.Cancellation, ev.Location, se.Cancellation, se.Location)
		}
	} else if ev.StartTime != nil || ev.Name != "" {
		t.Errorf("event without scheduled_event = %+v, want only its URI", ev)
	}
	c := mustContact(t, s, inv.Email)
	if c.Email != strings.ToLower(inv.Email) || c.Bookings != 1 {
		t.Errorf("contact = %+v", c.ContactView)
	}
	wantCancels := 0
	if inv.Status == calendly.StatusCanceled && !inv.Rescheduled {
		wantCancels = 1
	}
	if c.Cancellations != wantCancels {
		t.Errorf("cancellations = %d, want %d", c.Cancellations, wantCancels)
	}
}

// ownFixtures are the deliveries in testdata/deliveries, in file-name order.
func ownFixtures(t *testing.T) (names []string, bodies [][]byte) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "deliveries", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata/deliveries (%v)", err)
	}
	slices.Sort(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		names, bodies = append(names, filepath.Base(f)), append(bodies, b)
	}
	return names, bodies
}

func TestOwnFixturesInAnyOrderMatchGolden(t *testing.T) {
	_, bodies := ownFixtures(t)
	forward, backward := openTestStore(t), openTestStore(t)
	for i := range bodies {
		record(t, forward, signedDelivery(t, bodies[i], testT0.Add(time.Duration(i)*time.Second)))
		j := len(bodies) - 1 - i
		record(t, backward, signedDelivery(t, bodies[j], testT0.Add(time.Duration(i)*time.Second)))
	}
	got := snapshot(t, forward)
	if back := snapshot(t, backward); back != got {
		t.Fatalf("fixtures applied backwards read back differently:\n%s\nvs\n%s", back, got)
	}

	evs := mustEvents(t, forward, EventFilter{})
	statuses := map[string]string{}
	for _, ev := range evs {
		statuses[ev.URI[strings.LastIndex(ev.URI, "/")+1:][:8]] = ev.Status
	}
	want := map[string]string{"7b2f3c1a": "canceled", "0e9d8c7b": "active", "3c4d5e6f": "active"}
	if !mapsEqual(statuses, want) {
		t.Errorf("event statuses = %v, want %v", statuses, want)
	}
	sven := mustContact(t, forward, "SVEN.EK@example.com")
	if sven.Bookings != 1 || sven.Cancellations != 0 || len(sven.Activity) != 2 || sven.Activity[0].Kind != KindRescheduled {
		t.Errorf("sven = %+v %v", sven.ContactView, kinds(sven.Activity))
	}
	if ola := mustContact(t, forward, "ola@client.example"); ola.NoShows != 0 || len(ola.Activity) != 3 {
		t.Errorf("ola = %+v %v, want the no-show marked then removed", ola.ContactView, kinds(ola.Activity))
	}
	if lena := mustContact(t, forward, "lena@partner.example"); lena.Bookings != 0 || lena.LastActivityAt != nil {
		t.Errorf("guest lena = %+v", lena.ContactView)
	}

	golden := filepath.Join("testdata", "golden", "fixtures.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantGolden, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestOwnFixtures -update to create it)", err)
	}
	if got+"\n" != string(wantGolden) {
		t.Errorf("read-back differs from %s (run with -update after checking):\n%s", golden, got)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
