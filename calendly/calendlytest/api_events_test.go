package calendlytest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// day is a fixed future instant so tests can place events around it.
var day = time.Now().UTC().Add(72 * time.Hour).Truncate(24 * time.Hour)

func eventsPath(s *Server, extra string) string {
	return "/scheduled_events?organization=" + url.QueryEscape(s.Organization()) + extra
}

func TestScheduledEventsPageByStartTimeBothWays(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	// Booked out of order, listed by start time.
	for _, hour := range []int{15, 9, 12} {
		mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada", StartTime: day.Add(time.Duration(hour) * time.Hour)})
	}
	rows, pages := walk[calendly.ScheduledEvent](t, s, eventsPath(s, "&count=1"))
	if len(rows) != 3 || len(pages) != 3 {
		t.Fatalf("%d rows on %d pages, want 3 on 3", len(rows), len(pages))
	}
	for i, hour := range []int{9, 12, 15} {
		if rows[i].StartTime.Hour() != hour {
			t.Errorf("row %d starts at %v, want hour %d", i, rows[i].StartTime, hour)
		}
	}
	desc, _ := walk[calendly.ScheduledEvent](t, s, eventsPath(s, "&count=2&sort=start_time:desc"))
	if len(desc) != 3 || desc[0].StartTime.Hour() != 15 || desc[2].StartTime.Hour() != 9 {
		t.Errorf("start_time:desc gave %v, %v, %v", desc[0].StartTime, desc[1].StartTime, desc[2].StartTime)
	}
	ev := rows[0]
	id, ok := strings.CutPrefix(ev.URI, s.URL+"/scheduled_events/")
	if !ok || !uuidV4.MatchString(id) || ev.Status != calendly.StatusActive ||
		ev.InviteesCounter != (calendly.InviteesCounter{Total: 1, Active: 1, Limit: 1}) ||
		len(ev.EventMemberships) != 1 || ev.EventMemberships[0].User != s.DefaultUser().URI ||
		ev.EndTime.Sub(ev.StartTime.Time) != 30*time.Minute || ev.Location == nil || ev.EventGuests == nil {
		t.Errorf("listed event %+v", ev)
	}
	if got := getEventByURI(t, s, ev.URI); got.URI != ev.URI || got.Name != ev.Name {
		t.Errorf("GET %s gave %+v", ev.URI, got)
	}
	apiGet(t, s, "/scheduled_events/"+newUUID()).wantError(t, http.StatusNotFound, "Resource Not Found")
}

