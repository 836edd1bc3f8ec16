package calendlytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/calwatch/calwatch/calendly"
)

var generatorNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func seededServer(t *testing.T, seed int64) *Server {
	t.Helper()
	s := NewServer(Options{Seed: seed, Now: func() time.Time { return generatorNow }})
	t.Cleanup(s.Close)
	return s
}

// bookingLine is what a person sees of one invitee: everything but the
// random URIs.
func bookingLines(s *Server) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var lines []string
	for _, evURI := range s.st.eventOrder {
		ev := s.st.events[evURI]
		host := s.st.user(s.st.hosts[evURI]).Name
		for _, invURI := range s.st.eventInvitees[evURI] {
			inv := s.st.invitees[invURI]
			answers, _ := json.Marshal(inv.QuestionsAndAnswers)
			cancel := ""
			if inv.Cancellation != nil {
				cancel = inv.Cancellation.CancelerType + ":" + calendly.Str(inv.Cancellation.Reason)
			}
			lines = append(lines, fmt.Sprintf("%s|%s|%s|%s→%s|%s|%s|%s|%s|tz=%s|booked %s|updated %s|rescheduled=%t|noshow=%t|cancel=%s|guests=%d|%s",
				ev.Name, host, ev.Status, ev.StartTime, ev.EndTime, ev.Location.Type, ev.Location.Summary(),
				inv.Name, inv.Email, calendly.Str(inv.Timezone), inv.CreatedAt, inv.UpdatedAt,
				inv.Rescheduled, inv.NoShow != nil, cancel, len(ev.EventGuests), answers))
		}
	}
	return lines
}

func TestSameSeedGivesTheSameHistory(t *testing.T) {
	a, b, other := bookingLines(seededServer(t, 42)), bookingLines(seededServer(t, 42)), bookingLines(seededServer(t, 43))
	if len(a) < historyChanges/2 {
		t.Fatalf("seed 42 made %d bookings, want a history of at least %d", len(a), historyChanges/2)
	}
	if !slices.Equal(a, b) {
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("same seed, different history at booking %d:\n%s\n%s", i, a[i], b[i])
			}
		}
		t.Fatalf("same seed, %d vs %d bookings", len(a), len(b))
	}
	if slices.Equal(a, other) {
		t.Fatal("seeds 42 and 43 made the same history")
	}
}

func TestZeroOptionsStartEmpty(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	if lines := bookingLines(s); len(lines) != 0 {
		t.Fatalf("NewServer(Options{}) has %d bookings, want none", len(lines))
	}
}

func TestHistoryLooksLikeARealCalendar(t *testing.T) {
	s := seededServer(t, 7)
	s.mu.Lock()
	defer s.mu.Unlock()

	var nonASCII, answered, canceled, rescheduled, noShows int
	locations := map[string]bool{}
	hosts := map[string]bool{}
	oldest := generatorNow
	for _, inv := range s.st.invitees {
		ev := s.st.events[inv.Event]
		if utf8.RuneCountInString(inv.Name) != len(inv.Name) {
			nonASCII++
		}
		if len(inv.QuestionsAndAnswers) > 0 {
			answered++
		}
		switch {
		case inv.Rescheduled:
			rescheduled++
		case inv.Status == calendly.StatusCanceled:
			canceled++
		}
		if inv.NoShow != nil {
			noShows++
			if !ev.StartTime.Before(inv.NoShow.CreatedAt.Time) {
				t.Errorf("no-show marked at %s for a meeting starting %s", inv.NoShow.CreatedAt, ev.StartTime)
			}
		}
		locations[ev.Location.Type] = true
		hosts[s.st.hosts[ev.URI]] = true
		if inv.CreatedAt.After(generatorNow) || inv.CreatedAt.After(ev.StartTime.Time) {
			t.Errorf("invitee booked at %s, after now or after its meeting at %s", inv.CreatedAt, ev.StartTime)
		}
		if inv.CreatedAt.Before(oldest) {
			oldest = inv.CreatedAt.Time
		}
	}
	for what, n := range map[string]int{"non-ASCII names": nonASCII, "answered questions": answered,
		"cancellations": canceled, "reschedules": rescheduled, "no-shows": noShows} {
		if n == 0 {
			t.Errorf("history has no %s", what)
		}
	}
	for _, kind := range []string{"zoom", "google_conference", "physical"} {
		if !locations[kind] {
			t.Errorf("history has no %s location; has %v", kind, locations)
		}
	}
	if !locations["outbound_call"] && !locations["inbound_call"] {
		t.Errorf("history has no phone location; has %v", locations)
	}
	groupSizes := 0
	for _, invitees := range s.st.eventInvitees {
		groupSizes = max(groupSizes, len(invitees))
	}
	if groupSizes < 2 {
		t.Error("no event has more than one invitee: history has no group bookings")
	}
	if len(hosts) < 2 {
		t.Errorf("every booking went to one host")
	}
	if age := generatorNow.Sub(oldest); age < historySpan*9/10 || age > historySpan {
		t.Errorf("oldest booking made %s ago, want a history reaching back about %s", age, historySpan)
	}
}

