package calendlytest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func TestScenarioBookOverHTTP(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	start := day.Add(10 * time.Hour)
	var got BookResult
	call(t, http.MethodPost, s.URL+"/_emulator/book", "", jsonText(t, map[string]any{
		"email": "ada@example.com", "name": "Ada Lovelace", "event_name": "Intro", "start_time": start,
		"duration_minutes": 45, "guests": []string{"babbage@example.com"},
		"location": map[string]string{"type": "physical", "location": "Bletchley Park"},
		"host":     "casey@calwatch.test",
	})).want(t, http.StatusCreated, &got)
	if !strings.HasPrefix(got.Invitee, got.Event+"/invitees/") {
		t.Fatalf("invitee %q is not under event %q", got.Invitee, got.Event)
	}
	ev := getEventByURI(t, s, got.Event)
	casey := s.st.userByRef("casey@calwatch.test")
	if ev.Name != "Intro" || !ev.StartTime.Equal(start) || ev.EndTime.Sub(ev.StartTime.Time) != 45*time.Minute ||
		ev.Location.Type != "physical" || ev.Location.Location != "Bletchley Park" ||
		ev.EventMemberships[0].User != casey.URI || len(ev.EventGuests) != 1 {
		t.Errorf("booked event %+v", ev)
	}
	inv := getInviteeByURI(t, s, got.Invitee)
	if inv.Name != "Ada Lovelace" || inv.Email != "ada@example.com" || calendly.Str(inv.Timezone) != casey.Timezone {
		t.Errorf("booked invitee %+v", inv)
	}
}

func TestScenarioRefusesBadInputNamingTheField(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	cases := []struct{ path, body, field string }{
		{"book", `{"name":"Ada"}`, "email"},
		{"book", `{"email":"not an email","name":"Ada"}`, "email"},
		{"book", `{"email":"ada@example.com"}`, "name"},
		{"book", `{"email":"ada@example.com","name":"Ada","start_time":"tomorrow"}`, "start_time"},
		{"book", `{"email":"ada@example.com","name":"Ada","duration_minutes":-5}`, "duration_minutes"},
		{"book", `{"email":"ada@example.com","name":"Ada","duration_minutes":"long"}`, "duration_minutes"},
		{"book", `{"email":"ada@example.com","name":"Ada","guests":["nope"]}`, "guests"},
		{"book", `{"email":"ada@example.com","name":"Ada","host":"stranger@example.com"}`, "host"},
		{"book", `{"email":"ada@example.com","name":"Ada","location":{}}`, "location"},
		{"book", `{"email":"ada@example.com","name":"Ada","timezone":"Mars/Olympus"}`, "timezone"},
		{"book", `{"email":"ada@example.com","name":"Ada","colour":"red"}`, "colour"},
		{"book", `{"email":"ada@example.com","name":"Ada","event":"` + booked.Event + `","start_time":"2026-01-01T00:00:00Z"}`, "start_time"},
		{"book", ``, ""},
		{"book", `{"email":"ada@example.com","name":"Ada"} {}`, ""},
		{"cancel", `{}`, "invitee"},
		{"cancel", `{"invitee":"` + booked.Invitee + `","by":"robot"}`, "by"},
		{"reschedule", `{"invitee":"` + booked.Invitee + `","start_time":5}`, "start_time"},
		{"no_show", `{"invitee":["x"]}`, "invitee"},
	}
	for _, c := range cases {
		t.Run(c.path+" "+c.body, func(t *testing.T) {
			a := call(t, http.MethodPost, s.URL+"/_emulator/"+c.path, "", c.body)
			e := a.wantError(t, http.StatusBadRequest, "Invalid Argument")
			if len(e.Details) != 1 || e.Details[0].Parameter != c.field {
				t.Errorf("details %+v, want the field %q", e.Details, c.field)
			}
		})
	}
	if n := len(s.st.events); n != 1 {
		t.Errorf("refused requests changed the state: %d events", n)
	}
}