func TestScheduledEventsFilters(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	early := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada", StartTime: day.Add(9 * time.Hour)})
	late := mustBook(t, s, BookRequest{Email: "bob@example.com", Name: "Bob", StartTime: day.Add(17 * time.Hour)})
	teammate := mustBook(t, s, BookRequest{Email: "cy@example.com", Name: "Cy", StartTime: day.Add(12 * time.Hour), Host: "blake@calwatch.test"})
	if err := s.Cancel(CancelRequest{Invitee: late.Invitee}); err != nil {
		t.Fatal(err)
	}
	uris := func(extra string) []string {
		t.Helper()
		var page list[calendly.ScheduledEvent]
		apiGet(t, s, eventsPath(s, extra)).want(t, http.StatusOK, &page)
		var out []string
		for _, ev := range page.Collection {
			out = append(out, ev.URI)
		}
		return out
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	check("all", uris(""), early.Event, teammate.Event, late.Event)
	check("active", uris("&status=active"), early.Event, teammate.Event)
	check("canceled", uris("&status=canceled"), late.Event)
	check("min_start_time", uris("&min_start_time="+url.QueryEscape(day.Add(12*time.Hour).Format(time.RFC3339))), teammate.Event, late.Event)
	check("max_start_time", uris("&max_start_time="+url.QueryEscape(day.Add(12*time.Hour).Format(time.RFC3339))), early.Event)
	check("invitee_email", uris("&invitee_email=BOB@example.com"), late.Event)

	var byUser list[calendly.ScheduledEvent]
	blake := s.st.userByRef("blake@calwatch.test").URI
	apiGet(t, s, "/scheduled_events?user="+url.QueryEscape(blake)).want(t, http.StatusOK, &byUser)
	if len(byUser.Collection) != 1 || byUser.Collection[0].URI != teammate.Event {
		t.Errorf("user filter gave %+v", byUser.Collection)
	}
}

func TestScheduledEventsRefusesBadQueries(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	for query, parameter := range map[string]string{
		"/scheduled_events":                                  "user",
		eventsPath(s, "&status=done"):                        "status",
		eventsPath(s, "&sort=created_at:asc"):                "sort",
		eventsPath(s, "&min_start_time=yesterday"):           "min_start_time",
		eventsPath(s, "&max_start_time=2026-13-01"):          "max_start_time",
		eventsPath(s, "&count=-1"):                           "count",
		eventsPath(s, "&page_token="+encodePageToken(1)+"x"): "page_token",
	} {
		apiGet(t, s, query).wantDetail(t, parameter)
	}
	apiGet(t, s, "/scheduled_events?organization="+url.QueryEscape(s.URL+"/organizations/"+newUUID())).
		wantError(t, http.StatusForbidden, "Permission Denied")
}

func TestInviteesListFiltersAndGet(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	first := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada", MaxInvitees: 3, Guests: []string{"guest@example.com"}})
	second := mustBook(t, s, BookRequest{Email: "bob@example.com", Name: "Bob", Event: first.Event})
	third := mustBook(t, s, BookRequest{Email: "cy@example.com", Name: "Cy", Event: first.Event})
	if err := s.Cancel(CancelRequest{Invitee: second.Invitee, Reason: "conflict"}); err != nil {
		t.Fatal(err)
	}
	eventPath := strings.TrimPrefix(first.Event, s.URL)

	rows, pages := walk[calendly.Invitee](t, s, eventPath+"/invitees?count=1")
	if len(rows) != 3 || len(pages) != 3 || rows[0].URI != first.Invitee || rows[2].URI != third.Invitee {
		t.Fatalf("invitees by created_at: %d rows on %d pages", len(rows), len(pages))
	}
	var desc list[calendly.Invitee]
	apiGet(t, s, eventPath+"/invitees?sort=created_at:desc").want(t, http.StatusOK, &desc)
	if len(desc.Collection) != 3 || desc.Collection[0].URI != third.Invitee {
		t.Errorf("created_at:desc starts with %v", desc.Collection)
	}
	var active, byEmail list[calendly.Invitee]
	apiGet(t, s, eventPath+"/invitees?status=active").want(t, http.StatusOK, &active)
	apiGet(t, s, eventPath+"/invitees?email=bob@example.com").want(t, http.StatusOK, &byEmail)
	if len(active.Collection) != 2 || len(byEmail.Collection) != 1 || byEmail.Collection[0].Status != calendly.StatusCanceled {
		t.Errorf("status=active gave %d, email gave %+v", len(active.Collection), byEmail.Collection)
	}

	inv := getInviteeByURI(t, s, second.Invitee)
	if inv.Email != "bob@example.com" || inv.Event != first.Event || inv.Cancellation == nil ||
		calendly.Str(inv.Cancellation.Reason) != "conflict" || inv.Cancellation.CancelerType != "invitee" {
		t.Errorf("canceled invitee %+v", inv)
	}
	ev := getEventByURI(t, s, first.Event)
	if ev.Status != calendly.StatusActive || ev.InviteesCounter != (calendly.InviteesCounter{Total: 3, Active: 2, Limit: 3}) ||
		len(ev.EventGuests) != 1 || ev.EventGuests[0].Email != "guest@example.com" {
		t.Errorf("group event after one cancel: %+v", ev)
	}

	apiGet(t, s, eventPath+"/invitees?status=gone").wantDetail(t, "status")
	apiGet(t, s, eventPath+"/invitees?sort=start_time:asc").wantDetail(t, "sort")
	apiGet(t, s, "/scheduled_events/"+newUUID()+"/invitees").wantError(t, http.StatusNotFound, "Resource Not Found")
	// An invitee asked for under another event is not found.
	other := mustBook(t, s, BookRequest{Email: "dee@example.com", Name: "Dee"})
	wrongEvent := strings.Replace(first.Invitee, first.Event, other.Event, 1)
	call(t, http.MethodGet, wrongEvent, testPAT, "").wantError(t, http.StatusNotFound, "Resource Not Found")
}

func TestInviteeAnswerHasCalendlysNullableKeys(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})
	var raw struct {
		Resource map[string]json.RawMessage `json:"resource"`
	}
	call(t, http.MethodGet, booked.Invitee, testPAT, "").want(t, http.StatusOK, &raw)
	for _, key := range []string{"first_name", "last_name", "no_show", "payment", "reconfirmation", "old_invitee",
		"new_invitee", "routing_form_submission", "text_reminder_number", "scheduling_method", "invitee_scheduled_by"} {
		if string(raw.Resource[key]) != "null" {
			t.Errorf("%s is %s, want null", key, raw.Resource[key])
		}
	}
	if _, ok := raw.Resource["scheduled_event"]; ok {
		t.Error("the API invitee embeds scheduled_event, which only deliveries do")
	}
}

