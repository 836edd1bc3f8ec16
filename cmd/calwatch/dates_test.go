package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	loc := time.FixedZone("UTC+2", 2*3600)
	tests := []struct {
		in      string
		want    time.Time
		dayOnly bool
	}{
		{"2026-06-10", time.Date(2026, 6, 10, 0, 0, 0, 0, loc), true},
		{" 2026-06-10 ", time.Date(2026, 6, 10, 0, 0, 0, 0, loc), true},
		{"2026-06-10T09:30:00+02:00", time.Date(2026, 6, 10, 7, 30, 0, 0, time.UTC), false},
		{"2026-06-10T07:30:00Z", time.Date(2026, 6, 10, 7, 30, 0, 0, time.UTC), false},
		{"2026-06-10T07:30:00.123456Z", time.Date(2026, 6, 10, 7, 30, 0, 123456000, time.UTC), false},
	}
	for _, tt := range tests {
		got, dayOnly, err := parseDate(tt.in, loc)
		if err != nil {
			t.Errorf("parseDate(%q) = %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || dayOnly != tt.dayOnly {
			t.Errorf("parseDate(%q) = %v (day %v), want %v (day %v)", tt.in, got, dayOnly, tt.want, tt.dayOnly)
		}
	}
}

func TestParseDateRefusesOtherForms(t *testing.T) {
	for _, in := range []string{
		"", "yesterday", "2026-13-01", "2026-02-30", "10/06/2026", "2026-6-10",
		"2026-06-10T09:30:00", "2026-06-10 09:30", "1750000000", "2026-06-10T25:00:00Z",
		strings.Repeat("2", 100),
	} {
		_, _, err := parseDate(in, time.UTC)
		if err == nil {
			t.Errorf("parseDate(%q) accepted it", in)
			continue
		}
		if !strings.Contains(err.Error(), "YYYY-MM-DD") || !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("parseDate(%q) error %q does not say which forms work", in, err)
		}
	}
}

func TestDateFlagEndIncludesTheWholeDay(t *testing.T) {
	var day, instant dateFlag
	if err := day.Set("2026-06-10"); err != nil {
		t.Fatal(err)
	}
	if err := instant.Set("2026-06-10T12:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 6, 11, 0, 0, 0, 0, time.Local); !day.end().Equal(want) {
		t.Errorf("--to 2026-06-10 ends at %v, want the next local midnight %v", day.end(), want)
	}
	if want := time.Date(2026, 6, 10, 0, 0, 0, 0, time.Local); !day.start().Equal(want) {
		t.Errorf("--from 2026-06-10 starts at %v, want local midnight %v", day.start(), want)
	}
	if !instant.end().Equal(instant.start()) {
		t.Errorf("an RFC 3339 --to ends at %v, want exactly %v", instant.end(), instant.start())
	}
}

func TestEventsListRefusesBadFlagsAsUsage(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		args  []string
		parts []string
	}{
		{[]string{"--from", "last week"}, []string{"--from", "YYYY-MM-DD", "RFC 3339"}},
		{[]string{"--to", "2026-06-10T09:30"}, []string{"--to", "YYYY-MM-DD"}},
		{[]string{"--status", "paused"}, []string{"--status", "active", "canceled"}},
		{[]string{"--from", "2026-06-10", "--to", "2026-06-01"}, []string{"--from", "--to"}},
		{[]string{"extra"}, []string{"no arguments"}},
	}
	for _, tt := range tests {
		args := append([]string{"--home", home, "events", "list"}, tt.args...)
		r := runCLI(t, nil, args...).wantExit(t, exitUsage)
		r.wantOneLineError(t, tt.parts...)
		if r.stdout != "" {
			t.Errorf("%v printed data on a usage error: %q", tt.args, r.stdout)
		}
	}
}

func TestUnknownSubcommandIsUsage(t *testing.T) {
	for _, group := range []string{"events", "contacts", "deliveries"} {
		runCLI(t, nil, "--home", t.TempDir(), group, "frobnicate").wantExit(t, exitUsage).wantOneLineError(t, "frobnicate")
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-06-10", "2026-06-10T09:30:00+02:00", "2026-06-10T07:30:00.123456Z", "", "2026-02-30", "0000-01-01", "9999-12-31T23:59:59.999999999-23:59", "2026-06-10T09:30:00"} {
		f.Add(s)
	}
	loc := time.FixedZone("test", -5*3600)
	f.Fuzz(func(t *testing.T, s string) {
		got, dayOnly, err := parseDate(s, loc)
		if err != nil {
			if !strings.Contains(err.Error(), acceptedDateForms) {
				t.Fatalf("refusal %q does not say which forms work", err)
			}
			return
		}
		trimmed := strings.TrimSpace(s)
		if dayOnly {
			if got.Location() != loc || got.Hour() != 0 || got.Minute() != 0 || got.Format(dateOnlyLayout) != trimmed {
				t.Fatalf("parseDate(%q) = %v: not local midnight of that day", s, got)
			}
			return
		}
		want, err := time.Parse(time.RFC3339Nano, trimmed)
		if err != nil || !got.Equal(want) {
			t.Fatalf("parseDate(%q) = %v, but RFC 3339 reads %v (%v)", s, got, want, err)
		}
	})
}
