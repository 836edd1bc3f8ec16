package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// liveAnswer is what the listener answered one delivery, and how fast.
type liveAnswer struct {
	status  int
	latency time.Duration
}

// noteAnswer keeps what the listener reported for a stored delivery.
func (f *feedPane) noteAnswer(r storage.DeliveryRecord) {
	if r.ID == 0 || r.AnswerStatus == 0 {
		return
	}
	if f.live == nil || len(f.live) >= feedRing {
		f.live = map[int64]liveAnswer{} // older ones are in the store by now
	}
	f.live[r.ID] = liveAnswer{status: r.AnswerStatus, latency: r.Latency()}
}

// answered is the status and latency to show for r: the stored ones, else
// what the listener reported; a row stored before calwatch kept its
// status gets the one its outcome implies (answerCode), and latency 0.
func (f *feedPane) answered(r storage.DeliveryRecord) (status int, latency time.Duration) {
	status, latency = r.AnswerStatus, r.Latency()
	if a, ok := f.live[r.ID]; ok {
		if latency == 0 {
			latency = a.latency
		}
		if status == 0 {
			status = a.status
		}
	}
	if status == 0 {
		status = answerCode(r)
	}
	return status, latency
}

func newFeed() feedPane { return feedPane{follow: true} }

// answerCode is what calwatch answered the sender: the stored status, or
// for a row stored before calwatch kept it, the one its outcome implies
// (the listener's order of checks, 413 size, 401 signature, 400 shape,
// 5xx storage, maps each refusal reason to its code).
func answerCode(r storage.DeliveryRecord) int {
	if r.AnswerStatus != 0 {
		return r.AnswerStatus
	}
	switch r.Outcome {
	case storage.OutcomeApplied, storage.OutcomeDuplicate:
		return 200
	case storage.OutcomeFailed:
		return 500
	}
	switch reason := strings.ToLower(r.Reason); {
	case strings.Contains(reason, "larger than"):
		return 413
	case strings.Contains(reason, "signature"):
		return 401
	}
	return 400
}

// latencyShort is a latency in six cells at most: "39ms", "<1ms",
// "1.2s", "75s"; "—" when it is not known.
func latencyShort(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Millisecond:
		return "<1ms"
	case d < 10*time.Second:
		if d < time.Second {
			return fmt.Sprintf("%dms", d.Round(time.Millisecond).Milliseconds())
		}
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < 100000*time.Second:
		return fmt.Sprintf("%.0fs", d.Seconds())
	}
	return "long"
}
