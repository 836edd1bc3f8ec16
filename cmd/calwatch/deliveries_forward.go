package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
)

// forwardJSON is what deliveries list --json says of a delivery that listen
// --forward-to sent on to the app (null when it was not).
type forwardJSON struct {
	URL             string    `json:"url"`
	At              time.Time `json:"at"`
	Status          int       `json:"status"` // 0: no answer (see error)
	LatencyMS       float64   `json:"latency_ms"`
	Answer          string    `json:"answer"` // at most 4 KiB of the app's body
	AnswerTruncated bool      `json:"answer_truncated"`
	Error           string    `json:"error"`
}

func newForwardJSON(r storage.ForwardResult, ok bool) *forwardJSON {
	if !ok {
		return nil
	}
	return &forwardJSON{URL: r.URL, At: r.At, Status: r.Status, LatencyMS: float64(r.Latency.Microseconds()) / 1000,
		Answer: strings.ToValidUTF8(string(r.Answer), "\uFFFD"), AnswerTruncated: r.AnswerTruncated, Error: r.Error}
}

func deliveryIDs(recs []storage.DeliveryRecord) []int64 {
	ids := make([]int64, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	return ids
}

// forwardCell is the FORWARD column: the app's status and latency, or why
// it gave none; "-" for a delivery not forwarded.
func forwardCell(r storage.ForwardResult, ok bool) string {
	switch {
	case !ok:
		return "-"
	case r.Status == 0:
		return cell("no answer: " + safetext.Line(r.Error))
	}
	return fmt.Sprintf("%d in %s", r.Status, roundLatency(r.Latency))
}
