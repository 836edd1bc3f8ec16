package tui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"
)

// KeyMap is every key the TUI answers, with its help text; the footer and
// the full help (?) are built from it.
type KeyMap struct {
	Quit, Help, Back, NextPane, PrevPane            key.Binding
	Calendar, Day, Feed, Contacts                   key.Binding
	Up, Down, Left, Right, Top, Bottom, PgUp, PgDn  key.Binding
	Open, Search, Today, NextPeriod, PrevPeriod     key.Binding
	Month, Week, Agenda, Follow, Raw, Wrap, NextDlv key.Binding
	PrevDlv, Copy, Replay, Edit, Curl, OpenLink     key.Binding
	Away, Export, AllHeaders                        key.Binding
	Command, Details                                key.Binding
	// The inspector's body pane: tabs, find, fold.
	PrevTab, NextTab, Tabs, Find, NextMatch, PrevMatch, Fold key.Binding
	// The contacts pane's own.
	Sort, CopyEmail, OpenBooking key.Binding
	// The demo's keys, offered only in --demo.
	DemoBook, DemoCancel, DemoMove, DemoNoShow, DemoKeys key.Binding
}

// DefaultKeyMap is the keys of TUI.md.
func DefaultKeyMap() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Quit:        b("q", "quit", "q", "ctrl+c"),
		Help:        b("?", "help", "?"),
		Back:        b("esc", "back", "esc"),
		NextPane:    b("tab", "pane", "tab"),
		PrevPane:    b("shift+tab", "prev pane", "shift+tab"),
		Calendar:    b("1", "calendar", "1"),
		Day:         b("2", "day", "2"),
		Feed:        b("3", "feed", "3"),
		Contacts:    b("4", "contacts", "4"),
		Up:          b("k/↑", "up", "k", "up"),
		Down:        b("j/↓", "down", "j", "down"),
		Left:        b("h/←", "prev day", "h", "left"),
		Right:       b("l/→", "next day", "l", "right"),
		Top:         b("g", "first", "g", "home"),
		Bottom:      b("G", "newest/last", "G", "end"),
		PgUp:        b("pgup", "page up", "pgup", "ctrl+u"),
		PgDn:        b("pgdn", "page down", "pgdown", "ctrl+d"),
		Open:        b("⏎", "open", "enter"),
		Search:      b("/", "search", "/"),
		Today:       b("t", "today", "t"),
		NextPeriod:  b("n", "next month/week", "n"),
		PrevPeriod:  b("p", "prev month/week", "p"),
		Month:       b("m", "month", "m"),
		Week:        b("w", "week", "w"),
		Agenda:      b("a", "agenda", "a"),
		Follow:      b("f", "follow", "f"),
		Raw:         b("p", "raw/pretty", "p"),
		Wrap:        b("w", "wrap", "w"),
		NextDlv:     b("J", "next delivery", "J"),
		PrevDlv:     b("K", "prev delivery", "K"),
		Copy:        b("y", "copy body", "y"),
		Replay:      b("r", "replay", "r"),
		Edit:        b("e", "edit", "e"),
		Curl:        b("c", "curl", "c"),
		OpenLink:    b("o", "open link", "o"),
		Away:        b("W", "while you were away", "W"),
		Export:      b("x", "export month (.ics)", "x"),
		Command:     b(":", "command", ":"),
		Details:     b("i", "status details", "i"),
		PrevTab:     b("[", "prev tab", "["),
		NextTab:     b("]", "next tab", "]"),
		Tabs:        b("[ ]", "tab", "[", "]"),
		Find:        b("/", "find", "/"),
		NextMatch:   b("n", "next match", "n"),
		PrevMatch:   b("N", "prev match", "N"),
		Fold:        b("z", "fold", "z"),
		AllHeaders:  b("H", "all headers", "H"),
		Sort:        b("s", "sort (last│bookings│no-shows)", "s"),
		CopyEmail:   b("y", "copy email", "y"),
		OpenBooking: b("o", "open booking", "o"),
		DemoBook:    b("B", "demo: book someone", "B"),
		DemoCancel:  b("C", "demo: cancel", "C"),
		DemoMove:    b("M", "demo: reschedule", "M"),
		DemoNoShow:  b("N", "demo: no-show", "N"),
		DemoKeys:    b("B/C/M/N", "demo", "B", "C", "M", "N"),
	}
}

// helpKeys adapts the key map to bubbles/help for the focused pane.
type helpKeys struct {
	km        KeyMap
	focus     focus
	view      view
	searching bool
	demo      bool // the demo's keys are offered
	fullHelp  bool // the full help is open: its own keys
}

