package tui

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles is every style the panes use, built once. Colour always comes with
// a glyph or text, so the screen still reads where colour is off (NO_COLOR:
// Bubble Tea downsamples the output to the terminal's profile).
type Styles struct {
	Title, Faint, Bold, Selected, Focused, Border, FocusBorder lipgloss.Style
	OK, Redirect, Warn, Bad, Today, Accent, Badge              lipgloss.Style
	Fresh                                                      lipgloss.Style // a new booking, for a few seconds
}

// DefaultStyles is calwatch's theme for a dark or light background.
func DefaultStyles(dark bool) Styles {
	pick := lipgloss.LightDark(dark)
	c := func(light, darkC string) color.Color { return pick(lipgloss.Color(light), lipgloss.Color(darkC)) }
	return Styles{
		Title:       lipgloss.NewStyle().Bold(true),
		Faint:       lipgloss.NewStyle().Faint(true),
		Bold:        lipgloss.NewStyle().Bold(true),
		Selected:    lipgloss.NewStyle().Reverse(true),
		Focused:     lipgloss.NewStyle().Bold(true).Foreground(c("#5A3FC0", "#B8A6FF")),
		Border:      lipgloss.NewStyle().Foreground(c("#9A9A9A", "#5C5C5C")),
		FocusBorder: lipgloss.NewStyle().Foreground(c("#5A3FC0", "#9D86FF")),
		OK:          lipgloss.NewStyle().Foreground(c("#1A7F37", "#4FD17A")),
		Redirect:    lipgloss.NewStyle().Foreground(c("#0969DA", "#58A6FF")),
		Warn:        lipgloss.NewStyle().Foreground(c("#9A6700", "#E3B341")),
		Bad:         lipgloss.NewStyle().Foreground(c("#CF222E", "#FF6B6B")),
		Today:       lipgloss.NewStyle().Bold(true).Underline(true),
		Accent:      lipgloss.NewStyle().Foreground(c("#5A3FC0", "#B8A6FF")),
		Badge:       lipgloss.NewStyle().Bold(true).Reverse(true),
		Fresh:       lipgloss.NewStyle().Bold(true).Foreground(c("#1A7F37", "#4FD17A")),
	}
}

// code styles an HTTP answer code by class: 2xx green, 3xx blue, 4xx amber,
// 5xx red.
func (s Styles) code(n int) lipgloss.Style {
	switch {
	case n >= 500:
		return s.Bad
	case n >= 400:
		return s.Warn
	case n >= 300:
		return s.Redirect
	}
	return s.OK
}
