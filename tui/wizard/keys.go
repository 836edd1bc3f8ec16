package wizard

import (
	"charm.land/bubbles/v2/key"
)

// keyMap is every key the wizard knows; applyKeys turns on the ones the
// current step uses, so the footer shows only those.
type keyMap struct {
	Up, Down, Toggle, Scope, Next, Field, Back, Help, Quit key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "choose")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↑/↓", "choose")),
		Toggle: key.NewBinding(key.WithKeys("space", "x"), key.WithHelp("space", "toggle")),
		Scope:  key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "user/organization")),
		Next:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("⏎", "next")),
		Field:  key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "next field")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:   key.NewBinding(key.WithKeys("ctrl+c", "q"), key.WithHelp("q", "quit")),
	}
}

// ShortHelp is the footer.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Toggle, k.Scope, k.Field, k.Next, k.Back, k.Help, k.Quit}
}

// FullHelp is the ? overlay.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Toggle, k.Scope}, {k.Field, k.Next, k.Back}, {k.Help, k.Quit}}
}

// applyKeys turns the bindings on and off for the step: while a text input
// has focus, q is a letter (ctrl+c still quits).
func (m *Model) applyKeys() {
	k := &m.keys
	typing := m.focusedInput() != nil
	list := m.busy == "" && (m.step == stepMethod || m.step == stepTunnel || m.step == stepEvents)
	k.Up.SetEnabled(list)
	k.Down.SetEnabled(list)
	k.Toggle.SetEnabled(m.busy == "" && m.step == stepEvents)
	k.Scope.SetEnabled(m.busy == "" && m.step == stepEvents)
	k.Field.SetEnabled(m.busy == "" && m.step == stepOAuthApp)
	k.Next.SetEnabled(m.busy == "" && m.step != stepOAuthWait && m.step != stepDone)
	k.Back.SetEnabled(m.busy != "" || len(m.history) > 0)
	k.Help.SetEnabled(!typing)
	if typing {
		k.Quit.SetKeys("ctrl+c")
		k.Quit.SetHelp("ctrl+c", "quit")
	} else {
		k.Quit.SetKeys("ctrl+c", "q")
		k.Quit.SetHelp("q", "quit")
	}
}
