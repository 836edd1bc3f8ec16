package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// TestFooterKeepsHelpAndQuitInEveryPaneOfTheDemo: at 80 and 120 columns
// every pane's footer ends with ? help and q quit, fits the line, and
// offers : cmd (and / filter in the feed) where TUI.md's footer does.
func TestFooterKeepsHelpAndQuitInEveryPaneOfTheDemo(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 36}} {
		m, _ := demoModel(t, true)
		send(t, m, tea.WindowSizeMsg{Width: size.w, Height: size.h})
		for _, pane := range []struct {
			key  string
			want []string
		}{
			{"1", []string{"B/C/M/N demo"}},
			{"2", []string{"B/C/M/N demo", ": cmd"}},
			{"3", []string{"r replay", "B/C/M/N demo", "/ filter"}},
			{"4", []string{"/ search"}},
		} {
			keys(t, m, pane.key)
			got := footerOf(m)
			if !strings.HasSuffix(strings.TrimRight(got, " "), "? help • q quit") {
				t.Errorf("%d cols, pane %s: footer %q does not end with ? help and q quit", size.w, pane.key, got)
			}
			if w := ansi.StringWidth(got); w > size.w || strings.Contains(got, "…") {
				t.Errorf("%d cols, pane %s: footer %q is %d cells or cut", size.w, pane.key, got, w)
			}
			for _, s := range pane.want {
				if !strings.Contains(got, s) {
					t.Errorf("%d cols, pane %s: footer %q lacks %q", size.w, pane.key, got, s)
				}
			}
			if size.w >= 120 && !strings.Contains(got, ": cmd") {
				t.Errorf("120 cols, pane %s: footer %q lacks : cmd", pane.key, got)
			}
		}
	}
}

// TestFooterDropsTheLeastImportantFirst: as the line narrows, the pane's
// trailing keys go before / filter and : cmd, and those before the pane's
// first keys; ? help and q quit stay.
func TestFooterDropsTheLeastImportantFirst(t *testing.T) {
	m, _ := demoModel(t, false)
	keys(t, m, "3")
	hk := helpKeys{km: m.km, focus: focusFeed, view: viewMain}
	measure := m.help
	measure.SetWidth(0)
	names := func(width int) string {
		var out []string
		for _, b := range hk.footerKeys(width, measure.ShortHelpView) {
			out = append(out, b.Help().Key)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		width int
		want  string
	}{
		{200, "j/↓ ⏎ r e tab o G f / : ? q"},
		{75, "j/↓ ⏎ r e / : ? q"},
		{65, "j/↓ ⏎ r / : ? q"},
		{64, "j/↓ ⏎ r / ? q"},
		{46, "j/↓ ⏎ r ? q"},
		{45, "j/↓ ⏎ ? q"},
		{10, "? q"},
	} {
		if got := names(tc.width); got != tc.want {
			t.Errorf("footer keys in %d cells = %q, want %q", tc.width, got, tc.want)
		}
	}
}
