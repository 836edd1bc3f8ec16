package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

const (
	feedRing    = 1000 // deliveries the feed keeps; older ones are trimmed
	feedHistory = 200  // deliveries read at start
)

// feedPane is the live feed: a bounded ring of deliveries, oldest first,
// with follow mode (the newest selected) that gives way when the user
// moves up and resumes with G or on reaching the newest.
type feedPane struct {
	fresh    *freshSet         // new bookings, highlighted for a few seconds
	ring     []storage.FeedRow // every delivery kept, oldest first
	filter   feedFilter        // what rows shows of the ring (filter.go)
	rows     []storage.FeedRow // the ring's rows that pass the filter
	cursor   int
	start    int // first visible line
	follow   bool
	newBelow int // arrived while not following
	loaded   bool
	// live holds what the listener reported answering (OnRecord), by
	// delivery id, until the store has it: the store writes a latency
	// only with its next transaction.
	live map[int64]liveAnswer
}

func (f *feedPane) lastID() int64 {
	if len(f.ring) == 0 {
		return 0
	}
	return f.ring[len(f.ring)-1].ID
}

func (f *feedPane) selectedID() int64 {
	if f.cursor < 0 || f.cursor >= len(f.rows) {
		return 0
	}
	return f.rows[f.cursor].ID
}

// add appends new rows (history comes newest first) and trims the ring,
// keeping the selection on the same delivery; rows that do not pass the
// filter are kept in the ring but not shown.
func (f *feedPane) add(rows []storage.FeedRow, history bool) {
	if history {
		f.loaded = true
		f.ring = make([]storage.FeedRow, 0, len(rows))
		for i := len(rows) - 1; i >= 0; i-- {
			f.ring = append(f.ring, rows[i])
		}
		f.refilter()
		f.cursor = len(f.rows) - 1
		return
	}
	last := f.lastID()
	added := 0
	for _, r := range rows {
		if r.ID > last {
			f.ring = append(f.ring, r)
			if f.filter.match(r) {
				f.rows = append(f.rows, r)
				added++
			}
		}
	}
	if !f.follow {
		f.newBelow += added
	}
	if over := len(f.ring) - feedRing; over > 0 {
		f.ring = f.ring[over:]
		gone := 0
		for gone < len(f.rows) && f.rows[gone].ID < f.ring[0].ID {
			gone++
		}
		f.rows = f.rows[gone:]
		f.cursor = max(0, f.cursor-gone)
		f.start = max(0, f.start-gone)
	}
	if f.follow {
		f.cursor = len(f.rows) - 1
	}
}

func (f *feedPane) move(to int) {
	if len(f.rows) == 0 {
		return
	}
	f.cursor = max(0, min(to, len(f.rows)-1))
	f.follow = f.cursor == len(f.rows)-1
	if f.follow {
		f.newBelow = 0
	}
}

func (m *Model) feedKey(msg tea.KeyPressMsg) tea.Cmd {
	km, f := m.km, &m.feed
	page := max(1, m.lay.feedRows)
	switch {
	case key.Matches(msg, km.Down):
		f.move(f.cursor + 1)
	case key.Matches(msg, km.Up):
		f.move(f.cursor - 1)
	case key.Matches(msg, km.PgDn):
		f.move(f.cursor + page)
	case key.Matches(msg, km.PgUp):
		f.move(f.cursor - page)
	case key.Matches(msg, km.Top):
		f.move(0)
	case key.Matches(msg, km.Bottom):
		f.move(len(f.rows) - 1)
	case key.Matches(msg, km.Follow):
		if f.follow {
			f.follow = false
		} else {
			f.move(len(f.rows) - 1)
		}
	case key.Matches(msg, km.Replay):
		return m.replay(f.selectedID(), nil, false)
	case key.Matches(msg, km.Edit):
		return m.editDelivery(f.selectedID())
	case key.Matches(msg, km.Curl):
		return m.copyCurl(f.selectedID())
	case key.Matches(msg, km.Copy):
		return m.copyBody(f.selectedID())
	case key.Matches(msg, km.OpenLink):
		if f.cursor >= 0 && f.cursor < len(f.rows) {
			return m.openEventLink(f.rows[f.cursor].EventURI)
		}
	case key.Matches(msg, km.Open):
		if id := f.selectedID(); id != 0 {
			m.view = viewInspector
			m.insp = inspector{}
			return m.loadDelivery(id)
		}
	}
	return nil
}

