package wizard

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// styles is the wizard's look, the same palette as the main screen's
// (tui.DefaultStyles). Colour always comes with a glyph: ✓ done, ▸ now,
// ✗ failed, so it reads with NO_COLOR too.
type styles struct {
	Title, Faint, Bold, Focused, Rule, OK, Bad, Accent lipgloss.Style
}

func newStyles(dark bool) styles {
	pick := lipgloss.LightDark(dark)
	c := func(light, darkC string) color.Color { return pick(lipgloss.Color(light), lipgloss.Color(darkC)) }
	return styles{
		Title:   lipgloss.NewStyle().Bold(true),
		Faint:   lipgloss.NewStyle().Faint(true),
		Bold:    lipgloss.NewStyle().Bold(true),
		Focused: lipgloss.NewStyle().Bold(true).Foreground(c("#5A3FC0", "#B8A6FF")),
		Rule:    lipgloss.NewStyle().Foreground(c("#9A9A9A", "#5C5C5C")),
		OK:      lipgloss.NewStyle().Foreground(c("#1A7F37", "#4FD17A")),
		Bad:     lipgloss.NewStyle().Foreground(c("#CF222E", "#FF6B6B")),
		Accent:  lipgloss.NewStyle().Foreground(c("#5A3FC0", "#B8A6FF")),
	}
}
