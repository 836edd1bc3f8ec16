package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/storage"
)

// contactPage is how many contacts one read brings.
const contactPage = 50

// contactsPane is the searchable contact list and the selected contact's
// activity.
type contactsPane struct {
	fresh       *freshSet // new bookings, highlighted for a few seconds
	input       textinput.Model
	searching   bool // the search input has the keys
	sort        storage.ContactSort
	rows        []storage.ContactView
	total       int // contacts matching the search
	all         int // every contact
	cursor      int
	start       int
	loadingMore bool
	activity    []storage.ActivityRow
	activityFor string
	summary     storage.PersonSummary // first seen, recent bookings, next
	summaryFor  string
	inActivity  bool // l/→ moved the keys into the activity list
	actCursor   int
}

func newContacts() contactsPane {
	in := textinput.New()
	in.Prompt = "/ "
	in.Placeholder = "name or email"
	in.CharLimit = 100
	styles := in.Styles()
	styles.Cursor.Blink = false // a steady cursor: no timer running while you type
	in.SetStyles(styles)
	return contactsPane{input: in}
}

func (c *contactsPane) search() string { return strings.TrimSpace(c.input.Value()) }

func (c *contactsPane) selectedEmail() string {
	if c.cursor < 0 || c.cursor >= len(c.rows) {
		return ""
	}
	return c.rows[c.cursor].Email
}

// set applies a page; it reports whether the selected contact changed.
// After a refresh or a new search the selection stays on the same email
// when that contact is still listed.
func (c *contactsPane) set(msg contactsLoaded) bool {
	before := c.selectedEmail()
	if msg.more {
		c.loadingMore = false
		c.rows = append(c.rows, msg.rows...)
		return false
	}
	c.rows, c.total, c.all = msg.rows, msg.total, msg.all
	c.cursor = 0
	for i, r := range c.rows {
		if r.Email == before {
			c.cursor = i
		}
	}
	if len(c.rows) == 0 {
		c.activity, c.activityFor = nil, ""
		c.summary, c.summaryFor = storage.PersonSummary{}, ""
	}
	if c.selectedEmail() != before {
		c.inActivity, c.actCursor = false, 0
	}
	return c.selectedEmail() != before
}

func (m *Model) contactsKey(msg tea.KeyPressMsg) tea.Cmd {
	km, c := m.km, &m.contacts
	before := c.selectedEmail()
	page := max(1, m.lay.listRows)
	switch {
	case key.Matches(msg, km.Search):
		c.searching = true
		return c.input.Focus()
	case key.Matches(msg, km.Sort):
		c.sort = nextSort(c.sort)
		c.start = 0
		return m.loadContacts(false)
	case key.Matches(msg, km.CopyEmail):
		return m.copyContactEmail()
	case key.Matches(msg, km.OpenBooking):
		return m.openActivityBooking()
	case key.Matches(msg, km.Back):
		if c.inActivity {
			c.inActivity = false
			return nil
		}
		if c.input.Value() != "" {
			c.input.SetValue("")
			return m.loadContacts(false)
		}
	case c.inActivity && key.Matches(msg, km.Left):
		c.inActivity = false
		return nil
	case c.inActivity && key.Matches(msg, km.Down):
		c.actCursor = min(c.actCursor+1, len(c.activity)-1)
		return nil
	case c.inActivity && key.Matches(msg, km.Up):
		c.actCursor = max(c.actCursor-1, 0)
		return nil
	case key.Matches(msg, km.Right), !c.inActivity && key.Matches(msg, km.Open):
		if len(c.activity) > 0 && c.activityFor == before {
			c.inActivity, c.actCursor = true, 0
		}
		return nil
	case key.Matches(msg, km.Down):
		c.cursor++
	case key.Matches(msg, km.Up):
		c.cursor--
	case key.Matches(msg, km.PgDn):
		c.cursor += page
	case key.Matches(msg, km.PgUp):
		c.cursor -= page
	case key.Matches(msg, km.Top):
		c.cursor = 0
	case key.Matches(msg, km.Bottom):
		c.cursor = len(c.rows) - 1
	case key.Matches(msg, km.Open):
		return m.openActivityBooking()
	}
	c.cursor = max(0, min(c.cursor, len(c.rows)-1))
	var cmds []tea.Cmd
	if c.cursor >= len(c.rows)-page/2 {
		cmds = append(cmds, m.loadMoreContacts())
	}
	if c.selectedEmail() != before {
		c.actCursor = 0
		cmds = append(cmds, m.loadActivity())
	}
	return tea.Batch(cmds...)
}

