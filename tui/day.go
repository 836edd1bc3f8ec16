package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/storage"
)

// dayPane lists the selected day's bookings.
type dayPane struct {
	fresh  *freshSet // new bookings, highlighted for a few seconds
	day    time.Time
	rows   []storage.BookingRow
	cursor int
	start  int
}

func (d *dayPane) set(day time.Time, rows []storage.BookingRow) {
	sameDay := day.Equal(d.day)
	d.day, d.rows = day, rows
	if !sameDay {
		d.cursor, d.start = 0, 0
	}
	d.cursor = max(0, min(d.cursor, len(rows)-1))
}

func (m *Model) dayKey(msg tea.KeyPressMsg) tea.Cmd {
	km, d := m.km, &m.day
	switch {
	case key.Matches(msg, km.Down):
		d.cursor = min(d.cursor+1, len(d.rows)-1)
	case key.Matches(msg, km.Up):
		d.cursor = max(d.cursor-1, 0)
	case key.Matches(msg, km.Top):
		d.cursor = 0
	case key.Matches(msg, km.Bottom):
		d.cursor = max(0, len(d.rows)-1)
	case key.Matches(msg, km.Left, km.Right, km.Today, km.NextPeriod, km.PrevPeriod):
		return m.calendarKey(msg)
	case key.Matches(msg, km.Open):
		if d.cursor < len(d.rows) {
			return m.openEvent(d.rows[d.cursor].EventURI)
		}
	case key.Matches(msg, km.OpenLink):
		if d.cursor < len(d.rows) {
			return m.openEventLink(d.rows[d.cursor].EventURI)
		}
	}
	d.cursor = max(0, d.cursor)
	return nil
}

// title is "[2] Thu 18 Jun · today · 5+1✗".
func (d *dayPane) title(today time.Time, compact bool) string {
	active, canceled := 0, 0
	for _, b := range d.rows {
		if b.Status == "canceled" {
			canceled++
		} else {
			active++
		}
	}
	label := d.day.Format("Mon 2 Jan")
	if r := relDay(d.day, today); r == "today" || r == "tomorrow" || r == "yesterday" {
		label += " · " + r
	}
	label += fmt.Sprintf(" · %d", active)
	if canceled > 0 {
		label += fmt.Sprintf("+%d✗", canceled)
	}
	if compact {
		return label
	}
	return "[2] " + label
}

// render draws the list, then a note per moved or canceled booking.
func (d *dayPane) render(st Styles, now time.Time, focused bool, w, h int) []string {
	if len(d.rows) == 0 {
		return hint(st, w, " No bookings on "+d.day.Format("Mon 2 Jan")+".", " h/l or ←/→ move the day, t goes to today.")
	}
	whoW := max(8, min(22, (w-24)/2))
	typeW := max(6, w-2-5-1-4-1-whoW-1-stateW-1)
	compact := w < 44
	var lines []string
	if !compact {
		lines = append(lines, st.Faint.Render(fit(fmt.Sprintf("  %-5s %-4s %s %s %s", "START", "LEN", fit("INVITEE", whoW), fit("EVENT TYPE", typeW), "STATE"), w)))
	}
	var notes []string
	for _, b := range d.rows {
		if n := bookingNote(b); n != "" {
			notes = append(notes, n)
		}
	}
	// The bookings come first; the notes get the rows they leave, and a
	// list longer than its rows keeps one for "n of m".
	listH := max(1, h-len(lines))
	if len(d.rows) > listH {
		listH = max(1, listH-1)
	} else if spare := listH - len(d.rows); spare >= 2 {
		listH = len(d.rows)
	}
	d.start = window(d.start, d.cursor, listH, len(d.rows))
	for i := d.start; i < len(d.rows) && i < d.start+listH; i++ {
		b := d.rows[i]
		local := b.Start.In(d.day.Location())
		state := bookingState(b, now)
		var row string
		if compact {
			row = fmt.Sprintf(" %s %s %s", local.Format("15:04"), fit(bookingWho(b), max(4, w-8-stateW)), fit(state, stateW))
		} else {
			row = fmt.Sprintf("  %s %-4s %s %s %s", local.Format("15:04"), bookingLen(b), fit(bookingWho(b), whoW), fit(outside(b.Name), typeW), fit(state, stateW))
		}
		row = fit(row, w)
		fresh := d.fresh.event(b.EventURI)
		if b.Status == "canceled" && !(i == d.cursor && focused) && !fresh {
			row = st.Faint.Render(markRow(st, row, i == d.cursor, focused, false))
		} else {
			row = markRow(st, row, i == d.cursor, focused, fresh)
		}
		lines = append(lines, row)
	}
	if room := h - len(lines); room >= 2 && len(notes) > 0 {
		lines = append(lines, "")
		for _, n := range notes[:min(len(notes), room-1)] {
			lines = append(lines, fit("  "+n, w))
		}
	}
	if len(d.rows) > listH && len(lines) < h {
		lines = append(lines, fitLeft(fmt.Sprintf("%d of %d ", d.cursor+1, len(d.rows)), w))
	}
	return lines
}

