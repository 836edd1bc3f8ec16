package tui

import (
	"io"
	"log/slog"
	"os"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/cli/browser"
)

// focus is the pane keys go to.
type focus int

const (
	focusCalendar focus = iota
	focusDay
	focusFeed
	focusContacts
	focusCount
)

// view is what fills the screen under the status bar.
type view int

const (
	viewMain view = iota
	viewInspector
	viewDetail
	viewDigest // what changed while calwatch was away
)

// Options tune a Model. Zero fields take defaults.
type Options struct {
	Location *time.Location   // the viewer's zone (default time.Local)
	Now      func() time.Time // the clock (default time.Now)
	Dark     bool             // the terminal's background is dark
	Logger   *slog.Logger     // where the TUI logs (default: nowhere)
	NoTicks  bool             // no clock ticks: tests drive time themselves
	// Editor is the command e runs on a file (default $VISUAL, $EDITOR, vi).
	Editor []string
	// OpenURL opens a link in the browser (default github.com/cli/browser,
	// its output discarded: the terminal belongs to the TUI).
	OpenURL func(string) error
	// Bell rings the terminal's bell when a booking arrives.
	Bell bool
	// Notify sends a desktop notification when a booking arrives while the
	// terminal is not focused (nil: none).
	Notify func(title, body string) error
}

// Model is the root model: it owns the loop, routes keys (the search input
// first, then global keys, then the focused pane) and issues every read.
type Model struct {
	backend Backend
	reader  Reader
	conn    Connection
	loc     *time.Location
	now     func() time.Time
	log     *slog.Logger
	ticks   bool
	editor  []string
	openURL func(string) error
	bell    bool
	notify  func(title, body string) error
	// termFocused is false after the terminal reported losing focus.
	termFocused bool
	fresh       *freshSet

	st   Styles
	km   KeyMap
	help help.Model

	width, height int
	lay           layout
	focus         focus
	view          view
	fullHelp      bool
	helpTop       int // the full help's first line shown, when it scrolls

	cal      calendarPane
	day      dayPane
	contacts contactsPane
	feed     feedPane
	insp     inspector
	detail   detailPane
	cmd      commandLine // the footer's : and / input (command.go)
	details  bool        // i: the status details show (statusdetails.go)
	sub      Subscription

	flash    flash
	flashSeq int // numbers flashes, so an old expiry leaves a newer one
	// flashTimers arms a timer per flash that clears it; tests that read
	// the footer after driving every Cmd turn it off.
	flashTimers bool
	// refreshing is true while a refresh's feed read is in flight; store
	// events meanwhile only set dirty, so a burst of deliveries costs one
	// more refresh, not one each.
	refreshing, dirty bool
	away              awayDigest
	tunnel            TunnelState
	backfill          BackfillProgress
	loads             loadSeq
	forwards          recentForwards
}

// New returns the root model over backend.
func New(backend Backend, opts Options) *Model {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if len(opts.Editor) == 0 {
		opts.Editor = editorCommand(os.Getenv)
	}
	if opts.OpenURL == nil {
		opts.OpenURL = openInBrowser
	}
	m := &Model{
		backend: backend, reader: backend.Reader(), conn: backend.Connection(),
		loc: opts.Location, now: opts.Now, log: opts.Logger, ticks: !opts.NoTicks,
		editor: opts.Editor, openURL: opts.OpenURL, flashTimers: true,
		bell: opts.Bell, notify: opts.Notify, termFocused: true, fresh: newFreshSet(opts.Now),
		st: DefaultStyles(opts.Dark), km: DefaultKeyMap(), help: help.New(),
		focus: focusCalendar,
	}
	m.help.Styles = help.DefaultStyles(opts.Dark)
	today := m.today()
	m.cal = newCalendar(today)
	m.contacts = newContacts()
	m.feed = newFeed()
	m.cmd = newCommandLine()
	m.cal.fresh, m.day.fresh, m.contacts.fresh, m.feed.fresh = m.fresh, m.fresh, m.fresh, m.fresh
	return m
}

