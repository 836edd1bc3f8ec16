package wizard

import (
	"context"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// step is where the wizard is.
type step int

const (
	stepWelcome    step = iota
	stepMethod          // OAuth app, personal access token or the demo
	stepOAuthApp        // client ID and optional secret
	stepOAuthWait       // browser opened, URL shown, waiting
	stepToken           // a masked personal access token
	stepAccount         // who is logged in
	stepTunnel          // ngrok, my own URL, no tunnel
	stepAppKey          // the OAuth app's webhook signing key, masked
	stepNgrokToken      // a masked ngrok authtoken
	stepPublicURL       // the user's own URL
	stepEvents          // checkboxes and scope
	stepDone
)

// The choices of the method step, in order.
const (
	methodOAuth = iota
	methodToken
	methodDemo
)

// Model is the wizard. Create it with New and run it in a tea.Program;
// Result says what the user chose once the program has ended.
type Model struct {
	actions Actions
	opts    Options
	keys    keyMap
	styles  styles
	help    help.Model
	spin    spinner.Model
	width   int
	height  int

	step    step
	history []step // the steps esc goes back through
	cursor  int    // the highlighted choice of a list step

	clientID, clientSecret, secretInput, urlInput textinput.Model
	oauthField                                    int // 0: client ID, 1: secret

	busy     string             // what a running action is doing; "" when idle
	attempt  int                // tags action replies; a reply to an older attempt is dropped
	cancel   context.CancelFunc // stops the running action
	signInAt string             // the OAuth sign-in URL, once known
	failure  string             // the last failure, shown with ✗ until the next action
	helpOpen bool

	account     Account
	loggedIn    bool
	appKeyKept  bool // the OAuth app's signing key was given in this run
	noWebhooks  bool // Calendly refused a subscription (403): ⏎ goes on polling
	tunnel      TunnelChoice
	publicURL   string
	events      map[string]bool
	orgScope    bool
	result      Result
	resultReady bool
}

// New is a wizard at its welcome step.
func New(actions Actions, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Model{actions: actions, opts: opts, keys: newKeyMap(), styles: newStyles(opts.Dark),
		help: newHelp(opts.Dark), spin: spinner.New(spinner.WithSpinner(spinner.Dot)), width: 80, height: 24,
		events: map[string]bool{}}
	m.clientID = newInput("client ID", false)
	m.clientID.SetValue(opts.ClientID)
	m.clientSecret = newInput("client secret (leave empty for a public app)", true)
	m.secretInput = newInput("", true)
	m.urlInput = newInput("https://hooks.example.com", false)
	for _, e := range DefaultEvents {
		m.events[e] = true
	}
	m.sizeInputs()
	m.applyKeys()
	return m
}

func newHelp(dark bool) help.Model {
	h := help.New()
	h.Styles = help.DefaultStyles(dark)
	return h
}

func newInput(placeholder string, secret bool) textinput.Model {
	in := textinput.New()
	in.Placeholder = placeholder
	in.Prompt = ""
	in.CharLimit = 8192
	st := in.Styles()
	st.Cursor.Blink = false // a steady cursor: nothing redraws while the user reads
	in.SetStyles(st)
	if secret {
		in.EchoMode = textinput.EchoPassword
		in.EchoCharacter = '•'
	}
	return in
}

// sizeInputs gives the text inputs the width right of their labels.
func (m *Model) sizeInputs() {
	w := max(m.width-bodyCol-2-13-2, 10)
	for _, in := range []*textinput.Model{&m.clientID, &m.clientSecret, &m.secretInput, &m.urlInput} {
		in.SetWidth(w)
	}
}

// Result is what the user chose; ok is false until the wizard has ended.
func (m *Model) Result() (Result, bool) { return m.result, m.resultReady }

// Init asks the terminal for its background, for the theme; the welcome
// step waits for a key.
func (m *Model) Init() tea.Cmd { return tea.RequestBackgroundColor }

// Update routes a message: an action's reply, a window size, a spinner
// tick, or a key (to the focused input first, then the step).
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		m.sizeInputs()
		return m, nil
	case tea.BackgroundColorMsg:
		m.styles = newStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		return m, nil
	case spinner.TickMsg:
		if m.busy == "" {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case signInURLMsg:
		if msg.attempt == m.attempt && m.step == stepOAuthWait {
			m.signInAt = msg.url
		}
		return m, nil
	case loginDoneMsg:
		return m, m.loginDone(msg)
	case ngrokDoneMsg:
		return m, m.ngrokDone(msg)
	case webhooksDoneMsg:
		return m, m.webhooksDone(msg)
	case appKeyDoneMsg:
		return m, m.appKeyDone(msg)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.PasteMsg:
		if in := m.focusedInput(); in != nil {
			var cmd tea.Cmd
			*in, cmd = in.Update(msg)
			return m, cmd
		}
	}
	return m, nil
}

// goTo moves to s, remembering where esc comes back to.
func (m *Model) goTo(s step) tea.Cmd {
	m.history = append(m.history, m.step)
	return m.enter(s)
}

// enter shows step s with its cursor and input ready.
func (m *Model) enter(s step) tea.Cmd {
	m.step, m.cursor, m.failure = s, 0, ""
	for _, in := range []*textinput.Model{&m.clientID, &m.clientSecret, &m.secretInput, &m.urlInput} {
		in.Blur()
	}
	switch s {
	case stepTunnel:
		m.cursor = int(m.tunnel)
	case stepOAuthApp:
		m.oauthField = 0
		if m.clientID.Value() != "" {
			m.oauthField = 1
		}
	}
	m.applyKeys()
	if in := m.focusedInput(); in != nil {
		return in.Focus()
	}
	return nil
}

// back is esc: stop what runs and return to the step before.
func (m *Model) back() tea.Cmd {
	if m.busy != "" {
		m.stopAction()
		if m.step == stepOAuthWait {
			return m.popStep()
		}
		m.failure = ""
		m.applyKeys()
		return nil
	}
	return m.popStep()
}

func (m *Model) popStep() tea.Cmd {
	if len(m.history) == 0 {
		return nil
	}
	prev := m.history[len(m.history)-1]
	m.history = m.history[:len(m.history)-1]
	m.secretInput.Reset() // a secret never outlives its step
	m.clientSecret.Reset()
	return m.enter(prev)
}

// focusedInput is the text input keys go to at this step, if any.
func (m *Model) focusedInput() *textinput.Model {
	if m.busy != "" {
		return nil
	}
	switch m.step {
	case stepOAuthApp:
		if m.oauthField == 0 {
			return &m.clientID
		}
		return &m.clientSecret
	case stepToken, stepNgrokToken, stepAppKey:
		return &m.secretInput
	case stepPublicURL:
		return &m.urlInput
	}
	return nil
}

// finish ends the wizard with r.
func (m *Model) finish(r Result) tea.Cmd {
	m.stopAction()
	m.clientSecret.Reset()
	m.secretInput.Reset()
	m.result, m.resultReady = r, true
	m.step = stepDone
	return tea.Quit
}
