package story

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseRefusesWhatItCannotRun(t *testing.T) {
	book := "  - book: a\n    email: a@example.com\n"
	cases := map[string]struct{ src, want string }{
		"no steps":         {"name: x\n", "no steps"},
		"unknown top key":  {"nmae: x\nsteps:\n" + book, "nmae"},
		"unknown step key": {"steps:\n  - book: a\n    emial: a@example.com\n", "step 1 (line 2)"},
		"two actions":      {"steps:\n" + book + "  - cancel: a\n    no_show: a\n", "exactly one of"},
		"no action":        {"steps:\n  - quirk: drop\n", "exactly one of"},
		"unbooked name":    {"steps:\n  - cancel: b\n", `cancel "b": no one of that name`},
		"booked twice":     {"steps:\n" + book + book, "booked already"},
		"no email":         {"steps:\n  - book: a\n", "needs an email"},
		"bad email":        {"steps:\n  - book: a\n    email: not-an-email\n", "not an email address"},
		"bad guest":        {"steps:\n  - book: a\n    email: a@example.com\n    guests: [x]\n", "guest"},
		"unknown quirk":    {"steps:\n  - book: a\n    email: a@example.com\n    quirk: lost\n", `unknown quirk "lost"`},
		"bad start":        {"steps:\n  - book: a\n    email: a@example.com\n    start: tomorrow\n", "neither a duration"},
		"far start":        {"steps:\n  - book: a\n    email: a@example.com\n    start: 900000h\n", "too far"},
		"key for another":  {"steps:\n" + book + "  - cancel: a\n    email: b@example.com\n", "email is for book steps"},
		"bad by":           {"steps:\n" + book + "  - cancel: a\n    by: robot\n", "invitee or host"},
		"join unknown":     {"steps:\n  - book: a\n    email: a@example.com\n    join: z\n", `join "z"`},
		"empty check":      {"steps:\n  - check: []\n", "no expectations"},
		"bad path":         {"steps:\n  - check:\n      - path: 'a[x'\n        equals: 1\n", "[ without ]"},
		"check quirk":      {"steps:\n  - check:\n      - path: a\n        equals: 1\n    quirk: drop\n", "takes no quirk"},
		"not yaml":         {"steps: [\n", "test.yaml"},
		"too big":          {"steps:\n" + strings.Repeat("#", MaxFileBytes), "larger than"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(c.src))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.src)
			}
			if !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line mentioning %q", err, c.want)
			}
		})
	}
}

func TestStarterParses(t *testing.T) {
	sc, err := Parse("my-story.yaml", Starter("my-story"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "my-story" || len(sc.Steps) != 3 || sc.Steps[1].Quirk != QuirkReversed {
		t.Errorf("starter parsed as %q with %d steps", sc.Name, len(sc.Steps))
	}
}

func TestPathLookup(t *testing.T) {
	var doc any
	json.Unmarshal([]byte(`{"events":[{"uri":"https://x/e.1","n":2,"invitees":[{"email":"a@b.c","no_show":true}]},{"uri":"u2"}],"counts":{"7":1}}`), &doc)
	cases := map[string]string{
		"events.#":      "2",
		"events[1].uri": `"u2"`,
		"events.1.uri":  `"u2"`,
		"events[uri=https://x/e.1].invitees[email=a@b.c].no_show": "true",
		"events[n=2].uri":       `"https://x/e.1"`,
		"events[0].invitees[0]": `{"email":"a@b.c","no_show":true}`,
	}
	for p, want := range cases {
		path, err := ParsePath(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		v, err := path.Lookup(doc)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got, _ := json.Marshal(v); string(got) != want {
			t.Errorf("%s = %s, want %s", p, got, want)
		}
	}
	for p, want := range map[string]string{"events[5]": "[5] of a list of 2", "events.x": `key "x" of a list`, "events[uri=zz]": "no element", "events[0].uri.#": "# of a string"} {
		path, _ := ParsePath(p)
		if _, err := path.Lookup(doc); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", p, err, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("steps:\n  - book: a\n    email: a@example.com\n  - cancel: a\n    quirk: retry\n"))
	f.Add(Starter("x"))
	for _, name := range []string{"reschedule", "group-with-guests", "late-and-lost"} {
		data, _ := ShippedFile(name)
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a, *a]\nsteps: *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("a two-line error: %q", err)
			}
			return
		}
		if len(sc.Steps) == 0 {
			t.Fatal("accepted a scenario with no steps")
		}
		for _, st := range sc.Steps {
			if st.Action == "" || (st.Action != ActionCheck && st.Who == "") {
				t.Fatalf("accepted a step with no action or person: %+v", st)
			}
		}
	})
}

func FuzzParsePath(f *testing.F) {
	for _, p := range []string{"a.b[0].c", "[uri=x.y]", "#", "a[k=v].#", "0.1"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		path, err := ParsePath(p)
		if err != nil {
			return
		}
		var doc any
		json.Unmarshal([]byte(`{"a":[{"k":"v","b":[1]}],"0":{"1":true}}`), &doc)
		path.Lookup(doc) // must not panic
	})
}