func TestCancelEventCancelsEveryInviteeAndDeliversEach(t *testing.T) {
	s, outbox := startEmulator(t, Options{})
	subscribe(t, s, userSubscription(s, "https://hooks.example.com/c"))
	first := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada", MaxInvitees: 2})
	mustBook(t, s, BookRequest{Email: "bob@example.com", Name: "Bob", Event: first.Event})
	before := len(outbox.all())

	var got resource[calendly.Cancellation]
	call(t, http.MethodPost, first.Event+"/cancellation", testPAT, `{"reason":"host is ill"}`).want(t, http.StatusCreated, &got)
	c := got.Resource
	if c.CanceledBy != s.DefaultUser().Name || calendly.Str(c.Reason) != "host is ill" || c.CancelerType != "host" || c.CreatedAt.IsZero() {
		t.Errorf("cancellation %+v", c)
	}
	ev := getEventByURI(t, s, first.Event)
	if ev.Status != calendly.StatusCanceled || ev.InviteesCounter.Active != 0 || ev.Cancellation == nil {
		t.Errorf("event after cancellation %+v", ev)
	}
	sent := outbox.all()[before:]
	if len(sent) != 2 {
		t.Fatalf("%d deliveries, want invitee.canceled for each of 2 invitees", len(sent))
	}
	for _, o := range sent {
		d, err := calendly.ParseDelivery(o.body)
		if err != nil {
			t.Fatal(err)
		}
		if d.Event != calendly.EventInviteeCanceled || d.Invitee.Status != calendly.StatusCanceled ||
			d.Invitee.ScheduledEvent.Status != calendly.StatusCanceled || d.Invitee.Cancellation.CancelerType != "host" {
			t.Errorf("delivery %s", o.body)
		}
	}
	e := call(t, http.MethodPost, first.Event+"/cancellation", testPAT, "").wantError(t, http.StatusForbidden, "Permission Denied")
	if !strings.Contains(e.Message, "canceled") {
		t.Errorf("second cancellation message %q", e.Message)
	}
	past := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada", StartTime: time.Now().Add(-48 * time.Hour)})
	if e := call(t, http.MethodPost, past.Event+"/cancellation", testPAT, "").wantError(t, http.StatusForbidden, "Permission Denied"); e.Message != "Event in the past" {
		t.Errorf("past event message %q", e.Message)
	}
	call(t, http.MethodPost, s.URL+"/scheduled_events/"+newUUID()+"/cancellation", testPAT, "").wantError(t, http.StatusNotFound, "Resource Not Found")
	call(t, http.MethodPost, past.Event+"/cancellation", testPAT, `{"reason":7}`).wantDetail(t, "reason")
}
