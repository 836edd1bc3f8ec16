package tui

import (
	"strings"
	"testing"
)

func TestBracketsSwitchTheFocusedPanesTabs(t *testing.T) {
	m := cmdModel(t, 120, 36)
	keys(t, m, "2")
	if !strings.Contains(screen(m), "[Day]│Contacts") {
		t.Errorf("the day pane's title does not mark its tab as [Day]│Contacts:\n%s", screen(m))
	}
	keys(t, m, "]")
	if m.focus != focusContacts || !strings.Contains(screen(m), "[4] Contacts") {
		t.Fatalf("] in pane 2: focus %d, want the contacts shown:\n%s", m.focus, screen(m))
	}
	keys(t, m, "[")
	if m.focus != focusDay || !strings.Contains(screen(m), "[2] Thu 18 Jun") {
		t.Fatalf("[ in contacts: focus %d, want the day back:\n%s", m.focus, screen(m))
	}
	keys(t, m, "1")
	for _, step := range []struct {
		key, want string
		mode      calMode
	}{
		{"]", "month│[week]│agenda", calWeek},
		{"]", "month│week│[agenda]", calAgenda},
		{"]", "[month]│week│agenda", calMonth},
		{"[", "month│week│[agenda]", calAgenda},
	} {
		keys(t, m, step.key)
		if m.cal.mode != step.mode || !strings.Contains(screen(m), step.want) {
			t.Errorf("%s: mode %d, want %q in the title:\n%s", step.key, m.cal.mode, step.want, screen(m))
		}
	}
	// The feed has no tabs: ] leaves everything where it is.
	keys(t, m, "3", "]")
	if m.focus != focusFeed || m.cal.mode != calAgenda {
		t.Errorf("] in the feed moved focus to %d, calendar to %d", m.focus, m.cal.mode)
	}
}

func TestBracketsInTheInspectorStayThere(t *testing.T) {
	m := cmdModel(t, 120, 36)
	keys(t, m, "3", "enter")
	if m.view != viewInspector {
		t.Fatal("⏎ in the feed did not open the inspector")
	}
	keys(t, m, "]", "[", ":", "i")
	if m.view != viewInspector || m.focus != focusFeed || m.cal.mode != calMonth || m.cmd.kind != 0 || m.details {
		t.Errorf("main-screen keys reached the main screen from the inspector: view %d focus %d mode %d cmd %q details %v",
			m.view, m.focus, m.cal.mode, m.cmd.kind, m.details)
	}
}