func TestScenarioUnknownAndWrongStateAnswers(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	ghost := booked.Event + "/invitees/" + newUUID()
	post := func(path string, body any) answer {
		return call(t, http.MethodPost, s.URL+"/_emulator/"+path, "", jsonText(t, body))
	}
	post("cancel", map[string]string{"invitee": ghost}).wantError(t, http.StatusNotFound, "Resource Not Found")
	post("reschedule", map[string]string{"invitee": ghost}).wantError(t, http.StatusNotFound, "Resource Not Found")
	post("no_show", map[string]string{"invitee": ghost}).wantError(t, http.StatusNotFound, "Resource Not Found")
	call(t, http.MethodDelete, s.URL+"/_emulator/no_show", "", jsonText(t, map[string]string{"invitee": ghost})).
		wantError(t, http.StatusNotFound, "Resource Not Found")
	post("book", map[string]string{"email": "a@example.com", "name": "A", "event": s.URL + "/scheduled_events/" + newUUID()}).
		wantError(t, http.StatusNotFound, "Resource Not Found")

	call(t, http.MethodDelete, s.URL+"/_emulator/no_show", "", jsonText(t, map[string]string{"invitee": booked.Invitee})).
		wantError(t, http.StatusConflict, "Conflict")
	post("cancel", map[string]string{"invitee": booked.Invitee}).want(t, http.StatusOK, nil)
	post("cancel", map[string]string{"invitee": booked.Invitee}).wantError(t, http.StatusConflict, "Conflict")
	post("reschedule", map[string]string{"invitee": booked.Invitee}).wantError(t, http.StatusConflict, "Conflict")
	post("no_show", map[string]string{"invitee": booked.Invitee}).wantError(t, http.StatusConflict, "Conflict")
}

func TestGroupEventTakesInviteesUpToItsLimit(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	group := mustBook(t, s, BookRequest{Email: "a@example.com", Name: "A", EventName: "Workshop", MaxInvitees: 2})
	mustBook(t, s, BookRequest{Email: "b@example.com", Name: "B", Event: group.Event})
	_, err := s.Book(BookRequest{Email: "c@example.com", Name: "C", Event: group.Event})
	if !errors.Is(err, ErrWrongState) {
		t.Fatalf("third booking into a 2-seat event: %v, want ErrWrongState", err)
	}
	if err := s.Cancel(CancelRequest{Invitee: group.Invitee, By: "host"}); err != nil {
		t.Fatal(err)
	}
	// A seat freed by a cancel can be taken again.
	mustBook(t, s, BookRequest{Email: "c@example.com", Name: "C", Event: group.Event})
	ev := getEventByURI(t, s, group.Event)
	if ev.Status != calendly.StatusActive || ev.InviteesCounter != (calendly.InviteesCounter{Total: 3, Active: 2, Limit: 2}) {
		t.Errorf("group event %+v", ev)
	}
	if inv := getInviteeByURI(t, s, group.Invitee); inv.Cancellation.CancelerType != "host" || inv.Cancellation.CanceledBy != s.DefaultUser().Name {
		t.Errorf("host cancellation %+v", inv.Cancellation)
	}
}

