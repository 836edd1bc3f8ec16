package calendly_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// BenchmarkParseDelivery decodes the bodies the listener sees: the
// realistic mix the load generator sends, and Calendly's captured
// webhook payloads (skipped when ../shared is not there).
func BenchmarkParseDelivery(b *testing.B) {
	var realistic [][]byte
	for _, d := range loadgen.Realistic("bench", 256) {
		realistic = append(realistic, d.Body)
	}
	b.Run("bodies=realistic", func(b *testing.B) { benchmarkParse(b, realistic) })
	b.Run("bodies=captured", func(b *testing.B) {
		paths, _ := filepath.Glob("../../shared/reference/calendly/payloads/*webhook_*.json")
		var captured [][]byte
		for _, p := range paths {
			body, err := os.ReadFile(p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := calendly.ParseDelivery(body); err == nil { // a sample without its event is not one
				captured = append(captured, body)
			}
		}
		if len(captured) == 0 {
			b.Skip("no captured payloads in ../../shared/reference/calendly/payloads")
		}
		benchmarkParse(b, captured)
	})
}

func benchmarkParse(b *testing.B, bodies [][]byte) {
	b.ReportAllocs()
	size := 0
	for _, body := range bodies {
		size += len(body)
	}
	b.SetBytes(int64(size / len(bodies)))
	i := 0
	for b.Loop() {
		if _, err := calendly.ParseDelivery(bodies[i%len(bodies)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
