package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/storage"
)

// readTimeout bounds one read; the panes' reads take milliseconds.
const readTimeout = 5 * time.Second

// loadSeq numbers requests per kind, so a late answer to an older request
// is dropped instead of overwriting a newer one.
type loadSeq struct{ month, day, period, contacts, activity, event, delivery int }

type (
	monthLoaded struct {
		seq    int
		month  time.Time
		counts []storage.DayCount
		err    error
	}
	dayLoaded struct {
		seq  int
		day  time.Time
		rows []storage.BookingRow
		err  error
	}
	periodLoaded struct {
		seq  int
		from time.Time
		rows []storage.BookingRow
		err  error
	}
	contactsLoaded struct {
		seq    int
		search string
		more   bool // a next page, appended
		rows   []storage.ContactView
		total  int // matching the search
		all    int // every contact
		err    error
	}
	activityLoaded struct {
		seq     int
		email   string
		rows    []storage.ActivityRow
		summary storage.PersonSummary
		err     error
	}
	feedLoaded struct {
		history bool // the first load, newest first
		refresh bool // answers refreshAll
		rows    []storage.FeedRow
		err     error
	}
	eventLoaded struct {
		seq    int
		uri    string
		detail storage.EventDetail
		err    error
	}
	deliveryLoaded struct {
		seq     int
		rec     storage.DeliveryRecord
		booking string // the stored event, "Mon 22 Jun 10:00 · Jane Doe"; "" when not stored
		err     error
		fwd     *storage.ForwardResult
		fwdErr  error
	}
)

// read runs f with a deadline in a Cmd.
func read[T any](f func(ctx context.Context) T) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		return f(ctx)
	}
}

func (m *Model) loadMonth() tea.Cmd {
	m.loads.month++
	seq, r, loc := m.loads.month, m.reader, m.loc
	first := firstOfMonth(m.cal.selected)
	return read(func(ctx context.Context) tea.Msg {
		counts, err := r.DayCounts(ctx, first, first.AddDate(0, 1, 0), loc)
		return monthLoaded{seq: seq, month: first, counts: counts, err: err}
	})
}

func (m *Model) loadDay() tea.Cmd {
	m.loads.day++
	seq, r, day := m.loads.day, m.reader, m.cal.selected
	return read(func(ctx context.Context) tea.Msg {
		rows, err := r.Bookings(ctx, day, day.AddDate(0, 0, 1))
		return dayLoaded{seq: seq, day: day, rows: rows, err: err}
	})
}

// loadPeriod reads the week around the selected day, or the agenda's two
// weeks from it; the month view needs neither.
func (m *Model) loadPeriod() tea.Cmd {
	from, to := m.cal.period()
	if from.IsZero() {
		return nil
	}
	m.loads.period++
	seq, r := m.loads.period, m.reader
	return read(func(ctx context.Context) tea.Msg {
		rows, err := r.Bookings(ctx, from, to)
		return periodLoaded{seq: seq, from: from, rows: rows, err: err}
	})
}

// loadContacts reads the first page for the current search; refresh keeps
// as many rows as are loaded now.
func (m *Model) loadContacts(refresh bool) tea.Cmd {
	m.loads.contacts++
	seq, r, search, sort := m.loads.contacts, m.reader, m.contacts.search(), m.contacts.sort
	limit := contactPage
	if refresh {
		limit = min(200, max(contactPage, len(m.contacts.rows)))
	}
	return read(func(ctx context.Context) tea.Msg {
		rows, err := r.Contacts(ctx, storage.ContactPage{Sort: sort, Search: search, Limit: limit})
		if err != nil {
			return contactsLoaded{seq: seq, err: err}
		}
		total, err := r.CountContacts(ctx, search)
		if err != nil {
			return contactsLoaded{seq: seq, err: err}
		}
		all := total
		if search != "" {
			all, err = r.CountContacts(ctx, "")
		}
		return contactsLoaded{seq: seq, search: search, rows: rows, total: total, all: all, err: err}
	})
}

// loadMoreContacts reads the page after the last loaded row.
func (m *Model) loadMoreContacts() tea.Cmd {
	if len(m.contacts.rows) == 0 || m.contacts.loadingMore || len(m.contacts.rows) >= m.contacts.total {
		return nil
	}
	m.contacts.loadingMore = true
	seq, r, search, sort := m.loads.contacts, m.reader, m.contacts.search(), m.contacts.sort
	last := m.contacts.rows[len(m.contacts.rows)-1]
	return read(func(ctx context.Context) tea.Msg {
		rows, err := r.Contacts(ctx, storage.ContactPage{Sort: sort, Search: search, After: &last, Limit: contactPage})
		return contactsLoaded{seq: seq, search: search, more: true, rows: rows, total: -1, err: err}
	})
}