// contactsSearchKey feeds the search input; every keystroke searches.
func (m *Model) contactsSearchKey(msg tea.KeyPressMsg) tea.Cmd {
	c := &m.contacts
	switch msg.String() {
	case "enter", "tab":
		c.searching = false
		c.input.Blur()
		return nil
	case "esc":
		c.searching = false
		c.input.Blur()
		c.input.SetValue("")
		return m.loadContacts(false)
	case "ctrl+c":
		return tea.Quit
	}
	before := c.input.Value()
	var cmd tea.Cmd
	c.input, cmd = c.input.Update(msg)
	if c.input.Value() != before {
		return tea.Batch(cmd, m.loadContacts(false))
	}
	return cmd
}

// sortCycle is the order s steps through, the first the default.
var sortCycle = []storage.ContactSort{storage.ContactsByLast, storage.ContactsByBookings, storage.ContactsByNoShows}

func nextSort(s storage.ContactSort) storage.ContactSort {
	for i, x := range sortCycle {
		if x == s {
			return sortCycle[(i+1)%len(sortCycle)]
		}
	}
	return sortCycle[0]
}

// sortTitle says the order in the list's title: "↓ last", "↓ bookings".
func (c *contactsPane) sortTitle() string { return "↓ " + c.sort.String() }

// selectedActivity is the activity row o and ⏎ open: the one the cursor
// is on in the activity list (the newest until it moves).
func (c *contactsPane) selectedActivity() (storage.ActivityRow, bool) {
	if len(c.activity) == 0 || c.activityFor != c.selectedEmail() {
		return storage.ActivityRow{}, false
	}
	return c.activity[max(0, min(c.actCursor, len(c.activity)-1))], true
}

// titleRight is "/ ana (3 of 2,118)" or the count.
func (c *contactsPane) titleRight() string {
	if q := c.search(); q != "" {
		return fmt.Sprintf("/ %s (%s of %s)", outside(q), thousands(c.total), thousands(c.all))
	}
	return thousands(c.total) + " contacts"
}

// renderList draws the list's inside.
func (c *contactsPane) renderList(st Styles, now time.Time, focused bool, w, h int) []string {
	var lines []string
	if c.searching || c.input.Value() != "" {
		c.input.SetWidth(max(10, w-4))
		lines = append(lines, " "+c.input.View())
	}
	if len(c.rows) == 0 {
		if c.search() != "" {
			return append(lines, hint(st, w, " Nobody's name or email starts with that · esc clears")...)
		}
		return append(lines, hint(st, w, " No contacts yet: people appear here when they book.")...)
	}
	nameW := max(8, min(20, (w-20)/2))
	emailW := max(0, w-2-nameW-1-15-5)
	if emailW < 8 {
		nameW = max(8, w-2-1-16) // no room for the email: the name takes it
	}
	head := "  " + fit("NAME", nameW) + " "
	if emailW >= 8 {
		head += fit("EMAIL", emailW) + " "
	}
	lines = append(lines, st.Faint.Render(fit(head+" BK  CX  NS LAST", w)))
	listH := max(1, h-len(lines))
	c.start = window(c.start, c.cursor, listH, len(c.rows))
	for i := c.start; i < len(c.rows) && i < c.start+listH; i++ {
		r := c.rows[i]
		name := outside(r.Name)
		if name == "" {
			name = "(" + outside(r.Email) + ")"
		}
		row := "  " + fit(name, nameW) + " "
		if emailW >= 8 {
			row += fit(outside(r.Email), emailW) + " "
		}
		last := "—"
		if r.LastActivityAt != nil {
			last = roughAge(now.Sub(*r.LastActivityAt))
			if r.LastActivityAt.After(now) {
				last = "soon"
			}
		}
		row += fmt.Sprintf("%3d %3d %3d %4s", r.Bookings, r.Cancellations, r.NoShows, last)
		row = markRow(st, fit(row, w), i == c.cursor, focused, c.fresh.email(r.Email))
		lines = append(lines, row)
	}
	return lines
}

