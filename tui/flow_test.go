package tui

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/fixture"
	"github.com/calwatch/calwatch/tunnel/listener"
)

// TestFlowDeliveryThroughTheListenerReachesEveryPane starts the TUI over
// a filled store with calwatch's own listener in process (as
// `calwatch --no-tunnel` does), waits for the month grid, posts a signed
// delivery to the listener and waits for it to show up; then checks the
// feed, the calendar, the day and the contacts all have it.
func TestFlowDeliveryThroughTheListenerReachesEveryPane(t *testing.T) {
	store := filledStore(t)
	hub := NewHub(store.Panes(), Connection{Mode: ModeLocal, KeySet: true})
	handler, err := listener.NewHandler(listener.Config{
		SigningKey: fixture.Key, Store: store,
		OnRecord: func(rec storage.DeliveryRecord) { hub.Publish(DeliveryCommitted{Record: rec}) },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	hub.conn.WebhookURL = srv.URL + listener.DefaultPath

	m := New(hub, Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 36))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("June 2026")) && bytes.Contains(b, []byte("●"))
	}, teatest.WithDuration(10*time.Second))

	day := midnight(testNow)
	counts, err := store.Panes().DayCounts(context.Background(), day, day.AddDate(0, 0, 1), berlin)
	if err != nil || len(counts) != 1 {
		t.Fatalf("today's count before: %v, %v", counts, err)
	}
	before := counts[0]
	now := time.Now()
	booking := fixture.NewBooking("FLOW", "Quetzalcoatl", 0, day.Add(10*time.Hour), now)
	body := booking.Body(calendly.EventInviteeCreated, now)
	req, _ := http.NewRequest(http.MethodPost, hub.conn.WebhookURL, bytes.NewReader(body))
	req.Header.Set(calendly.SignatureHeader, calendly.Sign(fixture.Key, now, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the listener answered %d", resp.StatusCode)
	}
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("Quetzalcoatl"))
	}, teatest.WithDuration(10*time.Second))
	// The feed shows it first; the other panes' reads were issued together
	// with the feed's. Switch to contacts so their pane draws too.
	tm.Type("4")
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("Quetzalcoatl")) && bytes.Contains(b, []byte("] Contacts"))
	}, teatest.WithDuration(10*time.Second))
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)

	last := final.feed.rows[len(final.feed.rows)-1]
	if last.InviteeName != "Quetzalcoatl" || answerCode(last.DeliveryRecord) != 200 {
		t.Errorf("newest feed row = %+v, want Quetzalcoatl's 200", last)
	}
	if got := final.cal.counts[day.Format(time.DateOnly)]; got.Booked != before.Booked+1 {
		t.Errorf("today's count = %+v, was %+v; want one more booked", got, before)
	}
	found := false
	for _, b := range final.day.rows {
		found = found || b.Invitee == "Quetzalcoatl"
	}
	if !found {
		t.Error("the day pane does not list the new booking")
	}
	found = false
	for _, c := range final.contacts.rows {
		found = found || c.Name == "Quetzalcoatl"
	}
	if !found {
		t.Error("the contacts do not list the new person")
	}
	if s := screen(final); !strings.Contains(s, "Quetzalcoatl") {
		t.Errorf("the final screen does not show the new person:\n%s", s)
	}
}
