package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/storage"
)

// calMode is the calendar's view.
type calMode int

const (
	calMonth calMode = iota
	calWeek
	calAgenda
)

// agendaDays is how far the agenda looks ahead.
const agendaDays = 14

// calendarPane is the month grid, the week and the agenda.
type calendarPane struct {
	fresh    *freshSet // new bookings, highlighted for a few seconds
	mode     calMode
	selected time.Time // midnight in the viewer's zone
	today    time.Time
	month    time.Time                   // the month counts are for
	counts   map[string]storage.DayCount // by "2006-01-02"
	from     time.Time                   // the period rows are for
	rows     []storage.BookingRow        // the week's or agenda's bookings
}

func newCalendar(today time.Time) calendarPane {
	return calendarPane{selected: today, today: today, counts: map[string]storage.DayCount{}}
}

func firstOfMonth(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
}

// weekStart is the Monday of t's week.
func weekStart(t time.Time) time.Time {
	return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
}

// period is the span the week or agenda view reads; zero in month view.
func (c *calendarPane) period() (from, to time.Time) {
	switch c.mode {
	case calWeek:
		from = weekStart(c.selected)
		return from, from.AddDate(0, 0, 7)
	case calAgenda:
		return c.selected, c.selected.AddDate(0, 0, agendaDays)
	}
	return time.Time{}, time.Time{}
}

func (c *calendarPane) setCounts(month time.Time, counts []storage.DayCount) {
	c.month = month
	c.counts = make(map[string]storage.DayCount, len(counts))
	for _, d := range counts {
		c.counts[d.Day.Format(time.DateOnly)] = d
	}
}

func (c *calendarPane) setPeriod(from time.Time, rows []storage.BookingRow) {
	c.from, c.rows = from, rows
}

// calendarKey moves the selection and switches views; every move re-reads
// what depends on the selected day.
func (m *Model) calendarKey(msg tea.KeyPressMsg) tea.Cmd {
	km, c := m.km, &m.cal
	before := c.selected
	step := 1
	if c.mode == calWeek {
		step = 7
	}
	switch {
	case key.Matches(msg, km.Left):
		c.selected = c.selected.AddDate(0, 0, -1)
	case key.Matches(msg, km.Right):
		c.selected = c.selected.AddDate(0, 0, 1)
	case key.Matches(msg, km.Up):
		c.selected = c.selected.AddDate(0, 0, -7)
	case key.Matches(msg, km.Down):
		c.selected = c.selected.AddDate(0, 0, 7)
	case key.Matches(msg, km.Today):
		c.selected = c.today
	case key.Matches(msg, km.NextPeriod):
		if c.mode == calMonth {
			c.selected = c.selected.AddDate(0, 1, 0)
		} else {
			c.selected = c.selected.AddDate(0, 0, step)
		}
	case key.Matches(msg, km.PrevPeriod):
		if c.mode == calMonth {
			c.selected = c.selected.AddDate(0, -1, 0)
		} else {
			c.selected = c.selected.AddDate(0, 0, -step)
		}
	case key.Matches(msg, km.Month):
		c.mode = calMonth
		return nil
	case key.Matches(msg, km.Week):
		c.mode = calWeek
		return m.loadPeriod()
	case key.Matches(msg, km.Agenda):
		c.mode = calAgenda
		return m.loadPeriod()
	case key.Matches(msg, km.Open):
		m.focus = focusDay
		return nil
	default:
		return nil
	}
	c.selected = midnight(c.selected)
	if c.selected.Equal(before) {
		return nil
	}
	m.day.cursor = 0
	cmds := []tea.Cmd{m.loadDay()}
	if firstOfMonth(c.selected) != firstOfMonth(before) {
		cmds = append(cmds, m.loadMonth())
	}
	if from, _ := c.period(); !from.Equal(c.from) {
		cmds = append(cmds, m.loadPeriod())
	}
	return tea.Batch(cmds...)
}

