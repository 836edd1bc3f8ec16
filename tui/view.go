package tui

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/storage"
)

// layout is where each pane goes, computed once per resize.
type layout struct {
	w, h     int
	wide     bool // ≥ 120 columns: two columns and the preview
	single   bool // < 80 columns: one pane at a time
	feedOnly bool // < 60 columns: the feed alone
	preview  bool // wide and ≥ 30 rows
	leftW    int  // the left column's width
	bodyH    int  // rows between the status bar and the footer
	calH     int  // the calendar's box height; the day pane gets the rest
	previewH int
	feedRows int // visible feed rows, for paging
	listRows int // visible list rows, for paging
	bodyRows int // visible body lines in the inspector
}

func computeLayout(w, h int) layout {
	l := layout{w: w, h: h, wide: w >= 120, single: w < 80, feedOnly: w < 60}
	l.bodyH = max(3, h-2)
	l.preview = l.wide && h >= 30
	l.leftW = max(30, min(56, w*44/100))
	if l.single {
		l.leftW = w
	}
	l.calH = min(17, max(6, l.bodyH*60/100))
	if l.preview {
		l.previewH = 10
	}
	l.feedRows = max(1, l.bodyH-l.previewH-4)
	l.listRows = max(1, l.bodyH-4)
	l.bodyRows = max(1, l.bodyH-3)
	return l
}

// View draws the whole screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "calwatch"
	v.ReportFocus = m.notify != nil
	return v
}

func (m *Model) render() string {
	if m.width == 0 || m.height == 0 {
		return ""
	}
	l := m.lay
	var body string
	switch {
	case m.fullHelp:
		body = m.helpScreen(l.w, l.bodyH)
	case m.view == viewInspector:
		body = m.insp.render(m.st, &m.feed, m.loc, m.now(), l.w, l.bodyH)
	case m.view == viewDetail:
		body = m.detail.render(m.st, m.loc, m.now(), l.w, l.bodyH)
	case m.view == viewDigest:
		m.away.start = window(m.away.start, m.away.cursor, max(1, l.bodyH-3), len(m.away.rows))
		body = m.away.render(m.st, m.loc, l.w, l.bodyH)
	case l.feedOnly:
		body = m.feedBox(l.w, l.bodyH)
	case l.single:
		body = m.paneBox(m.focus, l.w, l.bodyH)
	case m.focus == focusContacts:
		listW := max(l.leftW, l.w/2)
		body = side(m.paneBox(focusContacts, listW, l.bodyH), m.activityBox(l.w-listW, l.bodyH))
	case m.cal.mode != calMonth && m.focus != focusFeed:
		// Week and agenda take the full width, the day and feed below.
		calH := m.cal.periodBoxHeight(l.calH, l.bodyH)
		top := m.paneBox(focusCalendar, l.w, calH)
		body = stack(top, side(m.paneBox(focusDay, l.leftW, l.bodyH-calH), m.feedBox(l.w-l.leftW, l.bodyH-calH)))
	default:
		calH := m.cal.monthBoxHeight(l.calH, l.bodyH)
		left := stack(m.paneBox(focusCalendar, l.leftW, calH), m.paneBox(focusDay, l.leftW, l.bodyH-calH))
		right := m.feedBox(l.w-l.leftW, l.bodyH-l.previewH)
		if l.preview {
			right = stack(right, m.previewBox(l.w-l.leftW, l.previewH))
		}
		body = side(left, right)
	}
	if details := m.detailsBox(); details != "" {
		return stack(m.statusBar(), details, body, m.footer())
	}
	return stack(m.statusBar(), body, m.footer())
}

// paneBox draws one of the four panes in its border.
func (m *Model) paneBox(p focus, w, h int) string {
	focused := m.focus == p && !m.lay.feedOnly
	compact := w < 40
	today := m.cal.today
	switch p {
	case focusCalendar:
		title, right := m.cal.title(compact)
		return box(m.st, focused, title, right, m.cal.render(m.st, m.now(), w-2, h-2), w, h)
	case focusDay:
		right := "[Day]│Contacts" // the current tab marked, as the calendar's
		if compact {
			right = "Day"
		}
		return box(m.st, focused, m.day.title(today, compact), right, m.day.render(m.st, m.now(), focused, w-2, h-2), w, h)
	case focusContacts:
		title := "[4] Contacts"
		if compact {
			title = "Contacts"
		}
		title += " " + m.contacts.sortTitle()
		return box(m.st, focused, title, m.contacts.titleRight(), m.contacts.renderList(m.st, m.now(), focused, w-2, h-2), w, h)
	}
	return m.feedBox(w, h)
}