// kindsReceiver is a webhook endpoint that notes which kinds of change it
// was told about.
type kindsReceiver struct {
	mu    sync.Mutex
	kinds map[string]bool
	seen  chan struct{}
}

func (k *kindsReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	d, err := calendly.ParseDelivery(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	kind := d.Event
	if d.Event == calendly.EventInviteeCanceled && d.Invitee.Rescheduled {
		kind = "rescheduled"
	}
	k.mu.Lock()
	k.kinds[kind] = true
	k.mu.Unlock()
	select {
	case k.seen <- struct{}{}:
	default:
	}
}

func (k *kindsReceiver) has(kinds []string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, kind := range kinds {
		if !k.kinds[kind] {
			return false
		}
	}
	return true
}

func TestLiveModeMakesEveryKindOfChangeAndStopsOnClose(t *testing.T) {
	before := runtime.NumGoroutine()
	rc := &kindsReceiver{kinds: map[string]bool{}, seen: make(chan struct{}, 1)}
	receiver := httptest.NewServer(rc)
	defer receiver.Close()

	s := NewUnstartedServer(Options{Tokens: []string{"tok"}, Live: 60000, Seed: 3})
	subscribeToEverything(t, s, receiver.URL)
	s.Start()

	want := []string{calendly.EventInviteeCreated, calendly.EventInviteeCanceled, "rescheduled",
		calendly.EventInviteeNoShowCreated, calendly.EventInviteeNoShowDeleted}
	deadline := time.After(testDeadline)
	for !rc.has(want) {
		select {
		case <-rc.seen:
		case <-deadline:
			s.Close()
			t.Fatalf("live mode delivered only %v within %s, want each of %v", rc.kinds, testDeadline, want)
		}
	}

	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(testDeadline):
		t.Fatalf("Close did not stop live mode within %s", testDeadline)
	}
	after := len(bookingLines(s))
	receiver.Close()
	eventually(t, func() bool { return runtime.NumGoroutine() <= before },
		"goroutines back to %d after Close (now %d)", before, runtime.NumGoroutine())
	if n := len(bookingLines(s)); n != after {
		t.Fatalf("live mode kept changing after Close: %d bookings, then %d", after, n)
	}
}

// subscribeToEverything makes an organization-scope subscription to every invitee
// event through the API, as a client would, before s starts.
func subscribeToEverything(t *testing.T, s *Server, callback string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"url": callback, "events": calendly.InviteeEvents, "organization": s.Organization(),
		"scope": calendly.ScopeOrganization, "signing_key": "live-key",
	})
	req := httptest.NewRequest(http.MethodPost, s.URL+"/webhook_subscriptions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %s", rec.Code, strings.TrimSpace(rec.Body.String()))
	}
}

