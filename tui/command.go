package tui

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
)

// commands are the command line's verbs, as its hint lists them.
var commands = []string{"goto ", "filter ", "replay ", "export ics", "export csv", "help", "quit"}

// completions are what tab completes: a verb, then its common arguments
// (the first that starts with what is typed wins).
var completions = append(commands[:len(commands):len(commands)],
	"goto today", "goto tomorrow",
	"filter verdict!=ok", "filter verdict=", "filter event=invitee.", "filter status=", "filter invitee~", "filter type~", "filter id=")

// commandsHelp is what :help says, in one line.
const commandsHelp = ":goto DATE · :filter TERMS · :replay ID · :export ics|csv · :q"

// maxHistory is how many command lines ↑ brings back.
const maxHistory = 50

// commandLine is the footer's one-line input, k9s style: `:` runs a
// command (tab completes its name, ↑/↓ bring back earlier ones), and `/`
// in the feed types the feed's filter, applied as soon as it reads.
type commandLine struct {
	input   textinput.Model
	kind    rune // 0: closed; ':' a command; '/' the feed's filter
	history []string
	histAt  int        // the history line shown; len(history): the one being typed
	draft   string     // the line being typed, kept while ↑ browses
	before  feedFilter // the feed's filter when / opened; esc puts it back
	problem string     // why the / text does not read (yet)
}

func newCommandLine() commandLine {
	in := textinput.New()
	in.CharLimit = maxFilterLen
	in.ShowSuggestions = true
	in.SetSuggestions(completions)
	// ↑/↓ are the history here, not the suggestions.
	in.KeyMap.NextSuggestion = key.NewBinding(key.WithKeys("ctrl+n"))
	in.KeyMap.PrevSuggestion = key.NewBinding(key.WithKeys("ctrl+p"))
	styles := in.Styles()
	styles.Cursor.Blink = false
	in.SetStyles(styles)
	return commandLine{input: in}
}

func (c *commandLine) open(kind rune, value string) tea.Cmd {
	c.kind, c.problem = kind, ""
	c.input.Prompt = string(kind)
	c.input.ShowSuggestions = kind == ':'
	c.input.SetValue(value)
	c.input.CursorEnd()
	c.histAt, c.draft = len(c.history), ""
	return c.input.Focus()
}

func (c *commandLine) close() {
	c.kind, c.problem = 0, ""
	c.input.Blur()
	c.input.SetValue("")
}

func (c *commandLine) remember(line string) {
	if line == "" || (len(c.history) > 0 && c.history[len(c.history)-1] == line) {
		return
	}
	c.history = append(c.history, line)
	if len(c.history) > maxHistory {
		c.history = c.history[1:]
	}
}

// browse moves through the history: -1 older, +1 newer.
func (c *commandLine) browse(step int) {
	if len(c.history) == 0 {
		return
	}
	if c.histAt == len(c.history) {
		c.draft = c.input.Value()
	}
	c.histAt = max(0, min(len(c.history), c.histAt+step))
	if c.histAt == len(c.history) {
		c.input.SetValue(c.draft)
	} else {
		c.input.SetValue(c.history[c.histAt])
	}
	c.input.CursorEnd()
}

// view is the footer's left side while the line is open: the input and,
// for a command, the verbs that complete what is typed.
func (c *commandLine) view(st Styles, width int) string {
	line := " " + c.input.View()
	hint := ""
	switch {
	case c.kind == '/' && c.problem != "":
		hint = st.Bad.Render(c.problem)
	case c.kind == '/':
		hint = st.Faint.Render("⏎ keep · esc undo · verdict!=ok event= status=5xx invitee~ text")
	default:
		var verbs []string
		typed := strings.ToLower(c.input.Value())
		for _, v := range commands {
			if strings.HasPrefix(v, typed) || typed == "" {
				verbs = append(verbs, strings.TrimSpace(v))
			}
		}
		hint = "tab completes · ⏎ runs · esc"
		if len(verbs) > 0 {
			hint = strings.Join(verbs, " ") + " · " + hint
		}
		hint = st.Faint.Render(hint)
	}
	return fit(line+"   "+hint, width)
}

func (m *Model) openCommand() tea.Cmd { return m.cmd.open(':', "") }

// openFeedFilter starts typing the feed's filter at /, from the one it has.
func (m *Model) openFeedFilter() tea.Cmd {
	m.cmd.before = m.feed.filter
	return m.cmd.open('/', m.feed.filter.String())
}

// commandKey feeds the open command line.
func (m *Model) commandKey(msg tea.KeyPressMsg) tea.Cmd {
	c := &m.cmd
	switch msg.String() {
	case "ctrl+c":
		return tea.Quit
	case "esc":
		if c.kind == '/' {
			m.feed.setFilter(c.before)
		}
		c.close()
		return nil
	case "enter":
		kind, text := c.kind, strings.TrimSpace(c.input.Value())
		c.close()
		if kind == '/' {
			if _, err := parseFilter(text); err != nil {
				m.feed.setFilter(c.before)
			}
			return m.runFilter(text)
		}
		c.remember(text)
		return m.runCommand(text)
	case "up":
		c.browse(-1)
		return nil
	case "down":
		c.browse(+1)
		return nil
	}
	before := c.input.Value()
	var cmd tea.Cmd
	c.input, cmd = c.input.Update(msg)
	if c.kind == '/' && c.input.Value() != before {
		// The feed follows the text as long as it reads; what does not
		// read yet is said beside it and changes nothing.
		f, err := parseFilter(c.input.Value())
		switch {
		case err != nil:
			c.problem = "✗ " + err.Error()
		case typingField(c.input.Value()):
			c.problem = "" // "stat" is on its way to status=…, not a search yet
		default:
			c.problem = ""
			m.feed.setFilter(f)
		}
	}
	return cmd
}

