package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/calwatch/calwatch/storage"
)

// CaughtUp says the catch-up on start finished. Since is when calwatch
// last heard from Calendly before this run (zero: it never ran here); the
// TUI then says what changed in between, once.
type CaughtUp struct{ Since time.Time }

func (CaughtUp) isEvent() {}

// DigestReader is what the while-you-were-away line reads; *storage.Panes
// implements it. A Reader without it shows no digest.
type DigestReader interface {
	Digest(ctx context.Context, since, until time.Time) (storage.Digest, error)
	DigestRows(ctx context.Context, since, until time.Time) ([]storage.DigestRow, error)
}

// awayDigest is what changed while calwatch was not running: a line in the
// footer until W opens the list.
type awayDigest struct {
	since, until time.Time
	counts       storage.Digest
	asked        bool // a CaughtUp was handled: one digest a run
	pending      bool // the line shows
	rows         []storage.DigestRow
	cursor       int
	start        int
}

type (
	digestLoaded struct {
		since, until time.Time
		counts       storage.Digest
		err          error
	}
	digestRowsLoaded struct {
		rows []storage.DigestRow
		err  error
	}
)

// onCaughtUp reads the digest once, after the first catch-up.
func (m *Model) onCaughtUp(ev CaughtUp) tea.Cmd {
	dr, ok := m.reader.(DigestReader)
	if !ok || m.away.asked || ev.Since.IsZero() {
		return nil
	}
	m.away.asked = true
	since, until := ev.Since, m.now()
	return read(func(ctx context.Context) tea.Msg {
		d, err := dr.Digest(ctx, since, until)
		return digestLoaded{since: since, until: until, counts: d, err: err}
	})
}

func (m *Model) onDigestLoaded(msg digestLoaded) {
	if msg.err != nil {
		m.log.Error("digest", "err", msg.err)
		return
	}
	if msg.counts.Total() == 0 {
		return
	}
	m.away.since, m.away.until, m.away.counts, m.away.pending = msg.since, msg.until, msg.counts, true
}

// line is "while you were away: 3 booked, 1 canceled, 1 no-show".
func (a *awayDigest) line() string {
	var parts []string
	add := func(n int, what string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, what))
		}
	}
	add(a.counts.Booked, "booked")
	add(a.counts.Canceled, "canceled")
	add(a.counts.Rescheduled, "rescheduled")
	add(a.counts.NoShows, "no-show")
	return "while you were away: " + strings.Join(parts, ", ")
}

// openDigest shows the list behind the line.
func (m *Model) openDigest() tea.Cmd {
	dr, ok := m.reader.(DigestReader)
	if !ok || m.away.counts.Total() == 0 {
		return nil
	}
	m.view, m.away.pending, m.away.cursor, m.away.start = viewDigest, false, 0, 0
	since, until := m.away.since, m.away.until
	return read(func(ctx context.Context) tea.Msg {
		rows, err := dr.DigestRows(ctx, since, until)
		return digestRowsLoaded{rows: rows, err: err}
	})
}

func (m *Model) digestKey(msg tea.KeyPressMsg) tea.Cmd {
	km, a := m.km, &m.away
	switch {
	case key.Matches(msg, km.Back):
		m.view = viewMain
	case key.Matches(msg, km.Down):
		a.cursor = min(a.cursor+1, len(a.rows)-1)
	case key.Matches(msg, km.Up):
		a.cursor = max(a.cursor-1, 0)
	case key.Matches(msg, km.Top):
		a.cursor = 0
	case key.Matches(msg, km.Bottom):
		a.cursor = len(a.rows) - 1
	case key.Matches(msg, km.Open):
		if a.cursor >= 0 && a.cursor < len(a.rows) {
			return m.openEvent(a.rows[a.cursor].EventURI)
		}
	}
	a.cursor = max(0, a.cursor)
	return nil
}

// digestKind is the KIND column, glyph first.
func digestKind(kind string) string {
	switch kind {
	case storage.KindBooked:
		return "● booked"
	case storage.KindCanceled:
		return "✗ canceled"
	case storage.KindRescheduled:
		return "⇄ moved"
	case storage.KindNoShow:
		return "⊘ no-show"
	}
	return kind
}

// render draws the list of what changed while calwatch was away.
func (a *awayDigest) render(st Styles, loc *time.Location, w, h int) string {
	title := "While you were away"
	right := fmt.Sprintf("since %s · ⏎ open · esc back", a.since.In(loc).Format("Mon 2 Jan 15:04"))
	inner, rowsH := w-2, h-3
	lines := []string{st.Faint.Render(fit(" "+a.line(), inner))}
	whoW := max(8, min(30, (inner-30)/2))
	for i := a.start; i < len(a.rows); i++ {
		if i-a.start >= rowsH {
			break
		}
		r := a.rows[i]
		when := "—"
		if r.At != nil {
			when = r.At.In(loc).Format("Mon 2 Jan 15:04")
		}
		who := orDefault(outside(r.Name), outside(r.Email))
		booking := outside(r.EventName)
		if !r.EventStart.IsZero() {
			booking += " · " + r.EventStart.In(loc).Format("Mon 2 Jan 15:04")
		}
		row := fmt.Sprintf("  %s  %s %s %s", fit(when, 15), fit(digestKind(r.Kind), 10), fit(who, whoW), booking)
		lines = append(lines, markRow(st, fit(row, inner), i == a.cursor, true, false))
	}
	if len(a.rows) == 0 {
		lines = append(lines, "", st.Faint.Render(" loading…"))
	}
	return box(st, true, title, right, lines, w, h)
}
