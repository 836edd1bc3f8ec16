package wizard

import (
	"context"
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/tunnel/subscription"
)

// The replies of the actions, tagged with the attempt that asked, so a
// reply that arrives after esc is dropped.
type (
	signInURLMsg struct {
		attempt int
		url     string
	}
	loginDoneMsg struct {
		attempt int
		account Account
		err     error
	}
	webhooksDoneMsg struct {
		attempt int
		err     error
	}
	appKeyDoneMsg struct {
		attempt int
		err     error
	}
	ngrokDoneMsg struct {
		attempt int
		url     string
		err     error
	}
)

// startAction begins an attempt: a fresh context, the spinner, what the
// step says while it waits.
func (m *Model) startAction(doing string) (context.Context, int) {
	m.stopAction()
	ctx, cancel := context.WithCancel(context.Background())
	m.attempt++
	m.cancel, m.busy, m.failure = cancel, doing, ""
	m.applyKeys()
	return ctx, m.attempt
}

// stopAction cancels the running action, if any; its reply will be dropped.
func (m *Model) stopAction() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	if m.busy != "" {
		m.attempt++
	}
	m.busy = ""
	m.applyKeys()
}

// loginOAuth starts the OAuth login. The secret goes into the Cmd and
// leaves the model's input at once.
func (m *Model) loginOAuth() tea.Cmd {
	id, secret := strings.TrimSpace(m.clientID.Value()), strings.TrimSpace(m.clientSecret.Value())
	m.clientSecret.Reset()
	m.signInAt = ""
	next := m.goTo(stepOAuthWait)
	ctx, attempt := m.startAction("waiting for you to approve calwatch in the browser…")
	urls := make(chan string, 1)
	actions := m.actions
	login := func() tea.Msg {
		acct, err := actions.LoginOAuth(ctx, id, secret, func(u string) {
			select {
			case urls <- u:
			default:
			}
		})
		return loginDoneMsg{attempt: attempt, account: acct, err: err}
	}
	showURL := func() tea.Msg {
		select {
		case u := <-urls:
			return signInURLMsg{attempt: attempt, url: u}
		case <-ctx.Done():
			return nil
		}
	}
	return tea.Batch(next, login, showURL, m.spin.Tick)
}

// loginToken starts checking a personal access token; the input is
// emptied as it leaves.
func (m *Model) loginToken() tea.Cmd {
	token := strings.TrimSpace(m.secretInput.Value())
	m.secretInput.Reset()
	if token == "" {
		m.failure = "paste the personal access token from Calendly's Integrations & apps → API and webhooks page"
		return nil
	}
	ctx, attempt := m.startAction("asking Calendly who the token belongs to…")
	actions := m.actions
	return tea.Batch(func() tea.Msg {
		acct, err := actions.LoginToken(ctx, token)
		return loginDoneMsg{attempt: attempt, account: acct, err: err}
	}, m.spin.Tick)
}

func (m *Model) loginDone(msg loginDoneMsg) tea.Cmd {
	if msg.attempt != m.attempt {
		return nil
	}
	m.stopAction()
	if msg.err != nil {
		m.failure = oneLine(msg.err.Error())
		if m.step == stepOAuthWait {
			// Back to the app's ID, keeping the failure in view.
			failure := m.failure
			cmd := m.popStep()
			m.failure = failure
			return cmd
		}
		return nil
	}
	m.account, m.loggedIn = msg.account, true
	m.history = nil // the login is done: esc does not undo it
	return m.enter(stepAccount)
}

// checkNgrok opens and closes an ngrok tunnel with token ("" for the one
// already known).
func (m *Model) checkNgrok(token string) tea.Cmd {
	ctx, attempt := m.startAction("opening an ngrok tunnel…")
	actions := m.actions
	return tea.Batch(func() tea.Msg {
		url, err := actions.CheckNgrok(ctx, token)
		return ngrokDoneMsg{attempt: attempt, url: url, err: err}
	}, m.spin.Tick)
}

func (m *Model) ngrokDone(msg ngrokDoneMsg) tea.Cmd {
	if msg.attempt != m.attempt {
		return nil
	}
	m.stopAction()
	if msg.err != nil {
		m.failure = oneLine(msg.err.Error())
		return nil
	}
	m.tunnel, m.publicURL = TunnelNgrok, msg.url
	m.secretInput.Reset()
	return m.goTo(stepEvents)
}

// oneLine keeps the first line of an error for the step's ✗ line.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// keepAppKey hands the OAuth app's webhook signing key to the actions to
// keep; the input is emptied as it leaves.
func (m *Model) keepAppKey() tea.Cmd {
	key := strings.TrimSpace(m.secretInput.Value())
	m.secretInput.Reset()
	if key == "" {
		m.failure = "paste the webhook signing key from your OAuth app's page at Calendly (Developer → My apps), or esc and choose no tunnel"
		return nil
	}
	ctx, attempt := m.startAction("keeping the signing key, sealed…")
	actions := m.actions
	return tea.Batch(func() tea.Msg {
		return appKeyDoneMsg{attempt: attempt, err: actions.KeepAppSigningKey(ctx, key)}
	}, m.spin.Tick)
}

func (m *Model) appKeyDone(msg appKeyDoneMsg) tea.Cmd {
	if msg.attempt != m.attempt {
		return nil
	}
	m.stopAction()
	if msg.err != nil {
		m.failure = oneLine(msg.err.Error())
		return nil
	}
	m.appKeyKept = true
	return m.openTunnel()
}

// checkWebhooks has Calendly take (and drop) a subscription before the
// wizard ends with a tunnel.
func (m *Model) checkWebhooks(events []string) tea.Cmd {
	ctx, attempt := m.startAction("checking that Calendly takes a webhook subscription…")
	actions, url, scope := m.actions, m.publicURL, m.scope()
	return tea.Batch(func() tea.Msg {
		return webhooksDoneMsg{attempt: attempt, err: actions.CheckWebhooks(ctx, url, events, scope)}
	}, m.spin.Tick)
}

func (m *Model) webhooksDone(msg webhooksDoneMsg) tea.Cmd {
	if msg.attempt != m.attempt {
		return nil
	}
	m.stopAction()
	switch {
	case msg.err == nil:
		return m.finish(m.setup())
	case errors.Is(msg.err, subscription.ErrWebhooksUnavailable):
		m.noWebhooks = true
	}
	m.failure = oneLine(msg.err.Error())
	return nil
}