// today is midnight of the current day in the viewer's zone.
func (m *Model) today() time.Time { return midnight(m.now().In(m.loc)) }

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

// Init loads every pane's first data and starts listening to the backend.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.loadMonth(), m.loadDay(), m.loadPeriod(), m.loadContacts(false), m.loadFeedHistory(),
		waitForEvent(m.backend.Events()), tea.RequestBackgroundColor}
	if m.ticks {
		cmds = append(cmds, tick())
	}
	return tea.Batch(cmds...)
}

// tickMsg moves relative times ("in 25m", "last 4s ago") and the clock.
type tickMsg time.Time

func tick() tea.Cmd {
	return tea.Every(time.Second, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// eventMsg carries one backend event into Update.
type eventMsg struct{ ev Event }

// streamEndedMsg says the backend's event stream closed.
type streamEndedMsg struct{}

// waitForEvent reads one event; Update issues it again after each, so the
// stream is consumed one message at a time and the TUI needs no
// Program.Send.
func waitForEvent(ch <-chan Event) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return streamEndedMsg{}
		}
		return eventMsg{ev}
	}
}

// Update is the one place state changes.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		if m.lay.single && m.focus == focusCalendar && m.view == viewMain && !m.lay.wide {
			// Below 80 columns one pane shows at a time, the feed first.
			m.focus = focusFeed
		}
		m.help.SetWidth(m.width)
		return m, nil
	case tea.BackgroundColorMsg:
		m.st = DefaultStyles(msg.IsDark())
		m.help.Styles = help.DefaultStyles(msg.IsDark())
		return m, nil
	case tickMsg:
		cmds := []tea.Cmd{tick()}
		if today := m.today(); !today.Equal(m.cal.today) {
			m.cal.today = today
			cmds = append(cmds, m.loadMonth(), m.loadDay(), m.loadPeriod())
		}
		return m, tea.Batch(cmds...)
	case eventMsg:
		return m, tea.Batch(m.onEvent(msg.ev), waitForEvent(m.backend.Events()))
	case streamEndedMsg:
		return m, nil
	case tea.FocusMsg:
		m.termFocused = true
		return m, nil
	case tea.BlurMsg:
		m.termFocused = false
		return m, nil
	case freshBooking:
		return m, m.onFreshBooking(msg)
	case freshExpired:
		return m, nil
	case digestLoaded:
		m.onDigestLoaded(msg)
		return m, nil
	case digestRowsLoaded:
		if msg.err != nil {
			m.setFlash(sevBad, "✗ "+msg.err.Error())
			return m, m.expireFlash()
		}
		m.away.rows = msg.rows
		return m, nil
	case tea.KeyPressMsg:
		return m, m.onKey(msg)
	case tea.MouseWheelMsg:
		return m, m.onWheel(msg)
	}
	if cmd, ok := m.onLoaded(msg); ok {
		return m, cmd
	}
	if cmd, ok := m.onAction(msg); ok {
		return m, cmd
	}
	return m, nil
}

// onEvent reacts to a backend event: anything stored means re-read.
func (m *Model) onEvent(ev Event) tea.Cmd {
	switch ev := ev.(type) {
	case StoreChanged:
		return m.refreshAll()
	case DeliveryCommitted:
		m.feed.noteAnswer(ev.Record)
		if newBooking(ev.Record) {
			return tea.Batch(m.refreshAll(), m.onNewBooking(ev.Record))
		}
		return m.refreshAll()
	case TunnelState:
		m.tunnel = ev
		m.relayout()
	case Subscription:
		m.sub = ev
		m.relayout()
	case BackfillProgress:
		m.backfill = ev
		if ev.Total > 0 && ev.Done >= ev.Total {
			return m.refreshAll()
		}
	case CaughtUp:
		return m.onCaughtUp(ev)
	case Forwarded:
		return m.onForwarded(ev)
	case BackendError:
		m.log.Error("backend", "err", ev.Err)
		m.setFlash(sevBad, "✗ "+ev.Err.Error())
	}
	return nil
}

