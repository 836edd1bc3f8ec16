package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestWriteJSONPrintsEmptyArraysAndKeepsURLsReadable(t *testing.T) {
	var buf bytes.Buffer
	var none []string
	if err := writeJSON(&buf, none); err != nil || buf.String() != "[]\n" {
		t.Errorf("writeJSON(nil slice) = %q, %v; want []", buf.String(), err)
	}
	buf.Reset()
	if err := writeJSON(&buf, map[string]string{"join_url": "https://zoom.us/j/1?pwd=a&b=<c>"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "https://zoom.us/j/1?pwd=a&b=<c>") {
		t.Errorf("URL escaped in JSON output: %s", buf.String())
	}
}

func TestCellKeepsTablesOneLineAndBounded(t *testing.T) {
	if got := cell("Agenda:\n1. intro\t2. demo"); got != "Agenda: 1. intro 2. demo" {
		t.Errorf("cell flattened to %q", got)
	}
	if got := cell("  "); got != "-" {
		t.Errorf("cell(blank) = %q, want -", got)
	}
	long := strings.Repeat("é", maxCellWidth+10)
	if got := []rune(cell(long)); len(got) != maxCellWidth || got[len(got)-1] != '…' {
		t.Errorf("cell(long) has %d runes ending %q, want %d ending …", len(got), got[len(got)-1], maxCellWidth)
	}
}

func TestWriteTableAlignsColumnsWithoutBordersOrEscapes(t *testing.T) {
	var buf bytes.Buffer
	if err := writeTable(&buf, []string{"NAME", "CITY"}, [][]string{{"Zoë Müller", "Berlin"}, {"山田 太郎", "東京"}}); err != nil {
		t.Fatal(err)
	}
	want := "NAME        CITY\nZoë Müller  Berlin\n山田 太郎   東京\n"
	if buf.String() != want {
		t.Errorf("table\n%q\nwant\n%q", buf.String(), want)
	}
}

// FuzzEscapeSteering: whatever text is encoded, the JSON calwatch prints
// holds no rune that steers a terminal and decodes to the same text.
func FuzzEscapeSteering(f *testing.F) {
	f.Add("Eve\x1b]0;owned\x07\x1b[2J\u202e\u0085\r")
	f.Add("plain Zoë Müller")
	f.Add("\xff\xfe\u2066")
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		escaped := escapeSteering(raw)
		for _, r := range string(escaped) {
			if r < 0x20 || steersTerminal(r) {
				t.Fatalf("%q encodes with %U raw: %s", s, r, escaped)
			}
		}
		var before, after string
		if err := json.Unmarshal(raw, &before); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(escaped, &after); err != nil || after != before {
			t.Fatalf("%q: escaped JSON decodes to %q (%v), want %q", s, after, err, before)
		}
	})
}
