package main

import (
	"bytes"
	"encoding/csv"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// parseICS parses an export back, failing the test when it cannot.
func parseICS(t testing.TB, b []byte) []*ics.VEvent {
	t.Helper()
	cal, err := ics.ParseCalendar(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the export is not iCalendar: %v\n%s", err, b)
	}
	return cal.Events()
}

func prop(ev *ics.VEvent, p ics.ComponentProperty) string {
	if v := ev.GetProperty(p); v != nil {
		return v.Value
	}
	return ""
}

func TestExportICSOfTheStoredBookings(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "export", "ics").wantExit(t, exitOK)
	events := parseICS(t, []byte(r.stdout))
	if len(events) != 3 {
		t.Fatalf("%d VEVENTs, want one per stored event (3)", len(events))
	}
	byUID := map[string]*ics.VEvent{}
	for _, ev := range events {
		byUID[ev.Id()] = ev
	}
	b := byUID[bk.eventB]
	if b == nil {
		t.Fatalf("no VEVENT with UID %s (the event URI)", bk.eventB)
	}
	if got := prop(b, ics.ComponentPropertyStatus); got != "CANCELLED" {
		t.Errorf("canceled event B has STATUS %q, want CANCELLED", got)
	}
	if got := prop(b, ics.ComponentPropertyDtStart); got != "20260620T140000Z" {
		t.Errorf("event B starts %q, want 20260620T140000Z (UTC)", got)
	}
	a := byUID[bk.eventA]
	var attendees []string
	for _, at := range a.Attendees() {
		attendees = append(attendees, at.Email())
	}
	if len(attendees) != 2 || !strings.EqualFold(attendees[0], zoe.Email) || attendees[1] != guestEmail {
		t.Errorf("event A attendees %v, want Zoë and her guest", attendees)
	}
	if got := prop(byUID[bk.evC], ics.ComponentPropertyStatus); got != "CONFIRMED" {
		t.Errorf("active event C has STATUS %q", got)
	}
	// --from/--to keep the events starting in the window.
	r = bk.cli(t, "export", "ics", "--from", "2026-06-10", "--to", "2026-06-15").wantExit(t, exitOK)
	if got := parseICS(t, []byte(r.stdout)); len(got) != 1 || got[0].Id() != bk.eventA {
		t.Errorf("--from 2026-06-10 --to 2026-06-15 exported %d events, want event A alone", len(got))
	}
}

func TestExportCSVToAFile(t *testing.T) {
	bk := newBookings(t)
	out := filepath.Join(t.TempDir(), "events.csv")
	r := bk.cli(t, "export", "csv", "--out", out).wantExit(t, exitOK)
	if r.stdout != "" || !strings.Contains(r.stderr, "wrote 3 events to "+out) {
		t.Errorf("stdout %q stderr %q, want the file and a note of it", r.stdout, r.stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(eventCSVHeader, ",") {
		t.Fatalf("%d rows, header %v; want the header and 3 events", len(rows), rows[0])
	}
	if rows[1][0] != bk.evC || rows[3][0] != bk.eventB || rows[3][4] != "canceled" || rows[3][12] != "Terminkonflikt" {
		t.Errorf("rows %v … %v, want C first and B last, canceled for Terminkonflikt", rows[1], rows[3])
	}
	r = bk.cli(t, "export", "csv", "--contacts").wantExit(t, exitOK)
	people, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(people) != 4 || people[0][0] != "email" || people[1][1] != zoe.Name || people[3][0] != guestEmail {
		t.Errorf("contacts CSV: %v, %v; want a header, Zoë, José and the guest", people, err)
	}
}

func TestExportRefusesWhatItCannotDo(t *testing.T) {
	bk := newBookings(t)
	for _, args := range [][]string{
		{"export", "pdf"},
		{"export", "ics", "--contacts"},
		{"export", "csv", "--contacts", "--from", "2026-06-01"},
		{"export", "ics", "--from", "2026-06-10", "--to", "2026-06-01"},
		{"export", "ics", "--from", "yesterday"},
		{"export"},
	} {
		r := bk.cli(t, args...).wantExit(t, exitUsage)
		if r.stdout != "" {
			t.Errorf("%v wrote %q", args, r.stdout)
		}
	}
	// A failed export leaves no file behind.
	out := filepath.Join(t.TempDir(), "nothing.ics")
	bk.cli(t, "export", "ics", "--from", "2026-06-10", "--to", "2026-06-01", "--out", out).wantExit(t, exitUsage)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused export left %s: %v", out, err)
	}
}

// hostileEvent is an event whose outside text tries to break the file.
func hostileEvent(name, email, reason string) storage.EventView {
	start, end := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 6, 1, 9, 30, 0, 0, time.UTC)
	return storage.EventView{
		URI: "https://api.calendly.com/scheduled_events/X", Name: name, StartTime: &start, EndTime: &end,
		Status: calendly.StatusCanceled, Cancellation: &calendly.Cancellation{Reason: &reason},
		Invitees: []storage.InviteeView{{Name: name, Email: email, Status: calendly.StatusCanceled}},
	}
}

func TestExportKeepsHostileTextInItsPlace(t *testing.T) {
	ev := hostileEvent("Eve\r\nATTENDEE:mailto:evil@x\r\nEND:VEVENT", `e"ve;x@example.com`, "=HYPERLINK(\"http://x\")")
	var b bytes.Buffer
	if _, err := writeEvents(&b, "ics", time.Now(), eventsOf(ev)); err != nil {
		t.Fatal(err)
	}
	events := parseICS(t, b.Bytes())
	if len(events) != 1 || len(events[0].Attendees()) != 1 {
		t.Fatalf("%d events with %d attendees, want the one invitee only:\n%s", len(events), len(events[0].Attendees()), b.String())
	}
	b.Reset()
	if _, err := writeEvents(&b, "csv", time.Now(), eventsOf(ev)); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v, %v", rows, err)
	}
	if got := rows[1][12]; !strings.HasPrefix(got, "'=") {
		t.Errorf("a formula cell %q was not defused", got)
	}
}

// FuzzExportICS writes an event with any text and parses the file back:
// it stays one VEVENT with one attendee whatever the names hold.
func FuzzExportICS(f *testing.F) {
	f.Add("Ana Costa", "ana@example.com", "conflict")
	f.Add("Eve\r\nEND:VEVENT\r\nBEGIN:VEVENT", "a;b,c\"@x", "line\nbreak\\;")
	f.Add("\x00\x7f\u0085\u2028", "\xff@x", "")
	f.Fuzz(func(t *testing.T, name, email, reason string) {
		if email == "" {
			email = "x@example.com"
		}
		var b bytes.Buffer
		if _, err := writeEvents(&b, "ics", time.Now(), eventsOf(hostileEvent(name, email, reason))); err != nil {
			t.Fatal(err)
		}
		events := parseICS(t, b.Bytes())
		if len(events) != 1 || len(events[0].Attendees()) != 1 {
			t.Fatalf("%d events, want 1 with 1 attendee:\n%q", len(events), b.String())
		}
		if got := events[0].Id(); got != "https://api.calendly.com/scheduled_events/X" {
			t.Errorf("UID %q", got)
		}
	})
}

// eventsOf is what Store.Events yields, for the given events.
func eventsOf(events ...storage.EventView) iter.Seq2[storage.EventView, error] {
	return func(yield func(storage.EventView, error) bool) {
		for _, ev := range events {
			if !yield(ev, nil) {
				return
			}
		}
	}
}
