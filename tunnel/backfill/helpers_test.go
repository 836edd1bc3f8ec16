package backfill

import (
	"context"
	"net/http"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

const testToken = "backfill-test-token"

// checkToken is a second token, so checking against the API does not spend
// the rate limit of the sync under test.
const checkToken = "backfill-check-token"

func openStore(t testing.TB) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatalf("storage.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newClient(t testing.TB, emu *calendlytest.Server, token string, opts ...calendly.Option) *calendly.Client {
	t.Helper()
	c, err := calendly.NewClient(calendly.StaticToken(token), append([]calendly.Option{calendly.WithBaseURL(emu.URL)}, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func newSyncer(t testing.TB, client *calendly.Client, store Store, user string, mod func(*Options)) *Syncer {
	t.Helper()
	opts := Options{User: user}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(client, store, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// apiInvitee is what the API says of one invitee, as the store should show it.
type apiInvitee struct {
	status string
	noShow bool
	event  string
}

// apiState reads every event starting at or after since, and its
// invitees, through the API.
func apiState(t testing.TB, c *calendly.Client, user string, since time.Time) (map[string]string, map[string]apiInvitee) {
	t.Helper()
	ctx := context.Background()
	events := map[string]string{}
	invitees := map[string]apiInvitee{}
	for ev, err := range c.ScheduledEvents.All(ctx, calendly.ListScheduledEventsOptions{User: user, MinStartTime: since, ListOptions: calendly.ListOptions{Count: 100}}) {
		if err != nil {
			t.Fatalf("listing events: %v", err)
		}
		events[ev.URI] = ev.Status
		for inv, err := range c.Invitees.All(ctx, ev.URI, calendly.ListInviteesOptions{ListOptions: calendly.ListOptions{Count: 100}}) {
			if err != nil {
				t.Fatalf("listing invitees: %v", err)
			}
			invitees[inv.URI] = apiInvitee{status: inv.Status, noShow: inv.NoShow != nil, event: ev.URI}
		}
	}
	return events, invitees
}

// storeState is the same, read from the store.
func storeState(t testing.TB, s *storage.Store, since time.Time) (map[string]string, map[string]apiInvitee) {
	t.Helper()
	evs, err := s.ListEvents(context.Background(), storage.EventFilter{From: since})
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	events := map[string]string{}
	invitees := map[string]apiInvitee{}
	for _, ev := range evs {
		events[ev.URI] = ev.Status
		for _, inv := range ev.Invitees {
			invitees[inv.URI] = apiInvitee{status: inv.Status, noShow: inv.NoShow, event: ev.URI}
		}
	}
	return events, invitees
}

// requireSameAsAPI fails when the store does not show what the API lists.
func requireSameAsAPI(t testing.TB, c *calendly.Client, s *storage.Store, user string, since time.Time) int {
	t.Helper()
	wantEvents, wantInvitees := apiState(t, c, user, since)
	gotEvents, gotInvitees := storeState(t, s, since)
	for _, uri := range sortedKeys(wantEvents) {
		if gotEvents[uri] != wantEvents[uri] {
			t.Errorf("event %s: stored status %q, API says %q", uri, gotEvents[uri], wantEvents[uri])
		}
	}
	for _, uri := range sortedKeys(wantInvitees) {
		if got, want := gotInvitees[uri], wantInvitees[uri]; got != want {
			t.Errorf("invitee %s: stored %+v, API says %+v", uri, got, want)
		}
	}
	if len(gotEvents) != len(wantEvents) || len(gotInvitees) != len(wantInvitees) {
		t.Errorf("store has %d events and %d invitees from %v on, the API %d and %d", len(gotEvents), len(gotInvitees), since, len(wantEvents), len(wantInvitees))
	}
	return len(wantEvents)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fakeClock is the emulator's clock in rate-limit tests: it moves only when
// told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// windowSkipper moves the emulator's clock a rate-limit window ahead before
// each request, so a checking client is never limited.
type windowSkipper struct{ clock *fakeClock }

func (w windowSkipper) RoundTrip(r *http.Request) (*http.Response, error) {
	w.clock.Advance(time.Minute + time.Second)
	return http.DefaultTransport.RoundTrip(r)
}
