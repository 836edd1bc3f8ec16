package calendlytest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/calwatch/calwatch/calendly"
)

func TestListenServesOnTheGivenAddressAndRefusesABusyOne(t *testing.T) {
	s, err := Listen("127.0.0.1:0", Options{Tokens: []string{testPAT}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	host, _, err := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	if err != nil || host != "127.0.0.1" {
		t.Fatalf("URL %q", s.URL)
	}
	apiGet(t, s, "/users/me").want(t, http.StatusOK, nil)

	_, err = Listen(strings.TrimPrefix(s.URL, "http://"), Options{})
	if err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("a busy address gave %v, want an error that suggests another --addr", err)
	}
}

func TestUnspecifiedHostIsReachedThroughLoopback(t *testing.T) {
	got := originOf(&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080})
	if got != "http://127.0.0.1:8080" {
		t.Errorf("origin %q", got)
	}
	if got := originOf(&net.TCPAddr{IP: net.ParseIP("::1"), Port: 9}); got != "http://[::1]:9" {
		t.Errorf("origin %q", got)
	}
}

func TestUnstartedServerTakesSetupThenServesItAndClosesTwice(t *testing.T) {
	s := NewUnstartedServer(Options{Tokens: []string{testPAT}})
	booked, err := s.Book(BookRequest{Email: "ada@example.com", Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	s.Start()
	getEventByURI(t, s, booked.Event)
	s.Close()
	s.Close()
	if _, err := http.Get(s.URL + "/users/me"); err == nil {
		t.Error("the emulator still answers after Close")
	}
}

// TestConcurrentUseKeepsCountsConsistent books, cancels, marks no-shows,
// subscribes and reads from many goroutines at once (run with -race).
func TestConcurrentUseKeepsCountsConsistent(t *testing.T) {
	s, outbox := startEmulator(t, Options{})
	subscribe(t, s, map[string]any{"url": "https://hooks.example.com/all", "events": calendly.InviteeEvents,
		"organization": s.Organization(), "scope": "organization"})
	group := mustBook(t, s, BookRequest{Email: "host-guest@example.com", Name: "First", MaxInvitees: 1000})

	const workers, perWorker = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker*4)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				email := fmt.Sprintf("w%d-%d@example.com", w, i)
				res, err := s.Book(BookRequest{Email: email, Name: email})
				if err != nil {
					errs <- err
					continue
				}
				if _, err := s.Book(BookRequest{Email: email, Name: email, Event: group.Event}); err != nil {
					errs <- err
				}
				switch i % 3 {
				case 0:
					errs <- s.Cancel(CancelRequest{Invitee: res.Invitee})
				case 1:
					errs <- s.MarkNoShow(res.Invitee)
				case 2:
					_, err := s.Reschedule(RescheduleRequest{Invitee: res.Invitee})
					errs <- err
				}
				errs <- tryStatus(http.MethodGet, s.URL+eventsPath(s, "&count=100"), "", http.StatusOK)
				sub := fmt.Sprintf(`{"url":"https://hooks.example.com/%s","events":["invitee.created"],"organization":%q,"scope":"organization"}`,
					email, s.Organization())
				errs <- tryStatus(http.MethodPost, s.URL+"/webhook_subscriptions", sub, http.StatusCreated)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	total := workers * perWorker
	ev := getEventByURI(t, s, group.Event)
	if ev.InviteesCounter.Total != total+1 || ev.InviteesCounter.Active != total+1 {
		t.Errorf("group event counter %+v, want %d booked and active", ev.InviteesCounter, total+1)
	}
	// 1 group event, one event per booking, one more per reschedule.
	reschedules := 0
	for i := range perWorker {
		if i%3 == 2 {
			reschedules += workers
		}
	}
	events, _ := walk[calendly.ScheduledEvent](t, s, eventsPath(s, "&count=100"))
	if want := 1 + total + reschedules; len(events) != want {
		t.Errorf("%d events listed, want %d", len(events), want)
	}
	subs, _ := walk[calendly.WebhookSubscription](t, s, "/webhook_subscriptions?scope=organization&count=100&organization="+url.QueryEscape(s.Organization()))
	if len(subs) != total+1 {
		t.Errorf("%d subscriptions, want %d", len(subs), total+1)
	}
	if len(outbox.all()) == 0 {
		t.Error("no deliveries were handed over")
	}
}

// tryStatus makes an authenticated request from any goroutine and reports
// an unexpected status as an error.
func tryStatus(method, rawURL, body string, want int) error {
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+testPAT)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	io.Copy(io.Discard, res.Body)
	if res.StatusCode != want {
		return fmt.Errorf("%s %s answered %d, want %d", method, rawURL, res.StatusCode, want)
	}
	return nil
}
