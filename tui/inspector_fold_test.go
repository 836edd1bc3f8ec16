package tui

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/calwatch/calwatch/storage"
)

// checkFold checks the body pane's layout of body: unfolded it is
// json.Indent's, line for line (made safe); folded it has no more lines,
// and every line it keeps whole is an unfolded line, in order, so
// unfolding shows every line again.
func checkFold(t *testing.T, body []byte) {
	t.Helper()
	root, err := parseJSONBody(body)
	var indented bytes.Buffer
	indentErr := json.Indent(&indented, body, "", "  ")
	if errors.Is(err, errTooDeep) && indentErr == nil {
		return // shown as received
	}
	if (indentErr == nil) != (err == nil) {
		t.Fatalf("parseJSONBody says %v but json.Indent says %v", err, indentErr)
	}
	if err != nil {
		return
	}
	want := strings.Split(strings.TrimRight(indented.String(), " \t\r\n"), "\n")
	unfolded := tokenText(layoutJSON(root, false).lines).plain
	if len(unfolded) != len(want) {
		t.Fatalf("unfolded body has %d lines, json.Indent %d:\n%s\nwant\n%s", len(unfolded), len(want), strings.Join(unfolded, "\n"), indented.String())
	}
	for i := range want {
		if unfolded[i] != outside(want[i]) {
			t.Fatalf("unfolded line %d = %q, want %q", i+1, unfolded[i], outside(want[i]))
		}
	}
	layout := layoutJSON(root, true)
	folded := tokenText(layout.lines).plain
	if len(folded) > len(unfolded) {
		t.Fatalf("folding made %d lines of %d", len(folded), len(unfolded))
	}
	next := 0
	for i, line := range folded {
		if layout.summary[i] {
			continue
		}
		for next < len(unfolded) && unfolded[next] != line {
			next++
		}
		if next == len(unfolded) {
			t.Fatalf("folded line %q is not an unfolded line in order", line)
		}
		next++
	}
}

func TestFoldedLayoutIsJSONIndentsAndFoldsTheSketch(t *testing.T) {
	body := realBody(t)
	checkFold(t, body)
	root, _ := parseJSONBody(body)
	folded := strings.Join(tokenText(layoutJSON(root, true).lines).plain, "\n")
	for _, want := range []string{
		`    "questions_and_answers": [ … 1 item ],`,
		`      "event_memberships": [ … 1 item ],`,
		`      "location": { "type": "zoom_conference", … },`,
		`      "invitees_counter": { "total": 1, … },`,
		`      "start_time": "2026-03-05T10:00:00.000000Z",`, // scheduled_event stays open
	} {
		if !strings.Contains(folded, want) {
			t.Errorf("folded body lacks %s:\n%s", want, folded)
		}
	}
	deep := strings.Repeat("[", maxLayoutDepth+1) + strings.Repeat("]", maxLayoutDepth+1)
	if _, err := parseJSONBody([]byte(deep)); !errors.Is(err, errTooDeep) {
		t.Errorf("a body nested %d deep: %v, want it shown as received", maxLayoutDepth+1, err)
	}
	for _, body := range []string{`[]`, `{}`, `{"a":[1,2,3,4,5],"b":{"c":{"d":{}}}}`, ` 1.5e3 `, `"\u00e9\ud83d\ude00"`, `[[[[["deep"]]]]]`} {
		checkFold(t, []byte(body))
	}
	// The real payloads in the shared reference, when it is there.
	paths, _ := filepath.Glob(filepath.Join("..", "..", "shared", "reference", "calendly", "payloads", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(p), func(t *testing.T) { checkFold(t, b) })
	}
}

