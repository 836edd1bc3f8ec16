package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// listLines decodes --jsonl output: one object per line, nothing else.
func listLines(t *testing.T, r cliResult) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(r.stdout) {
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("--jsonl line %q is not one JSON object: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

func TestListsPrintJSONLinesWithTheJSONFields(t *testing.T) {
	bk := newBookings(t)
	for _, list := range [][]string{{"events", "list"}, {"contacts", "list"}, {"deliveries", "list", "--limit", "0"}} {
		array := decodeJSON[[]map[string]any](t, bk.cli(t, append(list, "--json")...).wantExit(t, exitOK))
		r := bk.cli(t, append(list, "--jsonl")...).wantExit(t, exitOK)
		if r.stderr != "" {
			t.Errorf("%v --jsonl wrote to stderr: %q", list, r.stderr)
		}
		lines := listLines(t, r)
		a, _ := json.Marshal(array)
		l, _ := json.Marshal(lines)
		if len(lines) == 0 || string(a) != string(l) {
			t.Errorf("%v --jsonl gave\n%s\nwant the --json array's objects, one a line:\n%s", list, l, a)
		}
	}
}

func TestListsLimitAndSayThereIsMore(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "events", "list", "--limit", "2").wantExit(t, exitOK)
	if n := strings.Count(r.stdout, "\n"); n != 3 {
		t.Errorf("events list --limit 2 printed %d lines, want a header and 2 rows:\n%s", n, r.stdout)
	}
	if !strings.Contains(r.stderr, "--limit 0 shows all") {
		t.Errorf("stderr %q, want a hint that more events match", r.stderr)
	}
	events := decodeJSON[[]map[string]any](t, bk.cli(t, "events", "list", "--json", "--limit", "2").wantExit(t, exitOK))
	if len(events) != 2 || events[0]["uri"] != bk.evC || events[1]["uri"] != bk.eventA {
		t.Errorf("--json --limit 2 = %d events, want the earliest two", len(events))
	}
	r = bk.cli(t, "events", "list", "--limit", "3").wantExit(t, exitOK)
	if strings.Contains(r.stderr, "--limit") {
		t.Errorf("--limit 3 of 3 events hinted at more: %q", r.stderr)
	}
	contacts := listLines(t, bk.cli(t, "contacts", "list", "--jsonl", "--limit", "1").wantExit(t, exitOK))
	if len(contacts) != 1 {
		t.Errorf("contacts --limit 1 = %d contacts", len(contacts))
	}
}

func TestContactsListSearchAndDates(t *testing.T) {
	bk := newBookings(t)
	emails := func(args ...string) []string {
		var out []string
		for _, c := range listLines(t, bk.cli(t, append([]string{"contacts", "list", "--jsonl"}, args...)...).wantExit(t, exitOK)) {
			out = append(out, c["email"].(string))
		}
		return out
	}
	if got := emails("--search", "ZOë"); strings.Join(got, " ") != "zoe.mueller@example.com" {
		t.Errorf("--search ZOë = %v, want Zoë by her name", got)
	}
	if got := emails("--search", "jose@"); strings.Join(got, " ") != "jose@example.org" {
		t.Errorf("--search jose@ = %v, want José by his email", got)
	}
	if got := emails("--from", "2030-01-01"); len(got) != 0 {
		t.Errorf("--from 2030 = %v, want no one", got)
	}
	if got := emails("--to", "2030-01-01"); len(got) != 2 {
		t.Errorf("--to 2030 = %v, want the two who booked (the guest has no activity of their own)", got)
	}
	r := bk.cli(t, "contacts", "list", "--search", "nobody").wantExit(t, exitOK)
	if r.stdout != "" || !strings.Contains(r.stderr, "no contacts match") {
		t.Errorf("no match: stdout %q stderr %q, want only a hint", r.stdout, r.stderr)
	}
}

func TestListFlagsRefusedAsUsage(t *testing.T) {
	bk := newBookings(t)
	for _, args := range [][]string{
		{"events", "list", "--json", "--jsonl"},
		{"contacts", "list", "--json", "--jsonl"},
		{"deliveries", "list", "--json", "--jsonl"},
		{"events", "list", "--limit", "-1"},
		{"contacts", "list", "--limit", "-3"},
		{"contacts", "list", "--from", "2026-06-02", "--to", "2026-06-01"},
		{"contacts", "list", "--from", "yesterday"},
	} {
		r := bk.cli(t, args...).wantExit(t, exitUsage)
		if r.stdout != "" {
			t.Errorf("%v printed %q on stdout", args, r.stdout)
		}
	}
}

func TestDeliveriesListFromTo(t *testing.T) {
	bk := newBookings(t)
	all := decodeJSON[[]map[string]any](t, bk.cli(t, "deliveries", "list", "--json", "--limit", "0").wantExit(t, exitOK))
	tomorrow := time.Now().AddDate(0, 0, 1).Format(dateOnlyLayout)
	if got := decodeJSON[[]map[string]any](t, bk.cli(t, "deliveries", "list", "--json", "--to", tomorrow).wantExit(t, exitOK)); len(got) != len(all) {
		t.Errorf("--to tomorrow gave %d deliveries, want all %d", len(got), len(all))
	}
	if got := decodeJSON[[]map[string]any](t, bk.cli(t, "deliveries", "list", "--json", "--from", tomorrow).wantExit(t, exitOK)); len(got) != 0 {
		t.Errorf("--from tomorrow gave %d deliveries, want none", len(got))
	}
	r := bk.cli(t, "deliveries", "list", "--from", tomorrow).wantExit(t, exitOK)
	if r.stdout != "" || !strings.Contains(r.stderr, "drop --from or --to") {
		t.Errorf("no delivery in range: stdout %q stderr %q, want only a hint", r.stdout, r.stderr)
	}
	bk.cli(t, "deliveries", "list", "--from", tomorrow, "--to", "2000-01-01").wantExit(t, exitUsage)
}
