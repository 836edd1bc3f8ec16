package wizard

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/calwatch/calwatch/tui/safetext"
)

// choice is one line of a list step: its name and what it means.
type choice struct{ name, about string }

// body is what the current step shows under its row.
func (m *Model) body(w int) []string {
	text := w - bodyCol - 1
	var lines []string
	add := func(s string) { lines = append(lines, wrap(s, text, bodyCol)...) }
	blank := func() { lines = append(lines, "") }
	blank()
	switch m.step {
	case stepMethod:
		lines = append(lines, m.list(w, []choice{
			{"OAuth app", "your Calendly OAuth app: sign in in the browser; the login refreshes itself"},
			{"access token", "a personal access token from Calendly's API and webhooks page"},
			{"try the demo", "the built-in Calendly emulator, with made-up bookings; no account needed"},
		})...)
	case stepOAuthApp:
		redirect := m.opts.RedirectURI
		if redirect == "" {
			redirect = "calwatch's redirect URI"
		}
		add("The app (Calendly → Developer → My apps) must list " + safetext.Line(redirect) + " as a redirect URI. A public app needs no secret.")
		blank()
		lines = append(lines, m.field("Client ID", m.clientID.View(), m.oauthField == 0))
		lines = append(lines, m.field("Secret", m.clientSecret.View(), m.oauthField == 1))
	case stepOAuthWait:
		add("calwatch opened your browser at Calendly's sign-in page. If it did not open, open this URL yourself:")
		if m.signInAt != "" {
			for _, l := range strings.Split(ansi.Hardwrap(safetext.Line(m.signInAt), max(text, 10), false), "\n") {
				lines = append(lines, indent(bodyCol)+m.styles.Accent.Render(l))
			}
		} else {
			lines = append(lines, indent(bodyCol)+m.styles.Faint.Render("(preparing the sign-in URL…)"))
		}
	case stepToken:
		add("Create one at Calendly → Integrations & apps → API and webhooks. calwatch keeps it sealed on this computer and never shows it.")
		blank()
		lines = append(lines, m.field("Token", m.secretInput.View(), true))
	case stepAccount:
		a := m.account
		lines = append(lines, m.pair("Name", safetext.Line(a.Name)))
		if a.Email != "" {
			lines = append(lines, m.pair("Email", safetext.Line(a.Email)))
		}
		if a.Organization != "" {
			lines = append(lines, m.pair("Organization", safetext.Line(a.Organization)))
		}
		expiry := "does not expire (revoke it at Calendly when done)"
		if a.ExpiresAt != nil {
			expiry = fmt.Sprintf("in %s; calwatch refreshes it by itself", shortDuration(a.ExpiresAt.Sub(m.opts.Now())))
			if a.Kind != "oauth" {
				expiry = "in " + shortDuration(a.ExpiresAt.Sub(m.opts.Now()))
			}
		}
		lines = append(lines, m.pair("Token expires", expiry))
		blank()
		add("Next: how Calendly reaches this computer. Press ⏎.")
	case stepTunnel:
		ngrok := "a public https URL, opened by calwatch (asks for your ngrok authtoken)"
		if m.opts.NgrokTokenKnown {
			ngrok = "a public https URL, opened by calwatch (ngrok authtoken found)"
		}
		lines = append(lines, m.list(w, []choice{
			{"ngrok", ngrok},
			{"my own URL", "you already forward a public URL to this machine"},
			{"no tunnel", "local only; calwatch polls Calendly every minute"},
		})...)
	case stepNgrokToken:
		add("Copy it from https://dashboard.ngrok.com/get-started/your-authtoken (a free account has one). calwatch keeps it sealed in this home and never shows it.")
		blank()
		lines = append(lines, m.field("Authtoken", m.secretInput.View(), true))
	case stepAppKey:
		add("Calendly signs the deliveries of an OAuth app's subscriptions with the app's webhook signing key (on the app's page, Developer → My apps); calwatch checks every delivery with it. It is kept sealed in this home and never shown.")
		blank()
		lines = append(lines, m.field("Signing key", m.secretInput.View(), true))
	case stepPublicURL:
		add("The https origin that forwards to calwatch's listener on this computer; Calendly posts to a secret path under it.")
		blank()
		lines = append(lines, m.field("URL", m.urlInput.View(), true))
	case stepEvents:
		lines = append(lines, m.eventList()...)
	}
	blank()
	return lines
}

// list draws choices with the cursor's marked ▸.
func (m *Model) list(w int, choices []choice) []string {
	const nameWidth = 15
	var lines []string
	for i, c := range choices {
		mark, name := "  ", fmt.Sprintf("%-*s", nameWidth, c.name)
		if i == m.cursor {
			mark, name = m.styles.Focused.Render("▸ "), m.styles.Focused.Render(name)
		}
		about := wrap(c.about, w-bodyCol-2-nameWidth-1, 0)
		lines = append(lines, indent(bodyCol)+mark+name+" "+strings.TrimSpace(about[0]))
		for _, more := range about[1:] {
			lines = append(lines, indent(bodyCol+2+nameWidth+1)+strings.TrimSpace(more))
		}
	}
	return lines
}

// field is a labelled text input; the focused one's label is marked.
func (m *Model) field(label, input string, focused bool) string {
	mark, l := "  ", fmt.Sprintf("%-13s", label)
	if focused {
		mark, l = m.styles.Focused.Render("▸ "), m.styles.Focused.Render(l)
	}
	return indent(bodyCol) + mark + l + input
}

func (m *Model) pair(label, value string) string {
	return indent(bodyCol) + m.styles.Faint.Render(fmt.Sprintf("%-15s", label)) + value
}

// eventAbout says what each offered event is.
var eventAbout = map[string]string{
	"invitee.created":                 "a booking is made (or moved here)",
	"invitee.canceled":                "a booking is canceled (or moved away)",
	"invitee_no_show.created":         "an invitee is marked as a no-show",
	"invitee_no_show.deleted":         "a no-show mark is taken back",
	"routing_form_submission.created": "a routing form is submitted",
}

// eventList is the events' checkboxes and the scope row.
func (m *Model) eventList() []string {
	var lines []string
	for i, e := range offeredEvents {
		box := "[ ]"
		if m.events[e] {
			box = "[x]"
		}
		lines = append(lines, m.cursorLine(i, box+" "+fmt.Sprintf("%-32s", e)+m.styles.Faint.Render(eventAbout[e])))
	}
	user, org := "(•) user", "( ) organization"
	about := "your own bookings"
	if m.orgScope {
		user, org = "( ) user", "(•) organization"
		about = "everyone's in the organization (an admin login)"
	}
	lines = append(lines, "")
	lines = append(lines, m.cursorLine(len(offeredEvents), "Scope  "+user+"  "+org+"  "+m.styles.Faint.Render(about)))
	return lines
}

func (m *Model) cursorLine(i int, s string) string {
	if i == m.cursor {
		return indent(bodyCol) + m.styles.Focused.Render("▸ ") + s
	}
	return indent(bodyCol) + "  " + s
}
