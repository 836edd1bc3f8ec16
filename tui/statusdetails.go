package tui

import (
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/charmbracelet/x/ansi"
)

// detailsLabel is the width of the status details' labels.
const detailsLabel = 10

// relayout sizes the panes for the window less the status details (i)
// when they show.
func (m *Model) relayout() {
	m.lay = computeLayout(m.width, m.height-m.detailsHeight())
}

// toggleDetails is i: the status details open or close.
func (m *Model) toggleDetails() tea.Cmd {
	m.details = !m.details
	m.relayout()
	if m.details && m.detailsHeight() == 0 {
		m.details = false
		m.setFlash(sevBad, "✗ the window is too small for the status details; make it taller")
		return m.expireFlash()
	}
	return nil
}

// detailsHeight is the rows the status details take, border included:
// none when closed, or when the screen is too short to keep the panes.
func (m *Model) detailsHeight() int {
	if !m.details || m.width < 30 {
		return 0
	}
	n := len(m.detailLines(m.width-2)) + 2
	if m.height-n < 12 {
		return 0
	}
	return n
}

// detailsBox is what i shows under the status bar: where deliveries come
// in (the URL in full, wrapped rather than cut), the subscription, the
// events, whether a signing key is set (never the key), the store and the
// account.
func (m *Model) detailsBox() string {
	h := m.detailsHeight()
	if h == 0 {
		return ""
	}
	return box(m.st, false, "Status details", "i closes", m.detailLines(m.width-2), m.width, h)
}

func (m *Model) detailLines(w int) []string {
	st, conn := m.st, m.conn
	label := func(s string) string { return " " + st.Faint.Render(fit(s, detailsLabel-1)) }
	room := max(10, w-detailsLabel)
	var lines []string
	// full adds a value that is never cut: it wraps onto more lines, at
	// spaces when words wants it, anywhere otherwise (a URL).
	wrap := func(name, value string, words bool) {
		wrapped := ansi.Hardwrap(value, room, true)
		if words {
			wrapped = ansi.Wrap(value, room, "")
		}
		for i, part := range strings.Split(wrapped, "\n") {
			if i == 0 {
				lines = append(lines, label(name)+part)
			} else {
				lines = append(lines, strings.Repeat(" ", detailsLabel)+part)
			}
		}
	}
	full := func(name, value string) { wrap(name, value, false) }

	url := outside(orDefault(m.tunnel.URL, conn.WebhookURL))
	switch conn.Mode {
	case ModeOffline:
		lines = append(lines, label("URL")+st.Warn.Render("○ offline")+" — reading the store; no listener here")
	case ModeLocal:
		full("URL", "● local (no tunnel) · "+orDefault(url, "—"))
	default:
		state := orDefault(m.tunnel.State, "online")
		full("URL", glyphFor(state)+" "+state+" · "+orDefault(url, "no public URL yet"))
		if m.tunnel.Err != "" {
			full("", "✗ "+outside(m.tunnel.Err))
		}
	}

	sub := m.sub
	switch {
	case sub.State == "active":
		line := st.OK.Render("✓ active")
		if sub.Scope != "" {
			line += " · " + outside(sub.Scope)
		}
		line += " · "
		lines = append(lines, label("Webhook")+line+middle(outside(sub.URI), max(5, room-ansi.StringWidth(line))))
	case sub.State == "polling":
		lines = append(lines, label("Webhook")+st.Warn.Render("◐ polling")+" — no webhook can reach calwatch; it reads Calendly every minute")
	case conn.Mode == ModeLive:
		lines = append(lines, label("Webhook")+"… not subscribed yet")
	case conn.Mode == ModeOffline:
		lines = append(lines, label("Webhook")+st.Faint.Render("— none from here (offline: calwatch listen subscribes)"))
	default:
		lines = append(lines, label("Webhook")+st.Faint.Render("— none (no Calendly login here)"))
	}
	if len(sub.Events) > 0 {
		events := make([]string, len(sub.Events))
		for i, e := range sub.Events {
			events[i] = outside(e)
		}
		wrap("Events", strings.Join(events, ", "), true)
	}

	if conn.Mode != ModeOffline {
		key := st.Bad.Render("✗ no signing key") + " — deliveries cannot be verified; set one with calwatch listen --signing-key"
		if conn.KeySet {
			key = st.OK.Render("✓ signing key set") + st.Faint.Render(" (never shown)")
		}
		lines = append(lines, label("Key")+key)
	}
	full("Store", outside(orDefault(conn.Database, "—")))
	account := st.Faint.Render("— none in use (offline)")
	if conn.Mode != ModeOffline {
		account = st.Faint.Render("— none in use (calwatch login connects one)")
	}
	if conn.Account != "" {
		account = outside(conn.Account)
	}
	lines = append(lines, label("Account")+account)
	return lines
}

func glyphFor(state string) string {
	switch state {
	case "online":
		return "●"
	case "reconnecting", "polling":
		return "◐"
	}
	return "○"
}
