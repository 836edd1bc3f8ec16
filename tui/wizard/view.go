package wizard

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/tui/safetext"
)

// The columns of the checklist: the mark, the row's name, what it says.
const (
	markCol  = 3
	labelCol = 5
	textCol  = 17
	bodyCol  = 7
)

// View draws the wizard: a title rule, the checklist with the current
// step's question and choices under its row, the step's progress or
// failure, and the keys.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	return v
}

func (m *Model) render() string {
	w, h := max(m.width, 20), max(m.height, 5)
	lines := []string{m.titleRule(w), ""}
	if m.step == stepWelcome {
		lines = append(lines, m.welcome(w)...)
	} else {
		lines = append(lines, m.checklist(w)...)
	}
	// The progress or failure and the keys always show; the checklist's
	// last rows give way on a short screen.
	status := m.statusLines(w)
	if len(status) > 0 {
		status = append([]string{""}, status...)
	}
	footer := m.footer(w)
	room := max(h-len(footer)-len(status), 1)
	if len(lines) > room {
		lines = lines[:room]
	}
	lines = append(lines, status...)
	for len(lines) < h-len(footer) {
		lines = append(lines, "")
	}
	lines = append(lines, footer...)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = fit(l, w)
	}
	return strings.Join(lines, "\n")
}

// fit cuts or pads a line to exactly w cells.
func fit(l string, w int) string {
	l = ansi.Truncate(l, w, "…")
	if pad := w - ansi.StringWidth(l); pad > 0 {
		l += strings.Repeat(" ", pad)
	}
	return l
}

func (m *Model) titleRule(w int) string {
	left := " " + m.styles.Title.Render("calwatch setup") + " "
	right := " welcome ──"
	if n := m.phase(); n > 0 {
		right = fmt.Sprintf(" step %d of 3 ──", n)
	}
	fill := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	return left + m.styles.Rule.Render(strings.Repeat("─", max(fill, 0))+right)
}

// phase is the checklist row being decided: 1 account, 2 tunnel, 3 events.
func (m *Model) phase() int {
	switch m.step {
	case stepWelcome:
		return 0
	case stepMethod, stepOAuthApp, stepOAuthWait, stepToken, stepAccount:
		return 1
	case stepTunnel, stepNgrokToken, stepAppKey, stepPublicURL:
		return 2
	}
	return 3
}

func (m *Model) welcome(w int) []string {
	text := "calwatch shows your Calendly bookings live in this terminal. Setup takes three steps: " +
		"log in to Calendly, choose how Calendly reaches this computer, and choose the events to watch. " +
		"Nothing is sent anywhere but Calendly (and ngrok, if you choose it)."
	lines := wrap(text, w-markCol-2, markCol)
	return append(lines, "", indent(markCol)+"Press ⏎ to start, or q to quit.")
}

// checklist is the rows Account, Tunnel, Events, Subscribe, Backfill, each
// done (✓), being decided (▸, with the step's body under it) or left.
func (m *Model) checklist(w int) []string {
	var lines []string
	phase := m.phase()
	for i, name := range []string{"Account", "Tunnel", "Events"} {
		row := i + 1
		switch {
		case row == phase:
			mark, text := "▸", m.question()
			if m.step == stepAccount {
				mark, text = "✓", m.accountLine()
			}
			lines = append(lines, m.row(mark, m.styles.Focused, name, text))
			lines = append(lines, m.body(w)...)
		case row < phase || (row == 1 && m.loggedIn):
			lines = append(lines, m.row("✓", m.styles.OK, name, m.summary(row)))
		default:
			lines = append(lines, m.row(" ", m.styles.Faint, name, m.styles.Faint.Render("—")))
		}
	}
	lines = append(lines, m.row(" ", m.styles.Faint, "Subscribe", m.styles.Faint.Render("after setup, in the main screen")))
	lines = append(lines, m.row(" ", m.styles.Faint, "Backfill", m.styles.Faint.Render("after setup, in the main screen")))
	return lines
}

func (m *Model) row(mark string, st interface{ Render(...string) string }, name, text string) string {
	return indent(markCol) + st.Render(mark) + " " + st.Render(fmt.Sprintf("%-*s", textCol-labelCol, name)) + text
}

// summary is what a done row says.
func (m *Model) summary(row int) string {
	switch row {
	case 1:
		return m.accountLine()
	case 2:
		switch m.tunnel {
		case TunnelNone:
			return "no tunnel: local only, calwatch polls Calendly"
		default:
			return m.tunnel.String() + " · " + safetext.Line(m.publicURL)
		}
	}
	return ""
}

func (m *Model) accountLine() string {
	a := m.account
	s := safetext.Line(a.Name)
	if a.Email != "" {
		s += " <" + safetext.Line(a.Email) + ">"
	}
	kind := "personal access token"
	if a.Kind == "oauth" {
		kind = "OAuth"
	}
	if a.ExpiresAt != nil {
		kind += ", expires in " + shortDuration(a.ExpiresAt.Sub(m.opts.Now()))
	}
	return s + " (" + kind + ")"
}

// shortDuration is 1h59m, 42m, 30s.
func shortDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s (already expired)"
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

// question is what the current row asks.
func (m *Model) question() string {
	switch m.step {
	case stepMethod:
		return "How do you want to log in to Calendly?"
	case stepOAuthApp:
		return "Which OAuth app should calwatch sign in with?"
	case stepOAuthWait:
		return "Approve calwatch at Calendly, in the browser"
	case stepToken:
		return "Paste a personal access token"
	case stepTunnel:
		return "How should Calendly reach this computer?"
	case stepNgrokToken:
		return "ngrok needs your authtoken"
	case stepAppKey:
		return "Your OAuth app's webhook signing key"
	case stepPublicURL:
		return "Which public URL forwards to this computer?"
	}
	return "Which events should calwatch watch?"
}

// statusLines is the running action (with the spinner) or the failure.
func (m *Model) statusLines(w int) []string {
	switch {
	case m.busy != "":
		return []string{indent(markCol) + m.spin.View() + " " + m.busy}
	case m.failure != "":
		lines := wrap(m.styles.Bad.Render("✗")+" "+safetext.Line(m.failure), w-markCol-1, markCol)
		if m.noWebhooks && m.step == stepEvents {
			lines = append(lines, "", indent(markCol)+m.styles.Bold.Render("⏎ go on without webhooks (calwatch polls Calendly) · esc choose another way"))
		}
		return lines
	}
	return nil
}

func (m *Model) footer(w int) []string {
	m.help.SetWidth(w - 1)
	if m.helpOpen {
		var out []string
		for _, l := range strings.Split(m.help.FullHelpView(m.keys.FullHelp()), "\n") {
			out = append(out, " "+l)
		}
		return out
	}
	return []string{" " + m.help.ShortHelpView(m.keys.ShortHelp())}
}

func indent(n int) string { return strings.Repeat(" ", n) }

// wrap breaks text into lines of at most width cells, each indented by in.
func wrap(text string, width, in int) []string {
	var out []string
	for _, l := range strings.Split(ansi.Wordwrap(text, max(width, 10), " "), "\n") {
		out = append(out, indent(in)+l)
	}
	return out
}
