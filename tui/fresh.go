package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// freshFor is how long a new booking stays highlighted.
const freshFor = 5 * time.Second

// freshGlyph marks a new booking's rows, so the highlight reads without
// colour too.
const freshGlyph = "✦"

// freshSet is what arrived in the last few seconds: the delivery in the
// feed, the booking in the day pane, its day in the calendar and the
// person in the contacts. Every pane holds the same one.
type freshSet struct {
	now        func() time.Time
	deliveries map[int64]time.Time
	events     map[string]time.Time
	emails     map[string]time.Time
	days       map[string]time.Time // yyyy-mm-dd in the viewer's zone
}

func newFreshSet(now func() time.Time) *freshSet {
	return &freshSet{now: now, deliveries: map[int64]time.Time{}, events: map[string]time.Time{},
		emails: map[string]time.Time{}, days: map[string]time.Time{}}
}

func isFresh[K comparable](f *freshSet, m map[K]time.Time, k K) bool {
	if f == nil {
		return false
	}
	until, ok := m[k]
	if ok && !f.now().Before(until) {
		delete(m, k)
		return false
	}
	return ok
}

func (f *freshSet) delivery(id int64) bool { return isFresh(f, f.deliveries, id) }
func (f *freshSet) event(uri string) bool  { return uri != "" && isFresh(f, f.events, uri) }
func (f *freshSet) email(e string) bool    { return e != "" && isFresh(f, f.emails, strings.ToLower(e)) }
func (f *freshSet) day(d time.Time) bool   { return isFresh(f, f.days, d.Format(time.DateOnly)) }

// newBooking says whether rec made a booking: an invitee.created that was
// applied (a duplicate or a refusal changed nothing).
func newBooking(rec storage.DeliveryRecord) bool {
	return rec.Outcome == storage.OutcomeApplied && rec.Event == calendly.EventInviteeCreated
}

// freshBooking is a new booking's event read back, for its day and the
// notification.
type freshBooking struct {
	uri    string
	detail storage.EventDetail
	err    error
}

// onNewBooking highlights rec's rows, rings the bell when asked, and
// reads the booking for its day and the notification.
func (m *Model) onNewBooking(rec storage.DeliveryRecord) tea.Cmd {
	until := m.now().Add(freshFor)
	m.fresh.deliveries[rec.ID] = until
	if rec.EventURI != "" {
		m.fresh.events[rec.EventURI] = until
	}
	if rec.InviteeEmail != "" {
		m.fresh.emails[strings.ToLower(rec.InviteeEmail)] = until
	}
	var cmds []tea.Cmd
	if m.bell {
		cmds = append(cmds, tea.Raw("\a"))
	}
	if rec.EventURI != "" {
		uri, r := rec.EventURI, m.reader
		cmds = append(cmds, read(func(ctx context.Context) tea.Msg {
			d, err := r.Event(ctx, uri)
			return freshBooking{uri: uri, detail: d, err: err}
		}))
	}
	// The highlight ends without a key or a tick to redraw it.
	cmds = append(cmds, tea.Tick(freshFor, func(time.Time) tea.Msg { return freshExpired{} }))
	return tea.Batch(cmds...)
}

// freshExpired redraws once a highlight is over.
type freshExpired struct{}

func (m *Model) onFreshBooking(msg freshBooking) tea.Cmd {
	if msg.err != nil || msg.detail.StartTime == nil {
		return nil
	}
	day := msg.detail.StartTime.In(m.loc).Format(time.DateOnly)
	if until, ok := m.fresh.events[msg.uri]; ok {
		m.fresh.days[day] = until
	}
	if m.notify == nil || m.termFocused {
		return nil
	}
	title, body := notification(msg.detail, m.loc)
	notify, log := m.notify, m.log
	return func() tea.Msg {
		// Where the desktop has no notifications, say nothing on screen.
		if err := notify(title, body); err != nil {
			log.Info("desktop notification skipped", "err", err)
		}
		return nil
	}
}

// notification is the desktop notification's title and text for a new
// booking, made safe like anything else from outside.
func notification(ev storage.EventDetail, loc *time.Location) (string, string) {
	who := "someone"
	if len(ev.Invitees) > 0 {
		who = orDefault(outside(ev.Invitees[len(ev.Invitees)-1].Name), outside(ev.Invitees[len(ev.Invitees)-1].Email))
	}
	body := outside(ev.Name)
	if ev.StartTime != nil {
		body = fmt.Sprintf("%s · %s", body, ev.StartTime.In(loc).Format("Mon 2 Jan 15:04"))
	}
	return "calwatch: " + who + " booked", body
}
