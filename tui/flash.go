package tui

import "time"

// severity colours a flash message; the glyph in its text says it too.
type severity int

const (
	sevInfo severity = iota
	sevOK
	sevBad
)

// flash is a short message in the footer's right side that expires.
type flash struct {
	text  string
	sev   severity
	until time.Time
}

const flashFor = 3 * time.Second

func (m *Model) setFlash(sev severity, text string) {
	m.flashSeq++
	m.flash = flash{text: text, sev: sev, until: m.now().Add(flashFor)}
}
