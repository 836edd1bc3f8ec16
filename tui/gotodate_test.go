package tui

import (
	"strings"
	"testing"
	"time"
)

func TestParseGotoReadsEachForm(t *testing.T) {
	today := midnight(testNow)      // Thu 18 Jun 2026
	shown := today.AddDate(1, 0, 0) // the calendar shows June 2027
	for _, tc := range []struct{ in, want string }{
		{"2026-07-01", "2026-07-01"},
		{" 2026-07-01 ", "2026-07-01"},
		{"today", "2026-06-18"},
		{"TODAY", "2026-06-18"},
		{"tomorrow", "2026-06-19"},
		{"yesterday", "2026-06-17"},
		{"+3d", "2026-06-21"},
		{"+3", "2026-06-21"},
		{"-1w", "2026-06-11"},
		{"+2m", "2026-08-18"},
		{"jul", "2027-07-01"}, // the year the calendar shows
		{"July", "2027-07-01"},
		{"sep 2030", "2030-09-01"},
		{"2026-12", "2026-12-01"},
	} {
		got, err := parseGoto(tc.in, today, shown)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if got.Format(time.DateOnly) != tc.want || got.Location() != berlin || !got.Equal(midnight(got)) {
			t.Errorf("%q → %s, want midnight of %s in Berlin", tc.in, got, tc.want)
		}
	}
}

func TestParseGotoSaysWhatItAccepts(t *testing.T) {
	today := midnight(testNow)
	for _, in := range []string{"2026-13-01", "2026-02-30", "ju", "juliet", "+3y", "+99999d", "2026-00", "jul 0", "next week", "18/06/2026"} {
		_, err := parseGoto(in, today, today)
		want := `goto: "` + in + `" is not a date — use YYYY-MM-DD, today, +3d or a month name`
		if err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
	if _, err := parseGoto("", today, today); err == nil || !strings.Contains(err.Error(), "where to?") {
		t.Errorf("empty: error %v, want it to ask where to", err)
	}
}

// FuzzParseGoto: whatever is typed, :goto gives a midnight in the
// viewer's zone or one line that starts "goto:".
func FuzzParseGoto(f *testing.F) {
	for _, seed := range []string{"2026-07-01", "today", "+3d", "-12w", "jul", "december 2027", "2026-13-01", "9999-12", "+9999m"} {
		f.Add(seed)
	}
	today := midnight(testNow)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseGoto(s, today, today)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "goto: ") {
				t.Fatalf("%q: error %q does not start goto:", s, err)
			}
			return
		}
		if d.Location() != berlin || !d.Equal(midnight(d)) {
			t.Fatalf("%q → %s, not a midnight in Berlin", s, d)
		}
	})
}
