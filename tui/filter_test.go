package tui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/storage"
)

// filterRows are one delivery of each kind the feed shows.
func filterRows() map[string]storage.FeedRow {
	row := func(id int64, event string, outcome storage.Outcome, reason, name, email, kind string) storage.FeedRow {
		return storage.FeedRow{DeliveryRecord: storage.DeliveryRecord{ID: id, Event: event, Outcome: outcome, Reason: reason,
			InviteeEmail: email}, InviteeName: name, EventName: kind}
	}
	return map[string]storage.FeedRow{
		"ana created":   row(1, "invitee.created", storage.OutcomeApplied, "", "Ana Costa", "ana@costa.example", "Intro Call"),
		"tom canceled":  row(2, "invitee.canceled", storage.OutcomeApplied, "", "Tom Becker", "tom@becker.example", "Demo"),
		"tom dup":       row(3, "invitee.canceled", storage.OutcomeDuplicate, "", "Tom Becker", "tom@becker.example", "Demo"),
		"bad signature": row(4, "invitee.created", storage.OutcomeRefused, "signature does not match", "", "", ""),
		"store failed":  row(5, "invitee_no_show.created", storage.OutcomeFailed, "disk full", "Li Wei", "li@wei.example", "Onboarding"),
	}
}

func TestFilterKeepsWhatEachTermSays(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   []string // the rows that pass
	}{
		{"", []string{"ana created", "tom canceled", "tom dup", "bad signature", "store failed"}},
		{"verdict!=ok", []string{"tom dup", "bad signature"}},
		{"verdict=sig", []string{"bad signature"}},
		{"event=invitee.canceled", []string{"tom canceled", "tom dup"}},
		{"event=canceled", []string{"tom canceled", "tom dup"}},
		{"event=no_show", []string{"store failed"}},
		{"event~no_show", []string{"store failed"}},
		{"status=5xx", []string{"store failed"}},
		{"status=401", []string{"bad signature"}},
		{"status!=2xx", []string{"bad signature", "store failed"}},
		{"invitee~ana", []string{"ana created"}},
		{"invitee=TOM@becker.example", []string{"tom canceled", "tom dup"}},
		{"invitee!~tom", []string{"ana created", "bad signature", "store failed"}},
		{`invitee~"ana costa"`, []string{"ana created"}},
		{"type=demo", []string{"tom canceled", "tom dup"}},
		{"id=4", []string{"bad signature"}},
		{"ana", []string{"ana created"}},                      // plain text: the invitee
		{"onboard", []string{"store failed"}},                 // … or the event type
		{"canceled verdict=ok", []string{"tom canceled"}},     // terms AND
		{"Verdict=OK event=created", []string{"ana created"}}, // fields and values in any case
		{`"status=5xx"`, nil},                                 // quoted, it is plain text
		{"status=2xx status=4xx", nil},                        // nothing is both
		{"event!=invitee.created event!=canceled", []string{"store failed"}},
	} {
		f, err := parseFilter(tc.filter)
		if err != nil {
			t.Errorf("%q: %v", tc.filter, err)
			continue
		}
		var got []string
		for _, name := range []string{"ana created", "tom canceled", "tom dup", "bad signature", "store failed"} {
			if f.match(filterRows()[name]) {
				got = append(got, name)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q keeps %q, want %q", tc.filter, got, tc.want)
		}
	}
}

func TestFilterErrorsNameTheBadTerm(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{"verdict!=ok status=6xx", `filter: "status=6xx": status is a code like 401 or a class like 5xx`},
		{"verdict=nope", `filter: "verdict=nope": verdict is one of ok, dup, sig, old, bad, big`},
		{"colour=red", `filter: "colour=red": unknown field "colour"; use verdict, event, status, invitee, type or id`},
		{"status~5", `filter: "status~5": status takes = or !=, not ~`},
		{"invitee=", `filter: "invitee=": invitee= needs a value`},
		{"=ana", `filter: "=ana": a field goes before =`},
		{"event==x", `filter: "event==x": two operators`},
		{"hello!", `filter: "hello!": an operator is =, !=, ~ or !~`},
		{`invitee~"ana`, `filter: "invitee~\"ana": a quote is not closed`},
		{`""`, `filter: "\"\"": empty quotes match nothing`},
		{"id=0", `filter: "id=0": id is a delivery number like 42`},
		{"a\x01b", "filter: a control character is not allowed"},
		{strings.Repeat("a", maxFilterLen+1), "filter: longer than 500 characters"},
	} {
		_, err := parseFilter(tc.filter)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to start %q", tc.filter, err, tc.want)
		}
	}
}

func TestFilterStringReadsBack(t *testing.T) {
	for _, in := range []string{"verdict!=ok", `invitee~"ana costa"  status=5xx`, `"a=b"`, "EVENT=Canceled", `ty"pe=x y"`} {
		f, err := parseFilter(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		again, err := parseFilter(f.String())
		if err != nil || !reflect.DeepEqual(again, f) {
			t.Errorf("%q → %q → %+v (%v), want %+v", in, f.String(), again, err, f)
		}
	}
}

// FuzzParseFilter: the parser never panics, what it reads it writes back
// the same, and what it refuses it says with the "filter:" prefix.
func FuzzParseFilter(f *testing.F) {
	for _, seed := range []string{"verdict!=ok", "event=invitee.canceled status=5xx", `invitee~"ana costa"`, "ana",
		`"a=b"`, `a"b`, "id=42", "=", "!~", "type!~x", "\t status=401\n", `x"="y`, "verdict=ok\x00"} {
		f.Add(seed)
	}
	rows := filterRows()
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := parseFilter(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "filter: ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("%q: error %q is not one filter: line", s, err)
			}
			return
		}
		again, err := parseFilter(flt.String())
		if err != nil || !reflect.DeepEqual(again, flt) {
			t.Fatalf("%q → %q → %+v (%v), want %+v", s, flt.String(), again, err, flt)
		}
		for _, r := range rows {
			flt.match(r)
		}
	})
}