func (m *Model) loadActivity() tea.Cmd {
	email := m.contacts.selectedEmail()
	if email == "" {
		return nil
	}
	m.loads.activity++
	seq, r, now := m.loads.activity, m.reader, m.now()
	return read(func(ctx context.Context) tea.Msg {
		rows, err := r.ContactActivity(ctx, storage.ActivityPage{Email: email, Limit: 50})
		if err != nil {
			return activityLoaded{seq: seq, email: email, err: err}
		}
		summary, err := r.PersonSummary(ctx, email, sparkSince(now), now)
		return activityLoaded{seq: seq, email: email, rows: rows, summary: summary, err: err}
	})
}

func (m *Model) loadFeedHistory() tea.Cmd {
	r := m.reader
	return read(func(ctx context.Context) tea.Msg {
		rows, err := r.DeliveriesBefore(ctx, 0, feedHistory)
		return feedLoaded{history: true, rows: rows, err: err}
	})
}

// loadFeedAfter reads what arrived since the newest row in the feed (the
// history, if the feed has not loaded yet): the feed's part of a refresh.
func (m *Model) loadFeedAfter() tea.Cmd {
	r, after, history := m.reader, m.feed.lastID(), !m.feed.loaded
	return read(func(ctx context.Context) tea.Msg {
		if history {
			rows, err := r.DeliveriesBefore(ctx, 0, feedHistory)
			return feedLoaded{history: true, refresh: true, rows: rows, err: err}
		}
		rows, err := r.DeliveriesAfter(ctx, after, feedRing)
		return feedLoaded{refresh: true, rows: rows, err: err}
	})
}

func (m *Model) loadEvent(uri string) tea.Cmd {
	m.loads.event++
	seq, r := m.loads.event, m.reader
	return read(func(ctx context.Context) tea.Msg {
		d, err := r.Event(ctx, uri)
		return eventLoaded{seq: seq, uri: uri, detail: d, err: err}
	})
}

func (m *Model) loadDelivery(id int64) tea.Cmd {
	m.loads.delivery++
	seq, r, loc := m.loads.delivery, m.reader, m.loc
	return read(func(ctx context.Context) tea.Msg {
		rec, err := r.Delivery(ctx, id)
		msg := deliveryLoaded{seq: seq, rec: rec, err: err}
		msg.fwd, msg.fwdErr = forwardOf(ctx, r, id)
		if err == nil && rec.EventURI != "" {
			if d, err := r.Event(ctx, rec.EventURI); err == nil {
				msg.booking = bookingLabel(d, rec.Invitee, loc)
			}
		}
		return msg
	})
}

// onLoaded applies a read's answer, dropping stale ones.
func (m *Model) onLoaded(msg tea.Msg) (tea.Cmd, bool) {
	var err error
	switch msg := msg.(type) {
	case monthLoaded:
		if msg.seq == m.loads.month && msg.err == nil {
			m.cal.setCounts(msg.month, msg.counts)
		}
		err = msg.err
	case dayLoaded:
		if msg.seq == m.loads.day && msg.err == nil {
			m.day.set(msg.day, msg.rows)
		}
		err = msg.err
	case periodLoaded:
		if msg.seq == m.loads.period && msg.err == nil {
			m.cal.setPeriod(msg.from, msg.rows)
		}
		err = msg.err
	case contactsLoaded:
		if msg.seq != m.loads.contacts {
			return nil, true
		}
		if msg.err != nil {
			m.contacts.loadingMore = false
			err = msg.err
			break
		}
		if changed := m.contacts.set(msg); changed && m.contacts.selectedEmail() != "" {
			return m.loadActivity(), true
		}
	case activityLoaded:
		if msg.seq == m.loads.activity && msg.err == nil {
			m.contacts.activity, m.contacts.activityFor = msg.rows, msg.email
			m.contacts.summary, m.contacts.summaryFor = msg.summary, msg.email
		}
		err = msg.err
	case feedLoaded:
		var cmds []tea.Cmd
		if msg.err == nil {
			m.feed.add(msg.rows, msg.history)
			if m.view == viewInspector && m.insp.rec.ID == 0 && len(m.feed.rows) > 0 {
				cmds = append(cmds, m.loadDelivery(m.feed.selectedID()))
			}
		}
		if msg.refresh {
			m.refreshing = false
			if m.dirty {
				cmds = append(cmds, m.refreshAll())
			}
		}
		if msg.err != nil {
			m.log.Error("read", "err", msg.err)
			m.setFlash(sevBad, "✗ "+msg.err.Error())
		}
		return tea.Batch(cmds...), true
	case eventLoaded:
		if msg.seq == m.loads.event {
			m.detail.set(msg.uri, msg.detail, msg.err)
		}
	case deliveryLoaded:
		if msg.seq == m.loads.delivery {
			m.insp.set(msg.rec, msg.err)
			m.insp.booking = msg.booking
			m.setInspectedForward(msg.fwd, msg.fwdErr)
		}
	default:
		return nil, false
	}
	if err != nil {
		m.log.Error("read", "err", err)
		m.setFlash(sevBad, "✗ "+err.Error())
	}
	return nil, true
}