// title is the calendar's border title and its right side.
func (c *calendarPane) title(compact bool) (string, string) {
	modes := []string{"month", "week", "agenda"}
	var label string
	switch c.mode {
	case calWeek:
		from := weekStart(c.selected)
		_, wk := from.ISOWeek()
		label = fmt.Sprintf("Week %d · %s–%s", wk, from.Format("2 Jan"), from.AddDate(0, 0, 6).Format("2 Jan 2006"))
	case calAgenda:
		label = "agenda from " + relDay(c.selected, c.today)
	default:
		label = c.selected.Format("January 2006")
	}
	if compact {
		return label, modes[c.mode][:1]
	}
	modes[c.mode] = "[" + modes[c.mode] + "]"
	return "[1] Calendar ◂ " + label + " ▸", strings.Join(modes, "│")
}

// render draws the calendar's inside for a w×h area.
func (c *calendarPane) render(st Styles, now time.Time, w, h int) []string {
	switch c.mode {
	case calWeek:
		return c.renderWeek(st, now, w, h)
	case calAgenda:
		return c.renderAgenda(st, w, h)
	}
	return c.renderMonth(st, w, h)
}

// renderMonth draws the grid: a line of day numbers per week and, when
// there is room, a line of counts under it (●booked ✗canceled; in narrow
// cells the count and "!" when some were canceled).
func (c *calendarPane) renderMonth(st Styles, w, h int) []string {
	cell := max(3, min(7, (w-1)/7))
	first := firstOfMonth(c.selected)
	start := weekStart(first)
	weeks := monthWeeks(first)
	twoLines := h >= 1+2*weeks
	var lines []string
	var head strings.Builder
	for i := range 7 {
		name := start.AddDate(0, 0, i).Format("Mon")
		if cell < 5 {
			name = name[:2]
		}
		head.WriteString(fitLeft(name, cell-1) + " ")
	}
	lines = append(lines, st.Faint.Render(head.String()))
	for wk := range weeks {
		var nums, marks strings.Builder
		for i := range 7 {
			d := start.AddDate(0, 0, wk*7+i)
			if d.Month() != first.Month() {
				nums.WriteString(strings.Repeat(" ", cell))
				marks.WriteString(strings.Repeat(" ", cell))
				continue
			}
			n := c.counts[d.Format(time.DateOnly)]
			styled := dayCell(st, d, c.selected, c.today, n, !twoLines, cell, c.fresh.day(d))
			nums.WriteString(styled)
			marks.WriteString(countCell(st, n, cell))
		}
		lines = append(lines, nums.String())
		if twoLines {
			lines = append(lines, marks.String())
		}
	}
	if len(c.counts) == 0 && len(lines) < h {
		lines = append(lines, "", st.Faint.Render(" No bookings this month · n/p month · t today"))
	} else if len(lines)+2 <= h {
		legend := " ●n booked  ✗n canceled  [dd] selected  • today"
		switch {
		case !twoLines:
			legend = " n* has bookings  [dd] selected  • today"
		case cell < 7:
			legend = " n booked, n! some canceled  [dd] selected"
		}
		lines = append(lines, "", st.Faint.Render(legend))
	}
	return lines
}

// monthWeeks is how many Monday-to-Sunday weeks the month of first spans
// (4 to 6).
func monthWeeks(first time.Time) int {
	weeks := 0
	for d := weekStart(first); d.Before(first.AddDate(0, 1, 0)); d = d.AddDate(0, 0, 7) {
		weeks++
	}
	return weeks
}

// minDayPane is the fewest rows the day pane keeps under the month: its
// border and four lines.
const minDayPane = 6

// monthBoxHeight is the month box's height in a column bodyH rows high
// whose usual share for the calendar is base: taller when the month's
// weeks need it for a line of counts under each line of days, as long as
// the day pane keeps minDayPane rows; else base (and the grid folds to a
// line per week).
func (c *calendarPane) monthBoxHeight(base, bodyH int) int {
	need := 2 + 1 + 2*monthWeeks(firstOfMonth(c.selected))
	if c.mode != calMonth || need <= base || bodyH-need < minDayPane {
		return base
	}
	return need
}