func TestRescheduleCancelsTheOldAndLinksBothWays(t *testing.T) {
	s, outbox := startEmulator(t, Options{})
	subscribe(t, s, userSubscription(s, "https://hooks.example.com/r"))
	old := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada", StartTime: day.Add(9 * time.Hour)})
	newStart := day.Add(33 * time.Hour)
	var moved BookResult
	call(t, http.MethodPost, s.URL+"/_emulator/reschedule", "", jsonText(t, map[string]any{"invitee": old.Invitee, "start_time": newStart})).
		want(t, http.StatusCreated, &moved)
	if moved.Event == old.Event || moved.Invitee == old.Invitee {
		t.Fatalf("reschedule reused %+v", moved)
	}
	oldInv, newInv := getInviteeByURI(t, s, old.Invitee), getInviteeByURI(t, s, moved.Invitee)
	if oldInv.Status != calendly.StatusCanceled || !oldInv.Rescheduled || calendly.Str(oldInv.NewInvitee) != moved.Invitee ||
		oldInv.Cancellation == nil || oldInv.Cancellation.CanceledBy != "Ada" || oldInv.Cancellation.CancelerType != "invitee" {
		t.Errorf("old invitee %+v", oldInv)
	}
	if newInv.Status != calendly.StatusActive || newInv.Rescheduled || calendly.Str(newInv.OldInvitee) != old.Invitee || newInv.Email != oldInv.Email {
		t.Errorf("new invitee %+v", newInv)
	}
	newEvent := getEventByURI(t, s, moved.Event)
	if !newEvent.StartTime.Equal(newStart) || newEvent.Status != calendly.StatusActive {
		t.Errorf("new event %+v", newEvent)
	}
	if id := strings.TrimPrefix(moved.Event, s.URL+"/scheduled_events/"); !strings.Contains(newEvent.Location.JoinURL, id) {
		t.Errorf("the new event's meeting link %q is not its own", newEvent.Location.JoinURL)
	}
	if ev := getEventByURI(t, s, old.Event); ev.Status != calendly.StatusCanceled {
		t.Errorf("old event is %s, want canceled", ev.Status)
	}
	sent := outbox.all()
	var events []string
	for _, o := range sent {
		events = append(events, o.event)
	}
	want := []string{calendly.EventInviteeCreated, calendly.EventInviteeCanceled, calendly.EventInviteeCreated}
	if !slices.Equal(events, want) {
		t.Fatalf("deliveries %v, want %v", events, want)
	}
	canceled, _ := calendly.ParseDelivery(sent[1].body)
	created, _ := calendly.ParseDelivery(sent[2].body)
	if !canceled.Invitee.Rescheduled || calendly.Str(canceled.Invitee.NewInvitee) != moved.Invitee ||
		calendly.Str(created.Invitee.OldInvitee) != old.Invitee {
		t.Errorf("reschedule deliveries do not link: %s / %s", sent[1].body, sent[2].body)
	}
}

func TestDeliveriesGoToEveryMatchingActiveSubscription(t *testing.T) {
	s, outbox := startEmulator(t, Options{})
	blake := s.st.userByRef("blake@calwatch.test").URI
	mine := subscribe(t, s, userSubscription(s, "https://hooks.example.com/mine", calendly.EventInviteeCreated))
	cancelsOnly := subscribe(t, s, userSubscription(s, "https://hooks.example.com/cancels", calendly.EventInviteeCanceled))
	blakes := subscribe(t, s, map[string]any{"url": "https://hooks.example.com/blake", "events": []string{calendly.EventInviteeCreated},
		"organization": s.Organization(), "scope": "user", "user": blake})
	org := subscribe(t, s, map[string]any{"url": "https://hooks.example.com/org", "events": calendly.InviteeEvents,
		"organization": s.Organization(), "scope": "organization"})

	mustBook(t, s, BookRequest{Email: "a@example.com", Name: "A"})
	mustBook(t, s, BookRequest{Email: "b@example.com", Name: "B", Host: blake})
	var got []string
	for _, o := range outbox.all() {
		got = append(got, o.target.SubscriptionURI)
		d, err := calendly.ParseDelivery(o.body)
		if err != nil {
			t.Fatal(err)
		}
		if d.CreatedBy != s.DefaultUser().URI {
			t.Errorf("created_by %q, want the subscription's creator", d.CreatedBy)
		}
	}
	want := []string{mine.URI, org.URI, blakes.URI, org.URI}
	if !slices.Equal(got, want) {
		t.Errorf("delivered to %v, want %v (never %s)", got, want, cancelsOnly.URI)
	}
}

