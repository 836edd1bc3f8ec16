package tui

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/fixture"
)

// TestFillForScreenshots fills the database CALWATCH_FILL_DB names with
// the fixture history around today, to look at the TUI as a person does:
//
//	CALWATCH_FILL_DB=/tmp/cw/calwatch.db go test -run FillForScreenshots ./tui
//	go run ./cmd/calwatch --offline --home /tmp/cw
func TestFillForScreenshots(t *testing.T) {
	path := os.Getenv("CALWATCH_FILL_DB")
	if path == "" {
		t.Skip("set CALWATCH_FILL_DB to a database file to fill")
	}
	ctx := context.Background()
	s, err := storage.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	if err := fixture.Fill(ctx, s, midnight(now), now, 21, 4); err != nil {
		t.Fatal(err)
	}
}
