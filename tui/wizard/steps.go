package wizard

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/calendly"
)

// key handles a key press: quit and esc first, then the focused input,
// then the step's own keys.
func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.finish(Result{Canceled: true})
	case key.Matches(msg, m.keys.Back):
		if m.helpOpen {
			m.helpOpen = false
			return nil
		}
		return m.back()
	case key.Matches(msg, m.keys.Help):
		m.helpOpen = !m.helpOpen
		return nil
	}
	if m.busy != "" {
		return nil
	}
	if in := m.focusedInput(); in != nil && !key.Matches(msg, m.keys.Next, m.keys.Field) {
		var cmd tea.Cmd
		*in, cmd = in.Update(msg)
		return cmd
	}
	switch m.step {
	case stepWelcome:
		if key.Matches(msg, m.keys.Next) {
			return m.goTo(stepMethod)
		}
	case stepMethod:
		return m.listKey(msg, 3, m.chooseMethod)
	case stepOAuthApp:
		return m.oauthAppKey(msg)
	case stepToken:
		if key.Matches(msg, m.keys.Next) {
			return m.loginToken()
		}
	case stepAccount:
		if key.Matches(msg, m.keys.Next) {
			return m.goTo(stepTunnel)
		}
	case stepTunnel:
		return m.listKey(msg, 3, m.chooseTunnel)
	case stepNgrokToken:
		if key.Matches(msg, m.keys.Next) {
			token := strings.TrimSpace(m.secretInput.Value())
			m.secretInput.Reset()
			if token == "" {
				m.failure = "paste the authtoken from https://dashboard.ngrok.com/get-started/your-authtoken (a free account has one)"
				return nil
			}
			return m.checkNgrok(token)
		}
	case stepPublicURL:
		if key.Matches(msg, m.keys.Next) {
			return m.choosePublicURL()
		}
	case stepAppKey:
		if key.Matches(msg, m.keys.Next) {
			return m.keepAppKey()
		}
	case stepEvents:
		return m.eventsKey(msg)
	}
	return nil
}

// listKey moves the cursor over n choices and calls choose on ⏎.
func (m *Model) listKey(msg tea.KeyPressMsg, n int, choose func() tea.Cmd) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Up):
		m.cursor = (m.cursor + n - 1) % n
	case key.Matches(msg, m.keys.Down):
		m.cursor = (m.cursor + 1) % n
	case key.Matches(msg, m.keys.Next):
		return choose()
	}
	return nil
}

func (m *Model) chooseMethod() tea.Cmd {
	switch m.cursor {
	case methodOAuth:
		return m.goTo(stepOAuthApp)
	case methodToken:
		return m.goTo(stepToken)
	}
	return m.finish(Result{Demo: true})
}

func (m *Model) oauthAppKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Field):
		m.oauthField = 1 - m.oauthField
		m.clientID.Blur()
		m.clientSecret.Blur()
		return m.focusedInput().Focus()
	case key.Matches(msg, m.keys.Next):
		if m.oauthField == 0 {
			m.oauthField = 1
			m.clientID.Blur()
			return m.clientSecret.Focus()
		}
		if strings.TrimSpace(m.clientID.Value()) == "" {
			m.failure = "type the client ID of your OAuth app (Calendly → Developer → My apps)"
			m.oauthField = 0
			m.clientSecret.Blur()
			return m.clientID.Focus()
		}
		return m.loginOAuth()
	}
	return nil
}

func (m *Model) chooseTunnel() tea.Cmd {
	m.tunnel, m.noWebhooks = TunnelChoice(m.cursor), false
	if m.tunnel != TunnelNone && m.needsAppKey() {
		return m.goTo(stepAppKey)
	}
	return m.openTunnel()
}

// needsAppKey: deliveries to an OAuth app's subscription are signed with
// the app's key, which calwatch must have to verify them.
func (m *Model) needsAppKey() bool {
	return m.account.Kind == "oauth" && !m.opts.AppSigningKeyKnown && !m.appKeyKept
}

// openTunnel goes on with the chosen tunnel.
func (m *Model) openTunnel() tea.Cmd {
	switch m.tunnel {
	case TunnelNgrok:
		if m.opts.NgrokTokenKnown {
			return m.checkNgrok("")
		}
		return m.goTo(stepNgrokToken)
	case TunnelURL:
		return m.goTo(stepPublicURL)
	}
	m.publicURL = ""
	return m.goTo(stepEvents)
}

func (m *Model) choosePublicURL() tea.Cmd {
	u := strings.TrimSpace(m.urlInput.Value())
	if err := m.actions.CheckPublicURL(u); err != nil {
		m.failure = oneLine(err.Error())
		return nil
	}
	m.tunnel, m.publicURL = TunnelURL, u
	return m.goTo(stepEvents)
}

// eventsKey: the list is the offered events, then the scope row.
func (m *Model) eventsKey(msg tea.KeyPressMsg) tea.Cmd {
	n := len(offeredEvents) + 1
	switch {
	case key.Matches(msg, m.keys.Toggle):
		if m.cursor < len(offeredEvents) {
			e := offeredEvents[m.cursor]
			m.events[e] = !m.events[e]
		} else {
			m.orgScope = !m.orgScope
		}
		m.failure = ""
		return nil
	case key.Matches(msg, m.keys.Scope):
		m.orgScope = !m.orgScope
		return nil
	}
	return m.listKey(msg, n, m.chooseEvents)
}

func (m *Model) chooseEvents() tea.Cmd {
	events := m.chosenEvents()
	switch {
	case len(events) == 0:
		m.failure = "choose at least one event (space toggles the one under the cursor)"
		return nil
	case m.noWebhooks:
		// No webhooks on this plan: go on polling, with no tunnel to keep.
		m.tunnel, m.publicURL = TunnelNone, ""
		return m.finish(m.setup())
	case m.tunnel != TunnelNone:
		return m.checkWebhooks(events)
	}
	return m.finish(m.setup())
}

// setup is the Result of the choices made.
func (m *Model) setup() Result {
	return Result{Account: m.account, Tunnel: m.tunnel, PublicURL: m.publicURL, Events: m.chosenEvents(), Scope: m.scope()}
}

func (m *Model) chosenEvents() []string {
	var events []string
	for _, e := range offeredEvents {
		if m.events[e] {
			events = append(events, e)
		}
	}
	return slices.Clip(events)
}

func (m *Model) scope() string {
	if m.orgScope {
		return calendly.ScopeOrganization
	}
	return calendly.ScopeUser
}