// runCommand runs one command line (without its colon); the outcome lands
// in the footer's flash.
func (m *Model) runCommand(line string) tea.Cmd {
	line = strings.TrimPrefix(strings.TrimSpace(line), ":")
	verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(verb) {
	case "":
		return nil
	case "goto", "g":
		return m.runGoto(arg)
	case "filter", "f":
		return m.runFilter(arg)
	case "replay", "r":
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return m.flashBad(fmt.Sprintf("✗ replay: %q is not a delivery number — use :replay 42 (the Selected box shows it)", arg))
		}
		return m.replay(id, nil, false)
	case "export", "x":
		switch strings.ToLower(arg) {
		case "ics", "":
			return m.exportMonth()
		case "csv":
			return m.exportMonthCSV()
		}
		return m.flashBad(fmt.Sprintf("✗ export: %q is not a format — use :export ics or :export csv", arg))
	case "q", "quit", "q!", "quit!":
		return tea.Quit
	case "help", "h", "?":
		m.fullHelp = true
		m.setFlash(sevInfo, commandsHelp)
		return m.expireFlash()
	}
	return m.flashBad(fmt.Sprintf("✗ unknown command %q — try :help", verb))
}

func (m *Model) flashBad(text string) tea.Cmd {
	m.setFlash(sevBad, text)
	return m.expireFlash()
}

// runGoto moves the calendar to a day and focuses it.
func (m *Model) runGoto(arg string) tea.Cmd {
	day, err := parseGoto(arg, m.today(), m.cal.selected)
	if err != nil {
		return m.flashBad("✗ " + err.Error())
	}
	m.view, m.focus = viewMain, focusCalendar
	m.cal.selected = day
	m.day.cursor = 0
	m.setFlash(sevOK, "✓ "+day.Format("Mon 2 Jan 2006"))
	return tea.Batch(m.loadMonth(), m.loadDay(), m.loadPeriod(), m.expireFlash())
}

// runFilter applies a filter typed at :filter or /; one that does not read
// changes nothing and says which term is wrong.
func (m *Model) runFilter(text string) tea.Cmd {
	f, err := parseFilter(text)
	if err != nil {
		return m.flashBad("✗ " + err.Error())
	}
	m.cmd.before = f
	m.feed.setFilter(f)
	m.view = viewMain
	if m.lay.single || m.focus == focusContacts {
		// Where the feed would not show, it takes the screen.
		m.focus = focusFeed
	}
	if f.empty() {
		m.setFlash(sevOK, "✓ filter cleared")
	} else {
		m.setFlash(sevOK, fmt.Sprintf("✓ filter: %s · %s of %s", outside(f.String()), thousands(len(m.feed.rows)), thousands(len(m.feed.ring))))
	}
	return m.expireFlash()
}

// clearFeedFilter is esc in the feed when it is filtered.
func (m *Model) clearFeedFilter() {
	m.feed.setFilter(feedFilter{})
	m.cmd.before = feedFilter{}
	m.setFlash(sevOK, "✓ filter cleared")
}

// mainKey is the main screen's keys of this file's features: : opens the
// command line, / the feed's filter, esc clears that filter (then closes
// the status details), [ ] switch tabs and i shows the status details.
func (m *Model) mainKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	km := m.km
	feed := m.focus == focusFeed || m.lay.feedOnly
	switch {
	case key.Matches(msg, km.Command):
		return m.openCommand(), true
	case key.Matches(msg, km.Search) && feed:
		return m.openFeedFilter(), true
	case key.Matches(msg, km.Back) && feed && !m.feed.filter.empty():
		m.clearFeedFilter()
		return m.expireFlash(), true
	case key.Matches(msg, km.Back) && m.details && m.focus != focusContacts:
		// esc closes; in the contacts it clears their search first.
		return m.toggleDetails(), true
	case key.Matches(msg, km.PrevTab):
		return m.switchTab(-1), true
	case key.Matches(msg, km.NextTab):
		return m.switchTab(+1), true
	case key.Matches(msg, km.Details):
		return m.toggleDetails(), true
	}
	return nil, false
}

// typingField reports whether the last word typed could still become a
// field's name (v, ve, … verdict): the feed waits for its operator rather
// than search for the word. ⏎ takes it as plain text.
func typingField(text string) bool {
	words := strings.Fields(text)
	if len(words) == 0 || strings.TrimRightFunc(text, unicode.IsSpace) != text {
		return false
	}
	last := strings.ToLower(words[len(words)-1])
	if strings.ContainsAny(last, `=~!"`) {
		return false
	}
	for _, f := range filterFields {
		if strings.HasPrefix(f.name, last) {
			return true
		}
	}
	return false
}