// ShortHelp is the footer's keys in the order shown: the pane's own, then
// on the main screen the demo's, / filter (in the feed), : cmd, ? help and
// q quit, as TUI.md's footer has them. footerKeys picks what fits.
func (h helpKeys) ShortHelp() []key.Binding {
	keys := h.shortHelp()
	if h.searching || h.fullHelp || h.view != viewMain {
		return keys
	}
	k := h.km
	var tail []key.Binding
	if h.demo {
		tail = append(tail, k.DemoKeys)
	}
	if h.focus == focusFeed {
		tail = append(tail, key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")))
	}
	tail = append(tail, key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "cmd")), k.Help, k.Quit)
	return append(keys, tail...)
}

// footerKeys is as much of ShortHelp as fits where render draws it in
// width cells, in ShortHelp's order. What goes first when it does not fit
// is the least important: ? help and q quit always stay; then come the
// pane's first three keys, the demo's, / filter and : cmd, then the
// pane's other keys in their order.
func (h helpKeys) footerKeys(width int, render func([]key.Binding) string) []key.Binding {
	all := h.ShortHelp()
	k := h.km
	rank := func(i int, b key.Binding) int {
		switch b.Help().Key {
		case k.Help.Help().Key, k.Quit.Help().Key:
			return 0
		case k.DemoKeys.Help().Key:
			return 4
		case "/":
			if h.view == viewMain && h.focus == focusFeed {
				return 5
			}
		case ":":
			if h.view == viewMain {
				return 5
			}
		}
		if i < 3 {
			return 1 + i
		}
		return 10 + i
	}
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return rank(a, all[a]) - rank(b, all[b]) })
	keep := make([]bool, len(all))
	pick := func() []key.Binding {
		var out []key.Binding
		for i, b := range all {
			if keep[i] {
				out = append(out, b)
			}
		}
		return out
	}
	for _, i := range order {
		keep[i] = true
		if rank(i, all[i]) > 0 && ansi.StringWidth(render(pick())) > width {
			keep[i] = false
			break
		}
	}
	return pick()
}

func (h helpKeys) shortHelp() []key.Binding {
	k := h.km
	if h.fullHelp {
		return helpScreenKeys()
	}
	if h.searching && h.view == viewInspector {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("⏎", "keep the find")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear it")),
		}
	}
	if h.searching {
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("⏎", "keep the search")),
			key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear it")),
		}
	}
	switch h.view {
	case viewInspector:
		return []key.Binding{k.Back, k.Replay, k.Edit, k.Tabs, k.Find, k.Copy, k.Curl, k.Help, k.Up, k.PrevDlv, k.NextDlv, k.Raw, k.Fold}
	case viewDetail:
		return []key.Binding{k.Back, k.Up, k.Down, k.OpenLink, k.Help, k.Quit}
	case viewDigest:
		return []key.Binding{k.Back, k.Down, k.Up, k.Open, k.Help, k.Quit}
	}
	switch h.focus {
	case focusCalendar:
		return []key.Binding{k.Left, k.Up, k.Today, k.NextPeriod, k.Month, k.Week, k.Agenda, k.NextPane}
	case focusDay:
		return []key.Binding{k.Down, k.Open, k.OpenLink, k.Left, k.NextPane}
	case focusContacts:
		into := key.NewBinding(key.WithKeys("enter", "l", "right"), key.WithHelp("⏎", "activity"))
		back := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear"))
		return []key.Binding{k.Search, k.Sort, into, k.OpenBooking, k.CopyEmail, back}
	}
	return []key.Binding{k.Down, k.Open, k.Replay, k.Edit, k.NextPane, k.OpenLink, k.Bottom, k.Follow}
}

func (h helpKeys) FullHelp() [][]key.Binding {
	k := h.km
	groups := [][]key.Binding{
		{k.NextPane, k.PrevPane, k.Calendar, k.Day, k.Feed, k.Contacts, k.PrevTab, k.NextTab, k.Command, k.Details, k.Help, k.Back, k.Quit},
		{k.Up, k.Down, k.Top, k.Bottom, k.PgUp, k.PgDn, k.Open, k.Search, k.Follow},
		{k.Left, k.Right, k.Today, k.NextPeriod, k.PrevPeriod, k.Month, k.Week, k.Agenda, k.Export, k.Away},
		{k.PrevDlv, k.NextDlv, k.Tabs, k.Raw, k.Wrap, k.Fold, k.AllHeaders, k.Find, k.NextMatch, k.PrevMatch, k.Replay, k.Edit, k.Copy, k.Curl, k.OpenLink},
		{k.Sort, k.CopyEmail, k.OpenBooking},
	}
	if h.demo {
		groups = append(groups, []key.Binding{k.DemoBook, k.DemoCancel, k.DemoMove, k.DemoNoShow})
	}
	return groups
}
