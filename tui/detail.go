package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// detailPane is one booking: where, who, answers, cancel reason and the
// reschedule chain.
type detailPane struct {
	uri    string
	ev     storage.EventDetail
	err    error
	loaded bool
	scroll int
}

func (d *detailPane) set(uri string, ev storage.EventDetail, err error) {
	if uri != d.uri {
		return
	}
	d.ev, d.err, d.loaded = ev, err, true
}

func (m *Model) openEvent(uri string) tea.Cmd {
	if uri == "" {
		return nil
	}
	m.view = viewDetail
	m.detail = detailPane{uri: uri}
	return m.loadEvent(uri)
}

func (m *Model) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	switch km := m.km; {
	case key.Matches(msg, km.Back):
		m.view = viewMain
	case key.Matches(msg, km.Down):
		m.detail.scroll++
	case key.Matches(msg, km.Up):
		m.detail.scroll = max(0, m.detail.scroll-1)
	case key.Matches(msg, km.Top):
		m.detail.scroll = 0
	case key.Matches(msg, km.OpenLink):
		if m.detail.loaded && m.detail.err == nil {
			link := ""
			if m.detail.ev.Location != nil {
				link = m.detail.ev.Location.JoinURL
			}
			return m.openLink(link)
		}
	}
	return nil
}

// render draws the booking detail in w×h.
func (d *detailPane) render(st Styles, loc *time.Location, now time.Time, w, h int) string {
	if !d.loaded {
		return box(st, true, "Booking", "esc back", []string{"", st.Faint.Render(" loading…")}, w, h)
	}
	if d.err != nil {
		msg := d.err.Error()
		if errors.Is(d.err, storage.ErrNotFound) {
			msg = "This booking is not in the database (yet)."
		}
		return box(st, true, "Booking", "esc back", []string{"", " " + st.Bad.Render("✗ "+msg)}, w, h)
	}
	ev := d.ev
	title := orDefault(outside(ev.Name), "(unnamed event)")
	if ev.StartTime != nil {
		start := ev.StartTime.In(loc)
		title += " · " + start.Format("Mon 2 Jan 15:04")
		if ev.EndTime != nil {
			title += "–" + ev.EndTime.In(loc).Format("15:04")
		}
		if ev.StartTime.After(now) {
			title += " (in " + shortDuration(ev.StartTime.Sub(now)) + ")"
		}
	}
	status := "✓ active"
	if ev.Status == "canceled" {
		status = "✗ canceled"
	}
	title += " · " + status
	lines := d.lines(st, loc, w-2)
	d.scroll = max(0, min(d.scroll, len(lines)-1))
	return box(st, true, title, "esc back", lines[d.scroll:], w, h)
}

func (d *detailPane) lines(st Styles, loc *time.Location, w int) []string {
	ev := d.ev
	label := func(name, value string) string { return fit(" "+fit(name, 11)+value, w) }
	var out []string
	where := "—"
	if ev.Location != nil {
		where = whereLabel(ev.Location.Type)
		if s := ev.Location.Location; s != "" {
			where += " · " + outside(s)
		}
		if u := ev.Location.JoinURL; u != "" {
			where += " · " + outside(u)
		}
	}
	out = append(out, label("Where", where))
	for _, h := range ev.Hosts {
		out = append(out, label("Host", fmt.Sprintf("%s <%s>", outside(h.Name), outside(h.Email))))
	}
	if ev.Cancellation != nil {
		out = append(out, label("Canceled", cancellationText(*ev.Cancellation)))
	}
	out = append(out, "", st.Faint.Render(" INVITEES"))
	if len(ev.Invitees) == 0 {
		out = append(out, st.Faint.Render("   none stored yet"))
	}
	for _, iv := range ev.Invitees {
		state := "✓ active"
		if iv.Status == "canceled" {
			state = "✗ canceled"
		}
		if iv.NoShow {
			state += " · ⊘ no-show"
		}
		out = append(out, fit(fmt.Sprintf(" • %s <%s>  %s  %s", outside(iv.Name), outside(iv.Email), outside(iv.Timezone), state), w))
		if mv, ok := d.ev.Moves[iv.URI]; ok {
			if mv.From != nil {
				out = append(out, fit("     ⇄ moved here from "+movedText(mv.From, loc), w))
			}
			if mv.To != nil {
				out = append(out, fit("     ⇄ moved to "+movedText(mv.To, loc), w))
			}
		} else if iv.RescheduledFrom != nil || iv.RescheduledTo != nil {
			out = append(out, st.Faint.Render("     ⇄ rescheduled (the other booking is not stored)"))
		}
		if c, ok := d.ev.Cancellations[iv.URI]; ok && iv.Status == "canceled" {
			out = append(out, fit("     ✗ "+cancellationText(c), w))
		}
		// Questions get the width of the longest, up to half the pane.
		qW := 0
		for _, qa := range iv.QuestionsAndAnswers {
			qW = max(qW, ansi.StringWidth(outside(qa.Question)))
		}
		qW = max(12, min(qW, w/2-7))
		for _, qa := range iv.QuestionsAndAnswers {
			out = append(out, fit("     "+fit(outside(qa.Question), qW)+"  "+outside(qa.Answer), w))
		}
	}
	if len(ev.Guests) > 0 {
		var g []string
		for _, guest := range ev.Guests {
			g = append(g, outside(guest.Email))
		}
		out = append(out, "", fit(" Guests     "+strings.Join(g, ", "), w))
	}
	if !d.ev.CreatedAt.IsZero() {
		out = append(out, "", st.Faint.Render(fit(" Booked "+d.ev.CreatedAt.In(loc).Format("Mon 2 Jan 2006 15:04"), w)))
	}
	return out
}

// cancellationText is `by Li Wei (invitee): "conflict"`.
func cancellationText(c calendly.Cancellation) string {
	s := "by " + orDefault(outside(c.CanceledBy), "someone")
	if c.CancelerType != "" {
		s += " (" + outside(c.CancelerType) + ")"
	}
	if c.Reason != nil && *c.Reason != "" {
		s += fmt.Sprintf(": %q", outside(*c.Reason))
	}
	return s
}

func movedText(m *storage.MovedBooking, loc *time.Location) string {
	if m.Start.IsZero() {
		return orDefault(outside(m.Name), "another booking")
	}
	return orDefault(outside(m.Name), "booking") + " · " + m.Start.In(loc).Format("Mon 2 Jan 15:04")
}

// bookingLabel is a stored event in brief for the inspector's Booking
// line: "Mon 22 Jun 10:00 · Jane Doe", the invitee being the delivery's
// (inviteeURI) or else the first, "· canceled" when it is. The names are
// made safe here.
func bookingLabel(d storage.EventDetail, inviteeURI string, loc *time.Location) string {
	var parts []string
	if d.StartTime != nil {
		parts = append(parts, d.StartTime.In(loc).Format("Mon 2 Jan 15:04"))
	} else if d.Name != "" {
		parts = append(parts, outside(d.Name))
	}
	who := ""
	for i, in := range d.Invitees {
		if in.URI == inviteeURI || (i == 0 && who == "") {
			who = outside(orDefault(in.Name, in.Email))
		}
		if in.URI == inviteeURI {
			break
		}
	}
	if who != "" {
		parts = append(parts, who)
	}
	if d.Status == "canceled" {
		parts = append(parts, "canceled")
	}
	return strings.Join(parts, " · ")
}