func (m *Model) feedBox(w, h int) string {
	title := "[3] Live feed"
	if w < 60 {
		title = "Live feed"
	}
	if !m.feed.follow {
		title += " ‖"
	}
	right := fmt.Sprintf("%s in ring of %s", thousands(len(m.feed.ring)), thousands(feedRing))
	if !m.feed.filter.empty() {
		right = filterTitle(m.feed.filter, len(m.feed.rows), len(m.feed.ring), w-ansi.StringWidth(title)-7)
	}
	focused := m.focus == focusFeed || m.lay.feedOnly
	return box(m.st, focused, title, right, m.feed.render(m.st, m.conn, m.loc, m.cal.today, focused, w-2, h-2), w, h)
}

func (m *Model) activityBox(w, h int) string {
	hint := "⏎ activity · o open"
	if m.contacts.inActivity {
		hint = "⏎ open · esc back"
	}
	return box(m.st, m.focus == focusContacts && m.contacts.inActivity, m.contacts.activityTitle(), hint, m.contacts.renderActivity(m.st, m.loc, m.now(), m.cal.today, w-2, h-2), w, h)
}

// previewBox is the selected delivery in brief, under the feed.
func (m *Model) previewBox(w, h int) string {
	f := &m.feed
	if f.cursor >= len(f.rows) || len(f.rows) == 0 {
		return box(m.st, false, "Selected", "", []string{"", m.st.Faint.Render(" Nothing selected.")}, w, h)
	}
	r := f.rows[f.cursor]
	code, latency := f.answered(r.DeliveryRecord)
	lines := []string{
		fmt.Sprintf(" %s%s · %s", orDefault(r.Event, "unknown event"), replayCrumb(r.DeliveryRecord), replied(m.st, r.DeliveryRecord, code, latency)),
		fmt.Sprintf(" Verdict  %s", verdict(r.DeliveryRecord)),
	}
	if r.Outcome == storage.OutcomeRefused {
		lines = append(lines, " Reason   "+outside(r.Reason))
	}
	if who := feedWho(r); who != "?" {
		lines = append(lines, fmt.Sprintf(" Invitee  %s %s", who, angle(outside(r.InviteeEmail))))
	}
	if r.EventName != "" {
		lines = append(lines, " Booking  "+outside(r.EventName))
	}
	lines = append(lines, "", m.st.Faint.Render(fmt.Sprintf(" body %s · ⏎ inspect", bytesize(r.BodyBytes))))
	return box(m.st, false, "Selected", fmt.Sprintf("delivery %d", r.ID), lines, w, h)
}

func angle(s string) string {
	if s == "" {
		return ""
	}
	return "<" + s + ">"
}

