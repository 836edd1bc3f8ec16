package main

import (
	"bytes"
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
