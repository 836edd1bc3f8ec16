package main

import (
	"strings"
	"testing"
	"time"
)

var contactKeys = []string{"email", "name", "timezone", "bookings", "cancellations", "no_shows", "last_activity_at"}

func TestContactsListJSONContract(t *testing.T) {
	bk := newBookings(t)
	contacts := decodeJSON[[]map[string]any](t, bk.cli(t, "contacts", "list", "--json").wantExit(t, exitOK))
	byEmail := map[string]map[string]any{}
	var last []*time.Time
	for _, c := range contacts {
		wantKeys(t, "contact", c, contactKeys...)
		byEmail[c["email"].(string)] = c
		var at *time.Time
		if s, ok := c["last_activity_at"].(string); ok {
			parsed, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatalf("last_activity_at %q: %v", s, err)
			}
			at = &parsed
		}
		last = append(last, at)
	}
	for i := 1; i < len(last); i++ {
		if last[i-1] == nil && last[i] != nil || last[i-1] != nil && last[i] != nil && last[i].After(*last[i-1]) {
			t.Errorf("contacts not most recently active first: %v then %v", last[i-1], last[i])
		}
	}
	z, j, g := byEmail["zoe.mueller@example.com"], byEmail["jose@example.org"], byEmail[guestEmail]
	if len(contacts) != 3 || z == nil || j == nil || g == nil {
		t.Fatalf("contacts = %v, want Zoë (email lower-cased), José and the guest", contacts)
	}
	if g["bookings"] != 0.0 {
		t.Errorf("guest = %v, want no bookings of their own", g)
	}
	if z["bookings"] != 2.0 || z["no_shows"] != 1.0 || z["cancellations"] != 0.0 || z["name"] != zoe.Name || z["timezone"] != zoe.Timezone {
		t.Errorf("Zoë = %v, want 2 bookings, 1 no-show, 0 cancellations", z)
	}
	if j["bookings"] != 1.0 || j["cancellations"] != 1.0 || j["no_shows"] != 0.0 {
		t.Errorf("José = %v, want 1 booking, 1 cancellation", j)
	}
}

func TestContactsListTable(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "contacts", "list").wantExit(t, exitOK)
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "EMAIL") {
		t.Fatalf("want a header and 3 rows:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "zoe.mueller@example.com") || !strings.Contains(r.stdout, "José Álvarez") {
		t.Errorf("table misses a contact:\n%s", r.stdout)
	}
}

func TestContactsShowJSON(t *testing.T) {
	bk := newBookings(t)
	c := decodeJSON[map[string]any](t, bk.cli(t, "contacts", "show", "ZOE.MUELLER@example.COM", "--json").wantExit(t, exitOK))
	wantKeys(t, "contact", c, append(contactKeys, "activity")...)
	if c["email"] != "zoe.mueller@example.com" {
		t.Errorf("email = %v, want the contact found in any case", c["email"])
	}
	kinds := map[string]int{}
	for _, a := range c["activity"].([]any) {
		a := a.(map[string]any)
		wantKeys(t, "activity", a, "kind", "at", "event_uri", "invitee_uri")
		kinds[a["kind"].(string)]++
		if a["kind"] == "no_show" && (a["event_uri"] != bk.evC || a["invitee_uri"] != bk.inviteeC) {
			t.Errorf("no_show activity = %v, want it on event C's invitee", a)
		}
	}
	if kinds["booked"] != 2 || kinds["no_show"] != 1 {
		t.Errorf("activity kinds = %v, want 2 booked and 1 no_show", kinds)
	}
}

func TestContactsShowTable(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "contacts", "show", "jose@example.org").wantExit(t, exitOK)
	for _, want := range []string{"José Álvarez <jose@example.org>", "America/Mexico_City", "canceled", "booked", bk.eventB} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("contacts show lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestContactsShowUnknownEmail(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "contacts", "show", "nobody@example.com", "--json").wantExit(t, exitFailure)
	r.wantOneLineError(t, "nobody@example.com", "contacts list")
	if r.stdout != "" {
		t.Errorf("printed data for an unknown contact: %q", r.stdout)
	}
	bk.cli(t, "contacts", "show").wantExit(t, exitUsage)
}