// TestDeliveryPayloadsHaveTheKeysOfRealDeliveries compares every key (and
// so every null Calendly sends) with deliveries captured from Calendly.
func TestDeliveryPayloadsHaveTheKeysOfRealDeliveries(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "reference", "calendly", "payloads")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("the shared reference payloads are not here:", err)
	}
	s, outbox := startEmulator(t, Options{})
	subscribe(t, s, userSubscription(s, "https://hooks.example.com/k", calendly.InviteeEvents...))
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	if err := s.MarkNoShow(booked.Invitee); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveNoShow(booked.Invitee); err != nil {
		t.Fatal(err)
	}
	if err := s.Cancel(CancelRequest{Invitee: booked.Invitee, Reason: "ill"}); err != nil {
		t.Fatal(err)
	}
	byEvent := map[string][]byte{}
	for _, o := range outbox.all() {
		byEvent[o.event] = o.body
	}
	for event, file := range map[string]string{
		calendly.EventInviteeCreated:       "webhook_invitee.created.2026-captured-redacted.json",
		calendly.EventInviteeCanceled:      "webhook_invitee.canceled.2026-captured-redacted.json",
		calendly.EventInviteeNoShowCreated: "webhook_invitee_no_show.created.2026-captured-redacted.json",
	} {
		real, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		want, got := deliveryKeys(t, real), deliveryKeys(t, byEvent[event])
		for part, keys := range want {
			if !slices.Equal(got[part], keys) {
				t.Errorf("%s %s keys\n got %v\nwant %v", event, part, got[part], keys)
			}
		}
	}
}

// deliveryKeys are the sorted keys of a delivery's envelope, payload and
// payload.scheduled_event.
func deliveryKeys(t *testing.T, body []byte) map[string][]string {
	t.Helper()
	var env map[string]json.RawMessage
	var payload, event map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(env["payload"], &payload); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(payload["scheduled_event"])
	if err := json.Unmarshal(raw, &event); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	var envelope []string
	for k := range env {
		envelope = append(envelope, k)
	}
	slices.Sort(envelope)
	return map[string][]string{"envelope": envelope, "payload": keys(payload), "scheduled_event": keys(event)}
}

// TestBookingIsDeliveredSignedAndListedInDeliveries runs the real
// deliverer against a local receiver.
func TestBookingIsDeliveredSignedAndListedInDeliveries(t *testing.T) {
	type received struct {
		body        []byte
		signatureOK error
	}
	got := make(chan received, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		_, err := calendly.Verify(r.Header.Get(calendly.SignatureHeader), body, []byte(testSigningKey), time.Now(), 0)
		got <- received{body, err}
	}))
	defer receiver.Close()
	s := NewServer(Options{Tokens: []string{testPAT}})
	defer s.Close()
	subscribe(t, s, userSubscription(s, receiver.URL+"/hook"))
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})

	select {
	case r := <-got:
		d, err := calendly.ParseDelivery(r.body)
		if err != nil || d.Invitee.URI != booked.Invitee || r.signatureOK != nil {
			t.Fatalf("received %s (%v), signature: %v", r.body, err, r.signatureOK)
		}
	case <-time.After(testDeadline):
		t.Fatalf("no delivery within %s", testDeadline)
	}
	var attempts []DeliveryAttempt
	eventually(t, func() bool {
		call(t, http.MethodGet, s.URL+"/_emulator/deliveries", "", "").want(t, http.StatusOK, &attempts)
		return len(attempts) == 1
	}, "GET /_emulator/deliveries lists the attempt")
	a := attempts[0]
	if a.Status != http.StatusOK || a.Event != calendly.EventInviteeCreated || a.URL != receiver.URL+"/hook" || a.Attempt != 1 || a.At.IsZero() {
		t.Errorf("attempt %+v", a)
	}
}
