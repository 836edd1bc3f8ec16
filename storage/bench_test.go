package storage

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// threeKBDelivery is a signed invitee.created of about 3 KB, as a real
// booking with a few answered questions is.
func threeKBDelivery(b *testing.B, i int) IncomingDelivery {
	id := fmt.Sprintf("bench-%d", i)
	at := testT0.Add(time.Duration(i) * time.Second)
	ev := newEvent(id, at, 1, "guest@example.com")
	inv := newInvitee(ev, id, fmt.Sprintf("person%d@example.com", i%500), "Person Name", at)
	inv.QuestionsAndAnswers = nil
	for q := range 4 {
		inv.QuestionsAndAnswers = append(inv.QuestionsAndAnswers, calendly.QuestionAnswer{
			Question: fmt.Sprintf("Question %d about the meeting?", q), Answer: strings.Repeat("answer text ", 25), Position: q})
	}
	body := inviteeBody(b, calendly.EventInviteeCreated, at, inv, ev)
	if len(body) < 2800 || len(body) > 3400 {
		b.Fatalf("body is %d bytes, want about 3 KB", len(body))
	}
	return signedDelivery(b, body, at)
}

// BenchmarkRecordDelivery: durable, group-committed 3 KB deliveries from
// many concurrent callers, as the listener makes them.
func BenchmarkRecordDelivery(b *testing.B) {
	s := openTestStore(b)
	ds := make([]IncomingDelivery, b.N)
	for i := range ds {
		ds[i] = threeKBDelivery(b, i)
	}
	var next atomic.Int64
	b.SetParallelism(32)
	cpuBefore := processCPU(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d := ds[next.Add(1)-1]
			if _, err := s.RecordDelivery(context.Background(), d); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
	// CPU time per delivery says what one core sustains, whatever else the
	// machine is doing: 1e6 / cpu-µs/delivery deliveries per core-second.
	b.ReportMetric(float64((processCPU(b)-cpuBefore).Microseconds())/float64(b.N), "cpu-µs/delivery")
}