// activityTitle is "Ana Costa ── ana@costa.example ── America/Sao_Paulo".
func (c *contactsPane) activityTitle() string {
	if c.cursor >= len(c.rows) {
		return "Activity"
	}
	r := c.rows[c.cursor]
	parts := []string{outside(r.Name), outside(r.Email)}
	if r.Timezone != "" {
		parts = append(parts, outside(r.Timezone))
	}
	if parts[0] == "" {
		parts = parts[1:]
	}
	return strings.Join(parts, " ── ")
}

// renderActivity draws the selected contact's history, newest first.
func (c *contactsPane) renderActivity(st Styles, loc *time.Location, now, today time.Time, w, h int) []string {
	if c.cursor >= len(c.rows) {
		return hint(st, w, " Select a contact to see their bookings.")
	}
	r := c.rows[c.cursor]
	lines := append(c.personHeader(st, r, now), "", st.Faint.Render("  ACTIVITY"))
	if next := c.nextLine(st, r.Email, loc, now); next != "" && h > len(lines)+3 {
		// NEXT sits at the foot, a blank line above it.
		body := c.renderActivityRows(st, loc, today, w, h-2, lines)
		for len(body) < h-2 {
			body = append(body, "")
		}
		return append(body, "", fit(next, w))
	}
	return c.renderActivityRows(st, loc, today, w, h, lines)
}

// renderActivityRows appends the activity rows to lines, up to h lines.
func (c *contactsPane) renderActivityRows(st Styles, loc *time.Location, today time.Time, w, h int, lines []string) []string {
	r := c.rows[c.cursor]
	if c.activityFor != r.Email {
		return append(lines, st.Faint.Render("  loading…"))
	}
	if len(c.activity) == 0 {
		return append(lines, st.Faint.Render("  Nothing recorded yet."))
	}
	start := window(0, c.actCursor, h-len(lines), len(c.activity))
	for i, a := range c.activity[start:] {
		i += start
		if len(lines) >= h {
			break
		}
		when := "—"
		if a.At != nil {
			at := a.At.In(loc)
			when = relDay(at, today)
			if when == "today" {
				when = "Today " + at.Format("15:04")
			}
		}
		what := outside(a.EventName)
		if !a.EventStart.IsZero() {
			what += " · " + a.EventStart.In(loc).Format("Mon 2 Jan 15:04")
		}
		row := fit(fmt.Sprintf("  %s %s %s", fit(when, 12), fit(activityKind(a.Kind), 12), what), w)
		if i == c.actCursor {
			row = "▸" + strings.TrimPrefix(row, " ")
			if c.inActivity {
				row = st.Selected.Render(row)
			}
		}
		lines = append(lines, row)
	}
	return lines
}

// roughAge is an age in at most three cells: "5m", "13h", "4d".
func roughAge(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// activityKind is an activity's kind with its glyph.
func activityKind(kind string) string {
	switch kind {
	case storage.KindBooked:
		return "✓ booked"
	case storage.KindCanceled:
		return "✗ canceled"
	case storage.KindRescheduled:
		return "⇄ moved"
	case storage.KindNoShow:
		return "⊘ no-show"
	case storage.KindNoShowRemoved:
		return "↺ showed up"
	}
	return kind
}