// verdict is the signature-and-shape verdict, glyph first: "✓ ok",
// "≡ dup", "✗ sig", "✗ old", "✗ bad", "✗ big".
func verdict(r storage.DeliveryRecord) string {
	switch r.Outcome {
	case storage.OutcomeApplied, storage.OutcomeFailed:
		return "✓ ok"
	case storage.OutcomeDuplicate:
		return "≡ dup"
	}
	switch reason := strings.ToLower(r.Reason); {
	case strings.Contains(reason, "tolerance") || strings.Contains(reason, "stale"):
		return "✗ old"
	case strings.Contains(reason, "signature"):
		return "✗ sig"
	case strings.Contains(reason, "larger than"):
		return "✗ big"
	}
	return "✗ bad"
}

// shortEvent is the EVENT column: "created", "canceled", "no_show",
// "no_show−", "routing".
func shortEvent(event string) string {
	switch event {
	case "":
		return "?"
	case "invitee_no_show.created":
		return "no_show"
	case "invitee_no_show.deleted":
		return "no_show−"
	case "routing_form_submission.created":
		return "routing"
	}
	if rest, ok := strings.CutPrefix(event, "invitee."); ok {
		return rest
	}
	return event
}

func feedWho(r storage.FeedRow) string {
	switch {
	case r.InviteeName != "":
		return outside(r.InviteeName)
	case r.InviteeEmail != "":
		return outside(r.InviteeEmail)
	}
	return "?"
}

// feedColumns are the feed's column widths for an inside w cells wide.
type feedColumns struct{ verdict, who, kind int }

// As the width shrinks, the event type goes first (below 60), then the
// verdict's word, leaving its glyph (below 52); time, status, event, who
// and latency stay.
func columnsFor(w int) feedColumns {
	c := feedColumns{verdict: 5}
	if w < 52 {
		c.verdict = 1
	}
	// "  " TIME(8) " " ST(3) " " V " " EVENT(9) " " WHO [" " TYPE] MS(7)
	rest := w - 2 - 9 - 4 - (c.verdict + 1) - 10 - 7
	if w >= 60 {
		c.who = max(8, min(20, rest/2))
		c.kind = max(0, rest-c.who-1)
	} else {
		c.who = max(4, rest)
	}
	return c
}

func (c feedColumns) header(w int) string {
	verdictHead := "V"
	if c.verdict > 1 {
		verdictHead = "VERD."
	}
	head := "  " + fit("TIME", 8) + " ST  " + fit(verdictHead, c.verdict) + " " + fit("EVENT", 9) + " " + fit("INVITEE", c.who)
	if c.kind > 0 {
		head += " " + fit("EVENT TYPE", c.kind)
	}
	return fit(head, w-7) + fitLeft("MS", 7)
}

// feedLine is one line of the feed's list: a day's separator (row < 0)
// or a delivery's row.
type feedLine struct {
	row int       // index in f.rows; -1 for a separator
	day time.Time // the separator's day
}

// layout lays the rows out with day separators, without drawing them; it
// returns the lines and the index of the selected row's line. Only the
// lines on screen are drawn (line), so a full ring costs no more to show
// than a screenful.
func (f *feedPane) layout(loc *time.Location) ([]feedLine, int) {
	out := make([]feedLine, 0, len(f.rows)+8)
	sel := 0
	var lastDay time.Time
	for i, r := range f.rows {
		if d := midnight(r.ReceivedAt.In(loc)); !d.Equal(lastDay) {
			lastDay = d
			out = append(out, feedLine{row: -1, day: d})
		}
		if i == f.cursor {
			sel = len(out)
		}
		out = append(out, feedLine{row: i})
	}
	return out, sel
}

