package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// TestDeliveriesListShowsAnswerAndLatency: the table's ST and MS columns
// show what calwatch answered and how fast, "-" where it is not known (a
// row stored without them); --json has answer_status and latency_us.
func TestDeliveriesListShowsAnswerAndLatency(t *testing.T) {
	bk := newBookings(t)
	store, err := storage.Open(context.Background(), bk.db)
	if err != nil {
		t.Fatal(err)
	}
	store.RecordAnswer(1, 200, 39*time.Millisecond+400*time.Microsecond)
	if err := store.Close(); err != nil { // writes the answer
		t.Fatal(err)
	}
	table := bk.cli(t, "deliveries", "list").wantExit(t, exitOK).stdout
	lines := strings.Split(strings.TrimSpace(table), "\n")
	head := strings.Fields(lines[0])
	if len(head) < 6 || head[4] != "ST" || head[5] != "MS" {
		t.Fatalf("the table's header is %q; want ST and MS after OUTCOME", lines[0])
	}
	first := strings.Fields(lines[len(lines)-1]) // oldest last: id 1
	second := strings.Fields(lines[len(lines)-2])
	if first[0] != "1" || !strings.Contains(lines[len(lines)-1], " 200 ") || !strings.Contains(lines[len(lines)-1], " 39 ") ||
		!strings.Contains(lines[len(lines)-2], " - ") || second[0] != "2" {
		t.Errorf("delivery 1 should show 200 and 39 (ms), delivery 2 '-':\n%s", table)
	}
	log := decodeJSON[[]map[string]any](t, bk.cli(t, "deliveries", "list", "--json"))
	oldest := log[len(log)-1]
	if oldest["answer_status"] != float64(200) || oldest["latency_us"] != float64(39400) {
		t.Errorf("--json gives delivery 1 answer_status %v, latency_us %v; want 200 and 39400", oldest["answer_status"], oldest["latency_us"])
	}
	if _, ok := log[len(log)-2]["answer_status"]; ok {
		t.Errorf("--json gives a status for a row stored without one: %v", log[len(log)-2])
	}
}
