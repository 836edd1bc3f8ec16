package storage

import (
	"context"
	"os"
	"testing"
)

func BenchmarkExp(b *testing.B) {
	s := openTestStore(b)
	if p := os.Getenv("EXP_PRAGMA"); p != "" {
		if _, err := s.conn.ExecContext(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
	ds := make([]IncomingDelivery, b.N)
	for i := range ds {
		ds[i] = threeKBDelivery(b, i)
	}
	c0 := processCPU(b)
	b.ResetTimer()
	for i := 0; i < b.N; i += 64 {
		recordAll(b, s, ds[i:min(i+64, b.N)])
	}
	b.ReportMetric(float64((processCPU(b)-c0).Microseconds())/float64(b.N), "cpu-µs/delivery")
}
