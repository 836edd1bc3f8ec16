package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

// renderWeek draws one row per hour that holds a booking, one column a
// day, and a "now" line where the current time falls in this week.
func (c *calendarPane) renderWeek(st Styles, now time.Time, w, h int) []string {
	from := weekStart(c.selected)
	col := max(7, min(18, (w-7)/7))
	var head strings.Builder
	head.WriteString("       ")
	for i := range 7 {
		d := from.AddDate(0, 0, i)
		label := d.Format("Mon 2")
		if d.Equal(c.selected) {
			label = "[" + label + "]"
		}
		if d.Equal(c.today) {
			label += "•"
		}
		head.WriteString(fit(label, col-1) + " ")
	}
	lines := []string{st.Faint.Render(head.String())}
	if !c.from.Equal(from) || len(c.rows) == 0 {
		return append(lines, "", st.Faint.Render(" No bookings this week · n/p week · m month"))
	}
	cells := map[[2]int][]storage.BookingRow{}
	var hours []int
	seen := map[int]bool{}
	for _, b := range c.rows {
		local := b.Start.In(c.selected.Location())
		day := int(midnight(local).Sub(from).Hours()+12) / 24
		if day < 0 || day > 6 {
			continue
		}
		k := [2]int{local.Hour(), day}
		cells[k] = append(cells[k], b)
		if !seen[local.Hour()] {
			seen[local.Hour()] = true
			hours = append(hours, local.Hour())
		}
	}
	slices.Sort(hours)
	local := now.In(from.Location())
	showNow := !midnight(local).Before(from) && midnight(local).Before(from.AddDate(0, 0, 7))
	nowLine := st.Accent.Render(ansi.Truncate(fmt.Sprintf(" %s ─ now %s", local.Format("15:04"), strings.Repeat("─", w)), w, ""))
	for i, hr := range hours {
		if left := len(hours) - i; len(lines) >= h-1 && left > 1 || len(lines) >= h {
			// The last row says what does not fit rather than cut it silently.
			lines = append(lines[:min(len(lines), h-1)], st.Faint.Render(fit(fmt.Sprintf(" ⋯ %d more hours to %02d:00 · the day pane lists each booking", left, hours[len(hours)-1]), w)))
			showNow = false
			break
		}
		if showNow && hr > local.Hour() {
			lines, showNow = append(lines, nowLine), false
		}
		var row strings.Builder
		row.WriteString(fmt.Sprintf(" %02d:00 ", hr))
		for day := range 7 {
			bs := cells[[2]int{hr, day}]
			if len(bs) == 0 {
				row.WriteString(strings.Repeat(" ", col))
				continue
			}
			fresh := false
			for _, b := range bs {
				fresh = fresh || c.fresh.event(b.EventURI)
			}
			// The name gives way to the state glyph and the "+n".
			prefix, suffix := "", bookingGlyph(bs[0])
			if fresh {
				prefix = freshGlyph
			}
			if len(bs) > 1 {
				suffix += fmt.Sprintf(" +%d", len(bs)-1)
			}
			label := prefix + weekName(bookingWho(bs[0]), col-1-ansi.StringWidth(prefix+suffix)) + suffix
			cellText := fit(label, col-1) + " "
			switch {
			case fresh:
				cellText = st.Fresh.Render(cellText)
			case bs[0].Status == "canceled":
				cellText = st.Faint.Render(cellText)
			}
			row.WriteString(cellText)
		}
		lines = append(lines, row.String())
	}
	if showNow && len(lines) < h {
		lines = append(lines, nowLine)
	}
	return lines
}

// weekName is "Omar H." when it fits width cells, else "Omar", else the
// name cut.
func weekName(who string, width int) string {
	short := shortName(who)
	if ansi.StringWidth(short) <= width {
		return short
	}
	if first, _, ok := strings.Cut(short, " "); ok && ansi.StringWidth(first) <= width {
		return first
	}
	return strings.TrimRight(fit(short, width), " ")
}

// renderAgenda lists the coming days' bookings under relative day headers.
func (c *calendarPane) renderAgenda(st Styles, w, h int) []string {
	if !c.from.Equal(c.selected) || len(c.rows) == 0 {
		return []string{"", st.Faint.Render(fmt.Sprintf(" Nothing booked in the %d days from %s · m month", agendaDays, relDay(c.selected, c.today)))}
	}
	// Wider panes give the event type and the invitee the room first.
	typeW, whoW := max(14, min(28, (w-40)/4)), max(20, min(28, (w-40)/3))
	var lines []string
	var last time.Time
	for _, b := range c.rows {
		local := b.Start.In(c.selected.Location())
		if d := midnight(local); !d.Equal(last) {
			last = d
			lines = append(lines, st.Bold.Render(" "+relDayLong(d, c.today)))
		}
		span := local.Format("15:04")
		if !b.End.IsZero() {
			span += "–" + b.End.In(local.Location()).Format("15:04")
		}
		state := strings.TrimSpace(bookingGlyph(b))
		line := fit(fmt.Sprintf("   %s  %s  %s  %s  %s", span, fit(outside(b.Name), typeW), fit(bookingWho(b), whoW),
			fit(state, 1), st.Faint.Render(whereLabel(b.Where))), w)
		lines = append(lines, markRow(st, line, false, false, c.fresh.event(b.EventURI)))
	}
	if len(lines) > h {
		more := 0
		for _, l := range lines[h-1:] {
			if strings.HasPrefix(ansi.Strip(l), "   ") {
				more++
			}
		}
		lines = append(lines[:h-1], st.Faint.Render(fit(fmt.Sprintf(" ⋯ %d more bookings to %s · n/p move the agenda", more, relDay(c.selected.AddDate(0, 0, agendaDays-1), c.today)), w)))
	}
	return lines
}

// whereLabel names a location type as people say it.
func whereLabel(kind string) string {
	switch kind {
	case "google_conference":
		return "google meet"
	case "zoom", "zoom_conference":
		return "zoom"
	case "microsoft_teams_conference":
		return "teams"
	case "outbound_call", "inbound_call":
		return "phone"
	case "physical":
		return "in person"
	case "ask_invitee":
		return "invitee says"
	}
	return strings.ReplaceAll(outside(kind), "_", " ")
}
