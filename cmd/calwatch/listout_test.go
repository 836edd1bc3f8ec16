package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
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

// TestTableOptionalColumnIsDroppedWhenBlank: listOutput's optional column
// (deliveries list's FORWARD) is printed only when some row has something
// in it, and the table is then exactly writeTable's with or without it,
// even when the first non-blank cell comes after a whole block of rows.
func TestTableOptionalColumnIsDroppedWhenBlank(t *testing.T) {
	headers := []string{"ID", "WHO", "FORWARD"}
	rowsWith := func(n int, forwardAt int) [][]string {
		rows := make([][]string, n)
		for i := range rows {
			rows[i] = []string{fmt.Sprint(n - i), fmt.Sprintf("person%d@example.com", i%7), "-"}
		}
		if forwardAt >= 0 {
			rows[forwardAt][2] = "500 in 12ms"
		}
		return rows
	}
	stream := func(rows [][]string) string {
		var out bytes.Buffer
		o := newListOutput(&out, false, false, headers).optionalColumn(2, "-")
		for _, r := range rows {
			if err := o.add(nil, func() []string { return slices.Clone(r) }); err != nil {
				t.Fatal(err)
			}
		}
		if err := o.close(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	table := func(headers []string, rows [][]string) string {
		var out bytes.Buffer
		if err := writeTable(&out, headers, rows); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	withoutLast := func(rows [][]string) [][]string {
		cut := make([][]string, len(rows))
		for i, r := range rows {
			cut[i] = r[:2]
		}
		return cut
	}
	for _, tc := range []struct {
		name      string
		n         int
		forwardAt int
		dropped   bool
	}{
		{"no row forwarded", 5, -1, true},
		{"one row forwarded", 5, 3, false},
		{"more than a block, none forwarded", tableBlock + 30, -1, true},
		{"more than a block, the last forwarded", tableBlock + 30, tableBlock + 29, false},
	} {
		rows := rowsWith(tc.n, tc.forwardAt)
		want := table(headers, rows)
		if tc.dropped {
			want = table(headers[:2], withoutLast(rows))
		}
		got := stream(rows)
		if got != want {
			t.Errorf("%s: got\n%s\nwant\n%s", tc.name, got, want)
		}
		if strings.Contains(got, "FORWARD") == tc.dropped {
			t.Errorf("%s: FORWARD shown = %v, want %v", tc.name, !tc.dropped, tc.dropped)
		}
	}
	// JSON is not affected: nothing held, nothing dropped.
	var out bytes.Buffer
	o := newListOutput(&out, false, true, headers).optionalColumn(2, "-")
	if err := o.add(map[string]string{"forward": "-"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := o.close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != "{\"forward\":\"-\"}\n" {
		t.Errorf("jsonl with an optional column = %q", out.String())
	}
}