func TestBigArraysFoldAtAnyDepthButTheTop(t *testing.T) {
	root, _ := parseJSONBody([]byte(`{"few":[1,2,3],"many":[1,2,3,4],"obj":{"k":"a very long value that does not fit on a folded line at all"}}`))
	got := strings.Join(tokenText(layoutJSON(root, true).lines).plain, "\n")
	want := "{\n  \"few\": [\n    1,\n    2,\n    3\n  ],\n  \"many\": [ … 4 items ],\n  \"obj\": {\n    \"k\": \"a very long value that does not fit on a folded line at all\"\n  }\n}"
	if got != want {
		t.Errorf("folded:\n%s\nwant\n%s", got, want)
	}
	for body, want := range map[string]string{
		`{"k":"a very long value that does not fit on a folded line at all","l":1}`:   `{ "l": 1, … }`,
		`{"join_url":"https://zoom.example.com/j/1","status":"pushed","type":"zoom"}`: `{ "type": "zoom", … }`,
		`{"k":"a very long value that does not fit on a folded line at all","l":[1]}`: `{ … 2 keys }`,
		`{"only":true}`: `{ "only": true }`,
	} {
		root, _ = parseJSONBody([]byte(`{"a":{"b":{"c":` + body + `}}}`))
		if got := tokenText(layoutJSON(root, true).lines).plain[3]; got != `      "c": `+want {
			t.Errorf("%s folds to %q, want %q", body, got, want)
		}
	}
}

// FuzzFoldJSON feeds the folder any bytes: it never panics, lays valid
// JSON out as json.Indent does, and unfolding shows every line.
func FuzzFoldJSON(f *testing.F) {
	f.Add([]byte(`{"event":"invitee.created","payload":{"questions_and_answers":[{"q":"a"}],"scheduled_event":{"location":{"type":"zoom"}}}}`))
	f.Add([]byte(`[1,[2,[3,[4,[5]]]],{"a":{}},[]]`))
	f.Add([]byte(`{"a":"\u202e\u001b[31m","b":-0.0e+1,"c":true,"d":null}`))
	f.Add([]byte("{\"\xff\":\"\xc3\"}"))
	f.Add([]byte(`{"a":1} {"b":2}`))
	f.Add([]byte(`   `))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFold(t, body)
	})
}

// FuzzInspectorBodyPane draws every tab of the body pane, folded or not,
// with a find on, for any body and query: only the inspector's own colour
// codes reach the terminal and the screen keeps its size.
func FuzzInspectorBodyPane(f *testing.F) {
	f.Add([]byte(`{"event":"invitee.created","payload":{"location":{"type":"zoom"}}}`), "zoom")
	f.Add([]byte("{\"a\":\"\u202e\xff\x1b]0;x\x07\"}"), "\u202e")
	f.Add([]byte("\x00\x01 日本 zoom"), "本 z")
	f.Fuzz(func(t *testing.T, body []byte, query string) {
		var in inspector
		in.set(storage.DeliveryRecord{ID: 1, ReceivedAt: testNow, Outcome: storage.OutcomeRefused, Reason: query,
			Body: body, BodySize: int64(len(body)) + 1, BodyTruncated: true}, nil)
		in.find.setQuery(query, in.text())
		feed := feedPane{}
		views := []struct {
			tab        bodyTab
			fold, wrap bool
		}{{tabBody, false, false}, {tabBody, true, true}, {tabReply, false, true}, {tabRawBytes, false, false}}
		for _, v := range views {
			in.tab, in.fold, in.wrap = v.tab, v.fold, v.wrap
			in.find.step(1)
			out := in.render(DefaultStyles(true), &feed, time.UTC, testNow, 100, 30)
			for _, r := range sgr.ReplaceAllString(out, "") {
				if r != '\n' && (unicode.IsControl(r) || r == '\u202e' || r == '\u2066') {
					t.Fatalf("a %U from outside reached the screen:\n%q", r, out)
				}
			}
			if n := strings.Count(out, "\n"); n != 29 {
				t.Fatalf("%+v drew %d lines, want 30", v, n+1)
			}
		}
	})
}
