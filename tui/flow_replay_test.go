package tui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/fixture"
	"github.com/calwatch/calwatch/tui/tuitest"
	"github.com/calwatch/calwatch/tunnel/forward"
	"github.com/calwatch/calwatch/tunnel/listener"
)

// resendBackend is a Hub that replays through forward.Resend to the
// listener, as cmd/calwatch's does.
type resendBackend struct {
	*Hub
	store  *storage.Store
	target *url.URL
}

func (b resendBackend) Replay(ctx context.Context, id int64, body []byte) (ReplayResult, error) {
	var src forward.DeliveryReader = b.store
	if body != nil {
		src = editedSource{b.store, body}
	}
	_, ans, err := forward.Resend(ctx, src, id, forward.ResendOptions{Target: b.target, SigningKey: fixture.Key})
	return ReplayResult{Target: ans.URL, Status: ans.Status, Latency: ans.Latency, Err: ans.Err}, err
}

func (b resendBackend) SignNow(body []byte) (string, string, error) {
	return b.target.String(), calendly.Sign(fixture.Key, time.Now(), body), nil
}

type editedSource struct {
	*storage.Store
	body []byte
}

func (e editedSource) Delivery(ctx context.Context, id int64) (storage.StoredDelivery, error) {
	d, err := e.Store.Delivery(ctx, id)
	d.Body, d.BodyPartial = e.body, false
	return d, err
}

// TestFlowReplayAndEditedReplayReachTheListener posts one delivery to the
// in-process listener, replays it with r (the footer says the answer and
// the feed gains the replay), then edits it with e through an "editor"
// that renames the invitee, and checks the listener stored the renamed body.
func TestFlowReplayAndEditedReplayReachTheListener(t *testing.T) {
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
	target, err := url.Parse(hub.conn.WebhookURL)
	if err != nil {
		t.Fatal(err)
	}
	backend := resendBackend{Hub: hub, store: store, target: target}

	m := New(backend, Options{Location: berlin, Now: func() time.Time { return testNow }, Dark: true, NoTicks: true,
		Editor: []string{"sed", "-i", "s/Quetzalcoatl/Tlaloc/g"}})
	screen := tuitest.NewScreen(m)
	tm := teatest.NewTestModel(t, screen, teatest.WithInitialTermSize(120, 36))
	screen.WaitFor(t, "the month", 10*time.Second, func(s string) bool { return strings.Contains(s, "June 2026") })

	now := time.Now()
	booking := fixture.NewBooking("REPLAY", "Quetzalcoatl", 0, midnight(testNow).Add(10*time.Hour), now)
	body := booking.Body(calendly.EventInviteeCreated, now)
	req, _ := http.NewRequest(http.MethodPost, hub.conn.WebhookURL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(calendly.SignatureHeader, calendly.Sign(fixture.Key, now, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// feedRows counts Quetzalcoatl's rows in the feed (EVENT then INVITEE;
	// the day pane has no event column).
	feedRows := func(s string) int { return strings.Count(s, "created   Quetzalcoatl") }
	screen.WaitFor(t, "the delivery in the feed", 10*time.Second, func(s string) bool { return feedRows(s) == 1 })

	newest, err := store.Panes().DeliveriesBefore(context.Background(), 0, 1)
	if err != nil || len(newest) != 1 {
		t.Fatalf("the posted delivery is not stored: %v", err)
	}
	origID := newest[0].ID

	tm.Type("3")
	tm.Type("r")
	screen.WaitFor(t, "the replay's answer and row", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "✓ replayed → 200") && feedRows(s) == 2
	})
	// The replay's row (selected: the feed follows) carries R; the
	// original's does not.
	quetzalRow := regexp.MustCompile(`│(.)(.)\d\d:\d\d:\d\d 200 ✓ ok  created   Quetzalcoatl`)
	gutters := func(s string) string {
		var out []string
		for _, g := range quetzalRow.FindAllStringSubmatch(s, -1) {
			out = append(out, g[1]+g[2])
		}
		return strings.Join(out, "|")
	}
	// The original (fresh, or no longer) has no mark; the replay is selected.
	screen.WaitFor(t, "R on the replay's row only", 10*time.Second, func(s string) bool {
		g := gutters(s)
		return g == "✦ |▸R" || g == "  |▸R"
	})
	replayRow := regexp.MustCompile(`▸R\d\d:\d\d:\d\d 200 ✓ ok  created   Quetzalcoatl`)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	says := fmt.Sprintf("R replay of delivery %d", origID)
	screen.WaitFor(t, "the inspector naming the original", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Feed › delivery") && strings.Count(s, says) == 2 // crumb and verdict
	})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	screen.WaitFor(t, "the feed again", 10*time.Second, func(s string) bool { return replayRow.MatchString(s) })
	tm.Type("e")
	screen.WaitFor(t, "the edited replay's answer", 10*time.Second, func(s string) bool { return strings.Contains(s, "✓ sent edited → 200") })
	// The edit renames the invitee in the body; whether the store takes the
	// new name depends on its ordering rules, so count either.
	screen.WaitFor(t, "the edited replay's row", 10*time.Second, func(s string) bool {
		return feedRows(s)+strings.Count(s, "created   Tlaloc") == 3
	})
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*tuitest.Screen).Model.(*Model)
	rows := final.feed.rows
	if len(rows) < 3 {
		t.Fatalf("feed has %d rows, want the delivery, its replay and the edited one", len(rows))
	}
	orig, replayed, edited := rows[len(rows)-3], rows[len(rows)-2], rows[len(rows)-1]
	if orig.InviteeName != "Quetzalcoatl" || replayed.InviteeName != "Quetzalcoatl" || replayed.ID <= orig.ID {
		t.Errorf("after r the feed ends %q then %q, want Quetzalcoatl's delivery and its replay", orig.InviteeName, replayed.InviteeName)
	}
	// e sent the selected row again: the replay.
	if replayed.ReplayOf != orig.ID || edited.ReplayOf != replayed.ID || orig.ReplayOf != 0 {
		t.Errorf("replay hints: original %d, replay %d, edited %d; want 0, %d, %d", orig.ReplayOf, replayed.ReplayOf, edited.ReplayOf, orig.ID, replayed.ID)
	}
	if answerCode(replayed.DeliveryRecord) != 200 {
		t.Errorf("the replay was answered %d (%s), want 200", answerCode(replayed.DeliveryRecord), replayed.Reason)
	}
	stored, err := store.Delivery(context.Background(), edited.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(stored.Body, []byte(`"Tlaloc"`)) || bytes.Contains(stored.Body, []byte("Quetzalcoatl")) || answerCode(edited.DeliveryRecord) != 200 {
		t.Errorf("the edited replay (answered %d, %s) is not the renamed body:\n%s", answerCode(edited.DeliveryRecord), edited.Reason, stored.Body)
	}
}
