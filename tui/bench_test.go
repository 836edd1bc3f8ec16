package tui

import (
	"context"
	"testing"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/internal/fixture"
)

// BenchmarkKeyToFrame is one key press to its next frame, in process:
// Update, the reads it issues, and View, cycling through day moves, month
// switches, pane switches and contact moves over a filled store. For
// figures run it over a big store (-benchtime and a bigger fixture); the
// default store is small so CI stays quick.
func BenchmarkKeyToFrame(b *testing.B) {
	s, err := storage.Open(context.Background(), b.TempDir()+"/calwatch.db")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := fixture.Fill(context.Background(), s, midnight(testNow), testNow, 30, 8); err != nil {
		b.Fatal(err)
	}
	m := newTestModel(b, s, Connection{Mode: ModeOffline}, 160, 48)
	cycle := []string{"l", "l", "n", "p", "j", "4", "j", "j", "3", "k", "1", "w", "m"}
	i := 0
	for b.Loop() {
		send(b, m, keyPress(cycle[i%len(cycle)]))
		_ = m.View()
		i++
	}
}
