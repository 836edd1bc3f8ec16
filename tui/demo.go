package tui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// DemoActions is an action a demo Backend offers: make something happen in
// the built-in emulator, which then delivers the webhook like Calendly
// would, so a newcomer sees the live path at once. The TUI offers its keys
// only when Connection.Demo is set and the backend implements it.
type DemoActions interface {
	// Demo performs act on booking eventURI ("" or an unfit one: a booking
	// chosen at random) and says what it did in a few words ("booked Ada
	// Lovelace · Tue 1 Dec 10:00").
	Demo(ctx context.Context, act DemoAction, eventURI string) (string, error)
}

// DemoAction is what a demo key asks the emulator to do.
type DemoAction int

// The demo actions.
const (
	DemoBook DemoAction = iota
	DemoCancel
	DemoReschedule
	DemoNoShow
)

func (a DemoAction) String() string {
	switch a {
	case DemoBook:
		return "book"
	case DemoCancel:
		return "cancel"
	case DemoReschedule:
		return "reschedule"
	case DemoNoShow:
		return "no-show"
	}
	return fmt.Sprintf("DemoAction(%d)", int(a))
}

// demoDone is a demo action's outcome.
type demoDone struct {
	act  DemoAction
	said string
	err  error
}

func (m *Model) demoActions() DemoActions {
	if !m.conn.Demo {
		return nil
	}
	d, _ := m.backend.(DemoActions)
	return d
}

// selectedBooking is the booking a demo action acts on: the open detail's,
// else the day pane's selection when it has focus, else none (at random).
func (m *Model) selectedBooking() string {
	switch {
	case m.view == viewDetail:
		return m.detail.uri
	case m.view == viewMain && m.focus == focusDay && m.day.cursor < len(m.day.rows):
		return m.day.rows[m.day.cursor].EventURI
	}
	return ""
}

// demoKey runs the demo action bound to msg; ok is false for other keys
// and outside the demo.
func (m *Model) demoKey(msg tea.KeyPressMsg) (tea.Cmd, bool) {
	d := m.demoActions()
	if d == nil {
		return nil, false
	}
	var act DemoAction
	switch msg.String() {
	case m.km.DemoBook.Keys()[0]:
		act = DemoBook
	case m.km.DemoCancel.Keys()[0]:
		act = DemoCancel
	case m.km.DemoMove.Keys()[0]:
		act = DemoReschedule
	case m.km.DemoNoShow.Keys()[0]:
		act = DemoNoShow
	default:
		return nil, false
	}
	uri := ""
	if act != DemoBook {
		uri = m.selectedBooking()
	}
	m.setFlash(sevInfo, "… demo: "+act.String())
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
		defer cancel()
		said, err := d.Demo(ctx, act, uri)
		return demoDone{act: act, said: said, err: err}
	}, true
}

func (m *Model) onDemoDone(msg demoDone) tea.Cmd {
	if msg.err != nil {
		m.setFlash(sevBad, fmt.Sprintf("✗ demo %s: %s", msg.act, outside(msg.err.Error())))
	} else {
		m.setFlash(sevOK, "✓ demo: "+outside(msg.said))
	}
	return m.expireFlash()
}