// refreshAll re-reads what the panes show after the store changed, or
// notes that it must once the refresh in flight is done.
func (m *Model) refreshAll() tea.Cmd {
	if m.refreshing {
		m.dirty = true
		return nil
	}
	m.refreshing, m.dirty = true, false
	cmds := []tea.Cmd{m.loadFeedAfter(), m.loadMonth(), m.loadDay(), m.loadPeriod(), m.loadContacts(true)}
	if m.contacts.selectedEmail() != "" {
		cmds = append(cmds, m.loadActivity())
	}
	if m.view == viewDetail && m.detail.uri != "" {
		cmds = append(cmds, m.loadEvent(m.detail.uri))
	}
	return tea.Batch(cmds...)
}

func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	km := m.km
	if m.contacts.searching {
		return m.contactsSearchKey(msg)
	}
	if m.cmd.kind != 0 {
		return m.commandKey(msg)
	}
	if m.view == viewInspector && m.insp.find.editing {
		return m.findKey(msg)
	}
	if key.Matches(msg, km.Quit) {
		if msg.String() == "q" && (m.fullHelp || m.view != viewMain) {
			m.fullHelp, m.helpTop, m.view = false, 0, viewMain
			return nil
		}
		return tea.Quit
	}
	if m.fullHelp {
		m.helpKey(msg)
		return nil
	}
	if key.Matches(msg, km.Help) {
		m.fullHelp = true
		return nil
	}
	if m.view != viewInspector {
		if cmd, ok := m.demoKey(msg); ok {
			return cmd
		}
	}
	if m.view != viewMain && key.Matches(msg, km.Calendar, km.Day, km.Feed, km.Contacts) {
		m.view = viewMain // 1–4 jump to their pane from any screen
	}
	switch m.view {
	case viewInspector:
		return m.inspectorKey(msg)
	case viewDetail:
		return m.detailKey(msg)
	case viewDigest:
		return m.digestKey(msg)
	}
	if key.Matches(msg, km.Away) && m.away.counts.Total() > 0 {
		return m.openDigest()
	}
	if key.Matches(msg, km.Export) && m.view == viewMain {
		return m.exportMonth()
	}
	if cmd, ok := m.mainKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, km.NextPane):
		m.focus = (m.focus + 1) % focusCount
		return m.onFocus()
	case key.Matches(msg, km.PrevPane):
		m.focus = (m.focus + focusCount - 1) % focusCount
		return m.onFocus()
	case key.Matches(msg, km.Calendar):
		m.focus = focusCalendar
	case key.Matches(msg, km.Day):
		m.focus = focusDay
	case key.Matches(msg, km.Feed):
		m.focus = focusFeed
	case key.Matches(msg, km.Contacts):
		m.focus = focusContacts
		return m.onFocus()
	default:
		switch m.focus {
		case focusCalendar:
			return m.calendarKey(msg)
		case focusDay:
			return m.dayKey(msg)
		case focusFeed:
			return m.feedKey(msg)
		case focusContacts:
			return m.contactsKey(msg)
		}
	}
	return nil
}

// onFocus loads what a newly focused pane needs.
func (m *Model) onFocus() tea.Cmd {
	if m.focus == focusContacts && m.contacts.selectedEmail() != "" && m.contacts.activityFor != m.contacts.selectedEmail() {
		return m.loadActivity()
	}
	return nil
}

func (m *Model) onWheel(msg tea.MouseWheelMsg) tea.Cmd {
	if m.cmd.kind != 0 || m.contacts.searching {
		return nil // the wheel is not typing
	}
	down := msg.Mouse().Button == tea.MouseWheelDown
	k := m.km.Up
	if down {
		k = m.km.Down
	}
	return m.onKey(tea.KeyPressMsg{Code: []rune(k.Keys()[0])[0], Text: k.Keys()[0]})
}

// openInBrowser opens url with the system's browser, its chatter
// discarded.
func openInBrowser(url string) error {
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(url)
}
