package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseJSONEditValues(t *testing.T) {
	tests := []struct {
		in   string
		path []string
		want any
	}{
		{"payload.email=x@y.z", []string{"payload", "email"}, "x@y.z"},
		{"payload.questions_and_answers.0.answer=hi", []string{"payload", "questions_and_answers", "0", "answer"}, "hi"},
		{"payload.rescheduled=true", []string{"payload", "rescheduled"}, true},
		{"payload.no_show=null", []string{"payload", "no_show"}, nil},
		{"payload.scheduled_event.invitees_counter.total=3", []string{"payload", "scheduled_event", "invitees_counter", "total"}, json.Number("3")},
		{`payload.name="42"`, []string{"payload", "name"}, "42"},
		{`payload.tracking={"utm_source":"ads"}`, []string{"payload", "tracking"}, map[string]any{"utm_source": "ads"}},
		{"payload.name=", []string{"payload", "name"}, ""},
		{"payload.name=a=b", []string{"payload", "name"}, "a=b"},
		{"payload.name=Zoë Müller", []string{"payload", "name"}, "Zoë Müller"},
		{"payload.name={oops", []string{"payload", "name"}, "{oops"},
	}
	for _, tt := range tests {
		e, err := parseJSONEdit(tt.in)
		if err != nil {
			t.Errorf("parseJSONEdit(%q) = %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(e.path, tt.path) || !reflect.DeepEqual(e.value, tt.want) {
			t.Errorf("parseJSONEdit(%q) = %q, %#v; want %q, %#v", tt.in, e.path, e.value, tt.path, tt.want)
		}
	}
}

func TestParseJSONEditRefusals(t *testing.T) {
	for in, why := range map[string]string{
		"payload.email":                  "no '='",
		"=x":                             "empty path",
		"payload..email=x":               "empty part",
		".email=x":                       "empty part",
		"payload.=x":                     "empty part",
		strings.Repeat("a.", 40) + "a=1": "deeper",
	} {
		if _, err := parseJSONEdit(in); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("parseJSONEdit(%.30q) = %v, want a refusal saying %q", in, err, why)
		}
	}
}

func TestApplyJSONEdits(t *testing.T) {
	doc := `{"event":"invitee.created","payload":{"email":"a@b.c","no_show":null,"questions_and_answers":[{"answer":"old","position":0}],"count":12345678901234567890}}`
	edits := []string{
		"payload.email=x@y.z",
		"payload.questions_and_answers.0.answer=hi",
		`payload.questions_and_answers.1={"answer":"new","position":1}`,
		"payload.no_show.uri=https://api.calendly.com/invitee_no_shows/1",
		"payload.rescheduled=true",
	}
	var parsed []jsonEdit
	for _, s := range edits {
		e, err := parseJSONEdit(s)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, e)
	}
	out, err := applyJSONEdits([]byte(doc), parsed)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"invitee.created","payload":{"count":12345678901234567890,"email":"x@y.z","no_show":{"uri":"https://api.calendly.com/invitee_no_shows/1"},"questions_and_answers":[{"answer":"hi","position":0},{"answer":"new","position":1}],"rescheduled":true}}`
	if string(out) != want {
		t.Errorf("edited\n got %s\nwant %s", out, want)
	}
}

func TestApplyJSONEditsRefusals(t *testing.T) {
	doc := `{"payload":{"name":"Jo","questions_and_answers":[{"answer":"a"}]}}`
	tests := map[string]string{
		"payload.name.first=x":                "payload.name is a string",
		"payload.questions_and_answers.x=1":   "must be an index",
		"payload.questions_and_answers.-1=1":  "must be an index",
		"payload.questions_and_answers.01=1":  "must be an index",
		"payload.questions_and_answers.5=1":   "past the end",
		"payload.questions_and_answers.1.a=1": "past the end",
	}
	for s, why := range tests {
		e, err := parseJSONEdit(s)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := applyJSONEdits([]byte(doc), []jsonEdit{e}); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("--set %s: err = %v, want it to say %q", s, err, why)
		}
	}
	e, _ := parseJSONEdit("a=1")
	for _, bad := range []string{"not json", "[1,2]", `{"a":1}{"b":2}`, `{"a":1}}`} {
		if _, err := applyJSONEdits([]byte(bad), []jsonEdit{e}); err == nil {
			t.Errorf("applyJSONEdits(%q) accepted a document that is not one JSON object", bad)
		}
	}
}

func FuzzParseJSONEdit(f *testing.F) {
	for _, s := range []string{
		"payload.email=x@y.z", "payload.questions_and_answers.0.answer=hi", "payload.rescheduled=true",
		"payload.no_show=null", `payload.tracking={"utm_source":"ads"}`, "=x", "a..b=1", "a.b", "a.0.b.1=[]",
	} {
		f.Add(s)
	}
	doc := []byte(`{"event":"invitee.created","payload":{"email":"a@b.c","questions_and_answers":[{"answer":"x"}],"no_show":null,"n":1}}`)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := parseJSONEdit(s)
		if err != nil {
			return
		}
		if len(e.path) == 0 || slices.Contains(e.path, "") {
			t.Fatalf("parseJSONEdit(%q) accepted an empty path part: %q", s, e.path)
		}
		out, err := applyJSONEdits(doc, []jsonEdit{e})
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("--set %q produced invalid JSON: %s", s, out)
		}
		var root any
		if err := decodeJSONNumbers(out, &root); err != nil {
			t.Fatal(err)
		}
		got := lookupJSONPath(t, root, e.path)
		if !reflect.DeepEqual(got, e.value) {
			t.Fatalf("--set %q: the path now holds %#v, want %#v", s, got, e.value)
		}
	})
}

// lookupJSONPath reads path from a decoded document.
func lookupJSONPath(t *testing.T, node any, path []string) any {
	t.Helper()
	for _, seg := range path {
		switch n := node.(type) {
		case map[string]any:
			node = n[seg]
		case []any:
			var idx int
			if err := json.Unmarshal([]byte(seg), &idx); err != nil || idx >= len(n) {
				t.Fatalf("path part %q does not index %d items", seg, len(n))
			}
			node = n[idx]
		default:
			t.Fatalf("path part %q reaches into %#v", seg, node)
		}
	}
	return node
}