// line draws one line of the layout w cells wide.
func (f *feedPane) line(st Styles, l feedLine, cols feedColumns, loc *time.Location, today time.Time, focused bool, w int) string {
	if l.row < 0 {
		sep := "  ── " + relDayLong(l.day, today) + " " + strings.Repeat("─", w)
		return st.Faint.Render(ansi.Truncate(sep, w, ""))
	}
	r := f.rows[l.row]
	code, latency := f.answered(r.DeliveryRecord)
	v := verdict(r.DeliveryRecord)
	if cols.verdict == 1 {
		v = v[:strings.IndexByte(v, ' ')]
	}
	row := fmt.Sprintf("%s %s %s %s %s", r.ReceivedAt.In(loc).Format("15:04:05"), st.code(code).Render(fmt.Sprint(code)),
		fit(v, cols.verdict), fit(shortEvent(r.Event), 9), fit(feedWho(r), cols.who))
	if cols.kind > 0 {
		row += " " + fit(outside(r.EventName), cols.kind)
	}
	selected, fresh := l.row == f.cursor, f.fresh.delivery(r.ID)
	// The row's mark takes the first column, or the second when the
	// selection or the fresh glyph holds the first (as TUI.md draws it).
	lead := feedGutter(r) + " "
	if selected || fresh {
		lead = " " + feedGutter(r)
	}
	row = fit(lead+row, w-7) + fitLeft(latencyShort(latency), 7)
	return markRow(st, row, selected, focused, fresh)
}

// render draws the feed's inside: header, rows, and the follow line.
func (f *feedPane) render(st Styles, conn Connection, loc *time.Location, today time.Time, focused bool, w, h int) []string {
	if len(f.rows) == 0 && len(f.ring) > 0 {
		return hint(st, w, fmt.Sprintf(" None of %s deliveries passes the filter:", thousands(len(f.ring))), " / edits it, esc clears it.")
	}
	if len(f.rows) == 0 && conn.Demo {
		return hint(st, w, " Waiting for deliveries — press B to book someone (or wait: the demo books every few seconds).")
	}
	if len(f.rows) == 0 {
		say := " Waiting for deliveries — send one with:"
		cmd := "   calwatch trigger invitee.created --to " + orDefault(conn.WebhookURL, "<url>") + " --signing-key KEY"
		if conn.Mode == ModeOffline {
			say = " No deliveries stored yet. While `calwatch listen` runs, they appear here;"
			cmd = "   send one with: calwatch trigger invitee.created --to <its url> --signing-key KEY"
		}
		// The command stays one line, to be copied whole where it fits; the
		// full URL is also in the status details (i).
		return append(hint(st, w, say), st.Faint.Render(fit(cmd, w)))
	}
	cols := columnsFor(w)
	lines := []string{st.Faint.Render(cols.header(w))}
	body, sel := f.layout(loc)
	rows := max(1, h-2)
	f.start = window(f.start, sel, rows, len(body))
	if f.follow {
		f.start = max(0, len(body)-rows)
	}
	for _, l := range body[f.start:min(len(body), f.start+rows)] {
		lines = append(lines, f.line(st, l, cols, loc, today, focused, w))
	}
	for len(lines) < h-1 {
		lines = append(lines, "")
	}
	status := st.Faint.Render(" following newest · f pauses")
	if !f.follow {
		status = st.Warn.Render(" ‖ paused") + st.Faint.Render(fmt.Sprintf(" · %d new below · G follows newest", f.newBelow))
	}
	pos := fmt.Sprintf("%s of %s ", thousands(f.cursor+1), thousands(len(f.rows)))
	return append(lines, fit(status, w-len(pos))+pos)
}

// feedGutter is the mark before a row's time: "R" for a replay (as its
// request says), "⇄" for a half of a reschedule, else a space.
func feedGutter(r storage.FeedRow) string {
	switch {
	case r.ReplayOf > 0:
		return "R"
	case r.Rescheduled:
		return "⇄"
	}
	return " "
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// markRow marks a list row: "▸" and reversed when selected (reversed only
// in the focused pane), "✦" and the fresh colour when it is a new booking.
func markRow(st Styles, row string, selected, focused, fresh bool) string {
	switch {
	case selected:
		row = "▸" + strings.TrimPrefix(row, " ")
	case fresh:
		row = freshGlyph + strings.TrimPrefix(row, " ")
	}
	switch {
	case selected && focused:
		return st.Selected.Render(row)
	case fresh:
		return st.Fresh.Render(row)
	}
	return row
}