func bookingLen(b storage.BookingRow) string {
	if b.End.IsZero() {
		return "—"
	}
	mins := int(b.End.Sub(b.Start).Minutes())
	if mins >= 60 && mins%60 == 0 {
		return fmt.Sprintf("%dh", mins/60)
	}
	return fmt.Sprintf("%dm", mins)
}

// bookingWho is the invitee, or for a group "Ana Costa +2".
func bookingWho(b storage.BookingRow) string {
	who := outside(b.Invitee)
	if who == "" {
		who = "(no invitee yet)"
	}
	if b.Total > 1 {
		who += fmt.Sprintf(" +%d", b.Total-1)
	}
	return who
}

// shortName is "Omar H." for the week grid.
func shortName(name string) string {
	f := strings.Fields(name)
	if len(f) < 2 {
		return name
	}
	return f[0] + " " + string([]rune(f[1])[:1]) + "."
}

// bookingGlyph marks a booking's state in narrow places.
func bookingGlyph(b storage.BookingRow) string {
	switch {
	case b.Status == "canceled" && b.MovedAway:
		return " ⇄"
	case b.Status == "canceled":
		return " ✗"
	case b.NoShows > 0:
		return " ⊘"
	case b.MovedFrom:
		return " ⇄"
	}
	return ""
}

// stateW is the STATE column's width: its longest value, "✗ canceled".
const stateW = 10

// bookingState is the STATE column: what happened, else when it is; never
// wider than stateW.
func bookingState(b storage.BookingRow, now time.Time) string {
	switch {
	case b.Status == "canceled" && b.MovedAway:
		return "⇄ moved"
	case b.Status == "canceled":
		return "✗ canceled"
	case b.NoShows > 0:
		return "⊘ no-show"
	case !b.End.IsZero() && now.After(b.End):
		return "✓ done"
	case now.After(b.Start):
		return "● now"
	case b.Start.Sub(now) < 24*time.Hour:
		return "in " + shortDuration(b.Start.Sub(now))
	}
	if b.MovedFrom {
		return "⇄ upcoming"
	}
	return "upcoming"
}

// bookingNote is the line under the list for a moved or canceled booking.
func bookingNote(b storage.BookingRow) string {
	who := outside(b.Invitee)
	switch {
	case b.Status == "canceled" && b.MovedAway:
		return "⇄ " + who + ": moved to another time"
	case b.Status == "canceled" && b.Reason != "":
		return "✗ " + who + ": " + fmt.Sprintf("%q", outside(b.Reason))
	case b.MovedFrom:
		return "⇄ " + who + ": moved here from another time"
	}
	return ""
}

// shortDuration is "25m", "3h", "2h05m", "4d".
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%02dm", h, m)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}
