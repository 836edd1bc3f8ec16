package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/storage"
)

// sparkWeeks is how many weeks the contacts pane's sparkline covers.
const sparkWeeks = 6

// sparkSince is where the sparkline's oldest week begins.
func sparkSince(now time.Time) time.Time { return now.AddDate(0, 0, -7*sparkWeeks) }

// weeklyBookings buckets booking times into the sparkWeeks weeks that end
// at now, oldest week first: week i holds [now-7(6-i) days, now-7(5-i) days).
func weeklyBookings(booked []time.Time, now time.Time) []int {
	counts := make([]int, sparkWeeks)
	since := sparkSince(now)
	for _, b := range booked {
		if b.Before(since) || !b.Before(now) {
			continue
		}
		counts[min(sparkWeeks-1, int(b.Sub(since)/(7*24*time.Hour)))]++
	}
	return counts
}

// sparkline draws counts one cell each on an absolute scale, so a glyph
// means the same number for every person: ▁ is one booking, █ eight or
// more, · none.
func sparkline(counts []int) string {
	const bars = "▁▂▃▄▅▆▇█"
	glyphs := []rune(bars)
	var b strings.Builder
	for _, n := range counts {
		if n <= 0 {
			b.WriteString("·")
			continue
		}
		b.WriteRune(glyphs[min(n, len(glyphs))-1])
	}
	return b.String()
}

// personHeader is the lines above the activity: the counts with the first
// sighting, and the sparkline of recent bookings.
func (c *contactsPane) personHeader(st Styles, r storage.ContactView, now time.Time) []string {
	counts := fmt.Sprintf(" %d booked · %d canceled · %d no-show", r.Bookings, r.Cancellations, r.NoShows)
	if c.summaryFor != r.Email {
		return []string{counts, ""}
	}
	if first := c.summary.FirstSeen; !first.IsZero() {
		counts += " · first seen " + shortDate(first, now)
	}
	spark := " " + sparkline(weeklyBookings(c.summary.Booked, now)) + "  " +
		st.Faint.Render(fmt.Sprintf("bookings per week, last %d weeks", sparkWeeks))
	return []string{counts, spark}
}

// nextLine is "NEXT   Thu 18 Jun 09:00 · Intro Call · in 25m", or "" when
// the person has nothing ahead.
func (c *contactsPane) nextLine(st Styles, email string, loc *time.Location, now time.Time) string {
	if c.summaryFor != email || c.summary.Next == nil {
		return ""
	}
	n := c.summary.Next
	when := n.Start.In(loc).Format("Mon 2 Jan 15:04")
	return "  " + st.Faint.Render("NEXT") + "   " + when + " · " + outside(n.Name) + " · in " + shortDuration(n.Start.Sub(now))
}

// shortDate is "12 Mar" this year, "12 Mar 2025" before.
func shortDate(t, now time.Time) string {
	if t.Year() == now.Year() {
		return t.In(now.Location()).Format("2 Jan")
	}
	return t.In(now.Location()).Format("2 Jan 2006")
}

// copyContactEmail puts the selected contact's email on the clipboard
// (OSC 52), made safe as every copy is (y in the contacts pane).
func (m *Model) copyContactEmail() tea.Cmd {
	email := m.contacts.selectedEmail()
	if email == "" {
		m.setFlash(sevInfo, "no contact selected")
		return m.expireFlash()
	}
	m.setFlash(sevOK, "✓ copied "+outside(email))
	return tea.Batch(tea.SetClipboard(outside(email)), m.expireFlash())
}

// openActivityBooking opens the booking of the selected activity row in
// the booking detail (o, and ⏎ in the activity list).
func (m *Model) openActivityBooking() tea.Cmd {
	a, ok := m.contacts.selectedActivity()
	if !ok || a.EventURI == "" {
		m.setFlash(sevInfo, "no booking selected")
		return m.expireFlash()
	}
	return m.openEvent(a.EventURI)
}
