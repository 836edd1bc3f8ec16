package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestTableStreamMatchesWriteTableForOneBlock(t *testing.T) {
	headers := []string{"NAME", "CITY", "NOTE"}
	rows := [][]string{{"Zoë Müller", "Berlin", "-"}, {"山田 太郎", "東京", "a  b  "}, {"x", "", "\x1b[31mred"}}
	var want, got bytes.Buffer
	if err := writeTable(&want, headers, rows); err != nil {
		t.Fatal(err)
	}
	ts := newTableStream(&got, headers)
	for _, r := range rows {
		if err := ts.add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.close(); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("streamed table\n%q\nwant writeTable's\n%q", got.String(), want.String())
	}
}

func TestTableStreamPrintsBlocksAsTheyFillAndOnlyWidens(t *testing.T) {
	var out bytes.Buffer
	ts := newTableStream(&out, []string{"N", "WHO"})
	for i := range tableBlock {
		if err := ts.add([]string{fmt.Sprint(i % 10), "ann"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.w.Flush(); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != tableBlock+1 {
		t.Fatalf("after one full block the output holds %d lines, want the header and %d rows", n, tableBlock)
	}
	// A wider cell in a later block widens its column from there on.
	for _, r := range [][]string{{"1234", "bob"}, {"5", "cy"}} {
		if err := ts.add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := ts.close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if lines[0] != "N  WHO" || lines[1] != "0  ann" {
		t.Errorf("first block = %q, %q, want columns as wide as the first block", lines[0], lines[1])
	}
	if tail := lines[len(lines)-2:]; tail[0] != "1234  bob" || tail[1] != "5     cy" {
		t.Errorf("last block = %q, want the widened column", tail)
	}
}

func TestJSONLinesWriterPrintsOneInertObjectPerLine(t *testing.T) {
	var out bytes.Buffer
	l := newJSONLinesWriter(&out)
	for _, v := range []map[string]string{{"name": "a&b <c>"}, {"name": "\u202eevil\u009b"}} {
		if err := l.add(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := `{"name":"a&b <c>"}` + "\n" + `{"name":"\u202eevil\u009b"}` + "\n"
	if out.String() != want {
		t.Errorf("JSON lines\n%q\nwant\n%q", out.String(), want)
	}
	for line := range strings.Lines(out.String()) {
		var v map[string]string
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Errorf("line %q is not a JSON object: %v", line, err)
		}
	}
}
