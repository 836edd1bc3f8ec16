package main

import (
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// The contract of `events list --json`, as scripts rely on it.
var (
	eventKeys   = []string{"uri", "name", "start_time", "end_time", "status", "location", "hosts", "invitees", "guests", "cancellation"}
	inviteeKeys = []string{"uri", "name", "email", "status", "timezone", "no_show", "rescheduled_from", "rescheduled_to", "questions_and_answers"}
	hostKeys    = []string{"name", "email", "uri"}
)

func TestEventsListJSONContract(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "events", "list", "--json").wantExit(t, exitOK)
	if r.stderr != "" {
		t.Errorf("--json wrote to stderr: %q", r.stderr)
	}
	events := decodeJSON[[]map[string]any](t, r)
	var uris []string
	for _, ev := range events {
		uris = append(uris, ev["uri"].(string))
		wantKeys(t, "event", ev, eventKeys...)
		for _, h := range ev["hosts"].([]any) {
			wantKeys(t, "host", h.(map[string]any), hostKeys...)
		}
		for _, inv := range ev["invitees"].([]any) {
			inv := inv.(map[string]any)
			wantKeys(t, "invitee", inv, inviteeKeys...)
			if _, isBool := inv["no_show"].(bool); !isBool {
				t.Errorf("no_show = %#v, want a boolean", inv["no_show"])
			}
			if inv["rescheduled_from"] != nil || inv["rescheduled_to"] != nil {
				t.Errorf("reschedule links %v → %v, want null for a booking never rescheduled", inv["rescheduled_from"], inv["rescheduled_to"])
			}
		}
		for _, g := range ev["guests"].([]any) {
			wantKeys(t, "guest", g.(map[string]any), "email")
		}
	}
	if want := []string{bk.evC, bk.eventA, bk.eventB}; strings.Join(uris, " ") != strings.Join(want, " ") {
		t.Fatalf("events %v, want every stored event, earliest start first: %v", uris, want)
	}
	c, b := events[0], events[2]
	invC := c["invitees"].([]any)[0].(map[string]any)
	if invC["no_show"] != true || !strings.EqualFold(invC["email"].(string), zoe.Email) || invC["name"] != zoe.Name {
		t.Errorf("event C invitee = %v, want Zoë marked a no-show", invC)
	}
	if c["start_time"] != "2026-06-05T10:00:00Z" || c["status"] != "active" {
		t.Errorf("event C start %v status %v", c["start_time"], c["status"])
	}
	cancellation, _ := b["cancellation"].(map[string]any)
	if b["status"] != "canceled" || cancellation["canceled_by"] != "José Álvarez" || cancellation["reason"] != "Terminkonflikt" {
		t.Errorf("event B status %v cancellation %v, want canceled by José for Terminkonflikt", b["status"], b["cancellation"])
	}
	if host := c["hosts"].([]any)[0].(map[string]any); host["email"] != "sales@acme.example.com" {
		t.Errorf("host = %v", host)
	}
	if loc, _ := c["location"].(map[string]any); loc["type"] == nil {
		t.Errorf("location = %v, want the stored location object", c["location"])
	}
}

func TestEventsListFilters(t *testing.T) {
	bk := newBookings(t)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"--status", "canceled"}, []string{bk.eventB}},
		{[]string{"--status", "active"}, []string{bk.evC, bk.eventA}},
		{[]string{"--from", "2026-06-15T00:00:00Z", "--to", "2026-06-15T23:59:59Z"}, []string{bk.eventA}},
		{[]string{"--from", "2026-06-15T09:00:01Z"}, []string{bk.eventB}},
		{[]string{"--to", "2026-06-15T09:00:00Z"}, []string{bk.evC}},
		{[]string{"--from", "2026-06-15T09:00:00Z", "--status", "active"}, []string{bk.eventA}},
		{[]string{"--from", "2027-01-01"}, nil},
	}
	for _, tt := range tests {
		r := bk.cli(t, append([]string{"events", "list", "--json"}, tt.args...)...).wantExit(t, exitOK)
		var got []string
		for _, ev := range decodeJSON[[]map[string]any](t, r) {
			got = append(got, ev["uri"].(string))
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("events list %v = %v, want %v", tt.args, got, tt.want)
		}
	}
}

func TestEventsListDayBoundsAreLocalAndInclusive(t *testing.T) {
	bk := newBookings(t)
	// Event A starts 2026-06-15 09:00 UTC: name the local day it falls on.
	day := time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC).In(time.Local).Format(dateOnlyLayout)
	r := bk.cli(t, "events", "list", "--json", "--from", day, "--to", day).wantExit(t, exitOK)
	events := decodeJSON[[]map[string]any](t, r)
	if len(events) != 1 || events[0]["uri"] != bk.eventA {
		t.Fatalf("--from %s --to %s = %v, want only event A", day, day, events)
	}
}

func TestEventsListTable(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "events", "list").wantExit(t, exitOK)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("want a header and 3 rows, got:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Errorf("table written to a pipe has escape codes:\n%q", r.stdout)
	}
	statusCol := strings.Index(lines[0], "STATUS")
	for i, want := range []string{"active", "active", "canceled"} {
		if got := lines[i+1][statusCol:]; !strings.HasPrefix(got, want) {
			t.Errorf("row %d status column reads %q, want %q (columns not aligned?)", i+1, got, want)
		}
	}
	startC := time.Date(2026, 6, 5, 10, 0, 0, 0, time.UTC).In(time.Local).Format("2006-01-02 15:04 MST")
	if !strings.HasPrefix(lines[1], startC) {
		t.Errorf("first row %q does not start with C's local start time %q", lines[1], startC)
	}
	if !strings.Contains(lines[1], "Zoë Müller (no-show)") || !strings.Contains(lines[3], "José Álvarez (canceled)") {
		t.Errorf("invitees not shown with their state:\n%s", r.stdout)
	}
}

func TestReadBackOnAnEmptyStore(t *testing.T) {
	db := t.TempDir() + "/empty.db"
	for _, cmd := range [][]string{{"events", "list"}, {"contacts", "list"}, {"deliveries", "list"}} {
		r := runCLI(t, nil, append([]string{"--db", db}, append(cmd, "--json")...)...).wantExit(t, exitOK)
		if r.stdout != "[]\n" || r.stderr != "" {
			t.Errorf("%v --json on an empty store: stdout %q stderr %q, want [] only", cmd, r.stdout, r.stderr)
		}
		r = runCLI(t, nil, append([]string{"--db", db}, cmd...)...).wantExit(t, exitOK)
		if r.stdout != "" || !strings.Contains(r.stderr, "calwatch listen") {
			t.Errorf("%v on an empty store: stdout %q stderr %q, want a hint on stderr only", cmd, r.stdout, r.stderr)
		}
	}
}

func TestInviteeNamesTellRescheduledFromCanceled(t *testing.T) {
	newURI := "https://api.calendly.com/scheduled_events/e2/invitees/i2"
	got := inviteeNames([]storage.InviteeView{
		{Name: "Ann", Status: calendly.StatusCanceled, RescheduledTo: &newURI},
		{Name: "Bo", Status: calendly.StatusCanceled},
		{Email: "cy@example.com", Status: calendly.StatusActive, NoShow: true},
	})
	if want := "Ann (rescheduled), Bo (canceled), cy@example.com (no-show)"; got != want {
		t.Errorf("inviteeNames = %q, want %q", got, want)
	}
}