// TestHistorySetsHowBusyTheSeededPastIs: Options.History makes a busier
// (or quieter) past, as a demo wants a few hundred bookings.
func TestHistorySetsHowBusyTheSeededPastIs(t *testing.T) {
	busy := NewServer(Options{Seed: 7, History: 4 * historyChanges, Now: func() time.Time { return generatorNow }})
	t.Cleanup(busy.Close)
	usual := len(bookingLines(seededServer(t, 7)))
	if got := len(bookingLines(busy)); got < 3*usual {
		t.Errorf("History %d made %d bookings, the default %d made %d; want about four times as many", 4*historyChanges, got, historyChanges, usual)
	}
}

// TestLiveFirstWaitsForASubscriptionThenChangesAtOnce: with LiveFirst the
// generator changes nothing before the first subscription and makes its
// first change LiveFirst after it, though Live's pace alone would take
// weeks.
func TestLiveFirstWaitsForASubscriptionThenChangesAtOnce(t *testing.T) {
	rc := &kindsReceiver{kinds: map[string]bool{}, seen: make(chan struct{}, 1)}
	receiver := httptest.NewServer(rc)
	defer receiver.Close()
	s := NewServer(Options{Tokens: []string{"tok"}, Live: 0.001, LiveFirst: 50 * time.Millisecond})
	defer s.Close()
	subscribed := time.Now()
	subscribeToEverything(t, s, receiver.URL)
	select {
	case <-rc.seen:
	case <-time.After(testDeadline):
		t.Fatalf("no delivery within %s of subscribing", testDeadline)
	}
	if took := time.Since(subscribed); took < 50*time.Millisecond {
		t.Errorf("the first change came %s after subscribing, before LiveFirst", took)
	}
	// One booking: the generator made no change before the subscription
	// (the next one at Live's pace is weeks away).
	if n := len(bookingLines(s)); n != 1 {
		t.Errorf("%d bookings after the first delivery, want the one it brought", n)
	}
}

// TestLiveFirstBooksForAUserScopedSubscriber: the first live change is a
// booking the subscription is sent, hosted by its user even when that is
// not the account's first user.
func TestLiveFirstBooksForAUserScopedSubscriber(t *testing.T) {
	rc := &kindsReceiver{kinds: map[string]bool{}, seen: make(chan struct{}, 1)}
	receiver := httptest.NewServer(rc)
	defer receiver.Close()
	s := NewServer(Options{Tokens: []string{"tok"}, Seed: 1, History: 50, Live: 0.001, LiveFirst: 10 * time.Millisecond})
	defer s.Close()
	s.mu.Lock()
	teammate, first := s.st.users[len(s.st.users)-1], s.st.defaultUser()
	s.mu.Unlock()
	if teammate.URI == first.URI {
		t.Skip("the seeded account has one user")
	}
	before := len(bookingLines(s))
	body, _ := json.Marshal(map[string]any{
		"url": receiver.URL, "events": calendly.InviteeEvents, "organization": s.Organization(),
		"scope": calendly.ScopeUser, "user": teammate.URI, "signing_key": "live-key",
	})
	req := httptest.NewRequest(http.MethodPost, s.URL+"/webhook_subscriptions", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %s", rec.Code, rec.Body.String())
	}
	select {
	case <-rc.seen:
	case <-time.After(testDeadline):
		t.Fatalf("no delivery to %s's subscription within %s", teammate.Name, testDeadline)
	}
	lines := bookingLines(s)
	if len(lines) != before+1 {
		t.Fatalf("%d bookings after the first live change, want %d", len(lines), before+1)
	}
	if !rc.has([]string{calendly.EventInviteeCreated}) {
		t.Errorf("the first live delivery was %v, want invitee.created", rc.kinds)
	}
}
