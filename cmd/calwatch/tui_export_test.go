package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
)

func TestTUIExportWritesTheMonthBesideEarlierExports(t *testing.T) {
	bk := newBookings(t)
	panes, err := storage.OpenPanes(context.Background(), bk.db)
	if err != nil {
		t.Fatal(err)
	}
	defer panes.Close()
	dir := t.TempDir()
	x := &tuiExporter{reader: panes, dir: dir, now: time.Now}
	june := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	path, n, err := x.ExportICS(context.Background(), june, june.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "calwatch-2026-06.ics") || n != 3 {
		t.Errorf("exported %d events to %s, want the 3 of June to calwatch-2026-06.ics", n, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if events := parseICS(t, b); len(events) != 3 {
		t.Errorf("the file holds %d events, want 3", len(events))
	}
	again, n, err := x.ExportICS(context.Background(), june, june.AddDate(0, 0, 10))
	if err != nil || again != filepath.Join(dir, "calwatch-2026-06-2.ics") || n != 1 {
		t.Errorf("second export: %s, %d, %v; want a new file with the one event of 1–10 June", again, n, err)
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Error("the second export changed the first file")
	}
}

func TestTUIExportCSVWritesTheMonthsBookingsAsRows(t *testing.T) {
	bk := newBookings(t)
	panes, err := storage.OpenPanes(context.Background(), bk.db)
	if err != nil {
		t.Fatal(err)
	}
	defer panes.Close()
	dir := t.TempDir()
	x := &tuiExporter{reader: panes, dir: dir, now: time.Now}
	june := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	path, n, err := x.ExportCSV(context.Background(), june, june.AddDate(0, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "calwatch-2026-06.csv") || n != 3 {
		t.Errorf("exported %d events to %s, want the 3 of June to calwatch-2026-06.csv", n, path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || !slices.Equal(rows[0], eventCSVHeader) {
		t.Fatalf("the file holds %d rows, header %q; want the header and 3 events", len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r[2], "2026-06-") {
			t.Errorf("row %q does not start in June", r)
		}
	}
}
