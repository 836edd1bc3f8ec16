package tui

import tea "charm.land/bubbletea/v2"

// switchTab is [ and ] on the main screen: the tabs a pane's title lists.
// The calendar goes month → week → agenda; pane 2 is Day│Contacts, so
// either key flips between the day and the contact list. The feed has no
// tabs.
func (m *Model) switchTab(step int) tea.Cmd {
	switch m.focus {
	case focusCalendar:
		m.cal.mode = calMode((int(m.cal.mode) + step + 3) % 3)
		if m.cal.mode != calMonth {
			return m.loadPeriod()
		}
	case focusDay:
		m.focus = focusContacts
		return m.onFocus()
	case focusContacts:
		m.focus = focusDay
	}
	return nil
}