// statusBar is the top line: mode, where deliveries arrive, counts, the
// last delivery's age and the clock.
func (m *Model) statusBar() string {
	st := m.st
	var mode, where string
	switch m.conn.Mode {
	case ModeOffline:
		mode = st.Warn.Render("○ OFFLINE")
		where = "reading " + shortPath(m.conn.Database)
		if m.width < 120 {
			where = filepath.Base(orDefault(m.conn.Database, "the database"))
		}
	case ModeLocal:
		mode = st.OK.Render("● LOCAL")
		where = outside(m.conn.WebhookURL)
		if m.width < 120 {
			where = shortURL(where)
		}
	default:
		switch m.tunnel.State {
		case "online", "":
			mode = st.OK.Render("● LIVE")
		case "reconnecting", "polling":
			mode = st.Warn.Render("◐ " + strings.ToUpper(m.tunnel.State))
		default:
			mode = st.Bad.Render("○ " + strings.ToUpper(m.tunnel.State))
		}
		where = outside(orDefault(m.tunnel.URL, m.conn.WebhookURL))
		if m.width < 120 {
			where = shortURL(where)
		}
	}
	name := st.Bold.Render("calwatch")
	if m.conn.Demo {
		name += " " + st.Warn.Render("DEMO")
	}
	parts := []string{name + " " + mode + "  " + where}
	if m.conn.Mode != ModeOffline {
		key := st.Bad.Render("key ✗")
		if m.conn.KeySet {
			key = st.OK.Render("key ✓")
		}
		parts = append(parts, key)
	}
	recv, refused := len(m.feed.ring), 0
	for _, r := range m.feed.ring {
		if r.Outcome == storage.OutcomeRefused || r.Outcome == storage.OutcomeFailed {
			refused++
		}
	}
	counts := thousands(recv) + " recv"
	if refused > 0 {
		counts += " · " + st.Bad.Render(thousands(refused)+" ✗")
	}
	parts = append(parts, counts)
	if m.backfill.Total > 0 && m.backfill.Done < m.backfill.Total {
		parts = append(parts, fmt.Sprintf("backfill %d/%d", m.backfill.Done, m.backfill.Total))
	}
	if n := len(m.feed.ring); n > 0 {
		parts = append(parts, "last "+shortDuration(max(0, m.now().Sub(m.feed.ring[n-1].ReceivedAt)))+" ago")
	}
	if sub := m.subscriptionPart(); sub != "" {
		parts = append(parts, sub)
	}
	if m.conn.Account != "" {
		parts = append(parts, outside(m.conn.Account))
	}
	clock := m.now().In(m.loc).Format("Mon 2 Jan 15:04")
	if m.width < 100 {
		clock = m.now().In(m.loc).Format("15:04")
	}
	// What does not fit goes whole, the least important (last) first.
	room := m.width - len(clock) - 2
	for len(parts) > 1 && ansi.StringWidth(" "+strings.Join(parts, " │ ")) > room {
		parts = parts[:len(parts)-1]
	}
	line := " " + strings.Join(parts, " │ ")
	if m.lay.feedOnly {
		line = " " + st.Bold.Render("calwatch") + " " + mode + " │ " + counts
	}
	return fit(line, m.width-len(clock)-1) + clock + " "
}

// subscriptionPart is the status bar's word on the webhook subscription:
// "sub ✓ 4 events" once Calendly has it, "sub ✗ polling" when no webhook
// can reach calwatch, "sub pending" while a live session is still
// subscribing; ""
// where there is no subscription to have (offline, local).
func (m *Model) subscriptionPart() string {
	st := m.st
	switch {
	case m.sub.State == "active" && m.width < 100:
		return st.OK.Render("sub ✓")
	case m.sub.State == "active":
		return st.OK.Render("sub ✓") + fmt.Sprintf(" %d events", len(m.sub.Events))
	case m.sub.State == "polling":
		return st.Warn.Render("sub ✗ polling")
	case m.conn.Mode == ModeLive:
		return st.Faint.Render("sub pending")
	}
	return ""
}

// shortURL is a webhook URL as ":8787" for narrow status bars.
func shortURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Host == "" {
		return u
	}
	if port := parsed.Port(); port != "" {
		return ":" + port
	}
	return parsed.Host
}

func shortPath(p string) string {
	if p == "" {
		return "the database"
	}
	return filepath.Join(filepath.Base(filepath.Dir(p)), filepath.Base(p))
}

// footer is the focused pane's keys on the left and a flash message, while
// it lasts, on the right.
func (m *Model) footer() string {
	msg := ""
	if m.flash.text != "" && m.now().Before(m.flash.until) {
		style := m.st.Faint
		switch m.flash.sev {
		case sevOK:
			style = m.st.OK
		case sevBad:
			style = m.st.Bad
		}
		msg = style.Render(m.flash.text) + " "
	} else if m.away.pending && m.view == viewMain {
		msg = m.st.Accent.Render(m.away.line()+" · W lists") + " "
	}
	// The message may take two thirds of the line: it is news, the keys
	// are in the help too.
	mw, room := ansi.StringWidth(msg), m.width*2/3
	if mw > room {
		msg, mw = ansi.Truncate(msg, room, "…"), room
	}
	if m.cmd.kind != 0 {
		// The command line takes the keys' place; what it is typing wins
		// over the message.
		return fit(m.cmd.view(m.st, m.width), m.width)
	}
	hk := helpKeys{km: m.km, focus: m.focus, view: m.view, searching: m.contacts.searching || m.view == viewInspector && m.insp.find.editing,
		demo: m.demoActions() != nil, fullHelp: m.fullHelp}
	// The keys keep a cell from the message; measured unbounded, so what
	// does not fit shows as too wide.
	measure := m.help
	measure.SetWidth(0)
	keys := m.help.ShortHelpView(hk.footerKeys(m.width-mw-2, measure.ShortHelpView))
	return fit(" "+keys, m.width-mw) + msg
}
