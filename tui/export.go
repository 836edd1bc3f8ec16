package tui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Exporter is an action a Backend may offer: write the bookings that start
// in [from, to) as an iCalendar file in the current folder (the x key).
type Exporter interface {
	ExportICS(ctx context.Context, from, to time.Time) (path string, events int, err error)
}

// exportTimeout bounds an export of one month.
const exportTimeout = 30 * time.Second

type exportDone struct {
	month  time.Time
	path   string
	events int
	err    error
}

// CSVExporter is the CSV twin of Exporter (:export csv): one row per
// booking that starts in [from, to), in a file in the current folder.
type CSVExporter interface {
	ExportCSV(ctx context.Context, from, to time.Time) (path string, events int, err error)
}

// exportMonth exports the month the calendar shows (x, :export ics).
func (m *Model) exportMonth() tea.Cmd {
	x, ok := m.backend.(Exporter)
	if !ok {
		m.setFlash(sevBad, "✗ export is not available here; use calwatch export ics")
		return m.expireFlash()
	}
	return m.exportWith(x.ExportICS)
}

// exportMonthCSV is :export csv.
func (m *Model) exportMonthCSV() tea.Cmd {
	x, ok := m.backend.(CSVExporter)
	if !ok {
		m.setFlash(sevBad, "✗ export is not available here; use calwatch export csv")
		return m.expireFlash()
	}
	return m.exportWith(x.ExportCSV)
}

func (m *Model) exportWith(export func(ctx context.Context, from, to time.Time) (string, int, error)) tea.Cmd {
	first := firstOfMonth(m.cal.selected)
	m.setFlash(sevInfo, "… exporting "+first.Format("January 2006"))
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		path, n, err := export(ctx, first, first.AddDate(0, 1, 0))
		return exportDone{month: first, path: path, events: n, err: err}
	}
}

func (m *Model) onExportDone(msg exportDone) tea.Cmd {
	if msg.err != nil {
		m.setFlash(sevBad, "✗ export failed: "+outside(msg.err.Error()))
	} else {
		m.setFlash(sevOK, fmt.Sprintf("✓ %s: %d events → %s", msg.month.Format("Jan 2006"), msg.events, outside(msg.path)))
	}
	return m.expireFlash()
}