// periodBoxHeight is the week's or agenda's box height over a body bodyH
// rows high whose usual share for the calendar is base: taller, up to 60 %
// of the body, when its hours or bookings need it.
func (c *calendarPane) periodBoxHeight(base, bodyH int) int {
	need := 2
	switch c.mode {
	case calWeek:
		hours := map[int]bool{}
		for _, b := range c.rows {
			hours[b.Start.In(c.selected.Location()).Hour()] = true
		}
		need += 1 + len(hours) + 1 // the days, an hour a line, the now line
	case calAgenda:
		days := map[string]bool{}
		for _, b := range c.rows {
			days[b.Start.In(c.selected.Location()).Format(time.DateOnly)] = true
		}
		need += len(days) + len(c.rows)
	default:
		return base
	}
	most := min(bodyH*60/100, bodyH-minDayPane)
	return max(base, min(need, most))
}

// dayCell is a day number in cell cells: "[18]" when selected, a "•"
// after today and, when the counts have no line of their own, a "*" after
// a day with bookings.
func dayCell(st Styles, d, selected, today time.Time, n storage.DayCount, mark bool, cell int, fresh bool) string {
	suffix := " "
	switch {
	case fresh && !d.Equal(today):
		suffix = freshGlyph
	case d.Equal(today):
		suffix = "•"
	case mark && n.Booked+n.Canceled > 0:
		suffix = "*"
	}
	num := fitLeft(fmt.Sprint(d.Day()), cell-1)
	if d.Equal(selected) {
		// "[18]" keeps the digits where they stand in other weeks.
		trimmed := strings.TrimLeft(num, " ")
		num = strings.Repeat(" ", max(0, len(num)-len(trimmed)-1)) + "[" + trimmed
		suffix = "]"
		if d.Equal(today) && cell >= 5 {
			suffix = "]•"
			num = num[1:]
		}
	}
	styled := fitLeft(num+suffix, cell)
	switch {
	case fresh:
		styled = st.Fresh.Render(styled)
	case d.Equal(selected):
		styled = st.Focused.Render(styled)
	case d.Equal(today):
		styled = st.Today.Render(styled)
	}
	return styled
}

func countCell(st Styles, n storage.DayCount, cell int) string {
	if n.Booked+n.Canceled == 0 {
		return strings.Repeat(" ", cell)
	}
	if cell < 7 {
		mark := " "
		if n.Canceled > 0 {
			mark = "!"
		}
		return fitLeft(fmt.Sprint(n.Booked), cell-1) + mark
	}
	s := st.OK.Render(fmt.Sprintf("●%d", n.Booked))
	if n.Booked == 0 {
		s = "  "
	}
	if n.Canceled > 0 {
		s += st.Bad.Render(fmt.Sprintf("✗%d", n.Canceled))
	}
	return fit(" "+s, cell)
}

// relDay is "today", "tomorrow", "yesterday" or "Mon 22 Jun".
func relDay(d, today time.Time) string {
	switch day := midnight(d); {
	case day.Equal(today):
		return "today"
	case day.Equal(today.AddDate(0, 0, 1)):
		return "tomorrow"
	case day.Equal(today.AddDate(0, 0, -1)):
		return "yesterday"
	}
	return d.Format("Mon 2 Jan")
}

// relDayLong is the agenda's header: "Today (Thursday) 18 Jun".
func relDayLong(d, today time.Time) string {
	switch r := relDay(d, today); r {
	case "today", "tomorrow", "yesterday":
		return strings.ToUpper(r[:1]) + r[1:] + " (" + d.Format("Monday") + ") " + d.Format("2 Jan")
	default:
		return r
	}
}
