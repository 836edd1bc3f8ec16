package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain", "Ana Costa", "Ana Costa"},
		{"unicode kept", "Joana Anastácio 李伟 مريم", "Joana Anastácio 李伟 مريم"},
		{"title and clear", "Eve\x1b]0;owned\a\x1b[2J", "Eve]0;owned[2J"},
		{"C1 CSI", "a\u009b31mb", "a31mb"},
		{"bidi override", "invoice\u202etxt.exe", "invoicetxt.exe"},
		{"bidi isolate", "x\u2066y\u2069z", "xyz"},
		{"tabs and breaks become spaces", "a\tb\nc\r\nd", "a b c  d"},
		{"DEL", "a\x7fb", "ab"},
		{"bad UTF-8", "a\xffb", "a\uFFFDb"},
	}
	for _, c := range cases {
		if got := Line(c.in); got != c.want {
			t.Errorf("%s: Line(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

func TestBlockKeepsLines(t *testing.T) {
	got := Block("one\r\ntwo\rthree\n\x1b[1Afour")
	if want := "one\ntwo three\n[1Afour"; got != want {
		t.Errorf("Block = %q, want %q", got, want)
	}
}

func TestSafeTextIsReturnedAsIs(t *testing.T) {
	s := "Intro Call · Thu 18 Jun"
	if got := Line(s); got != s {
		t.Fatalf("Line changed safe text: %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { Line(s) }); n != 0 {
		t.Errorf("Line of safe text allocated %v times", n)
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"", "Eve\x1b]0;owned\a", "a\u202eb", "\xff\xfe", "x\r\ny\tz", "\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, out := range map[string]string{"Line": Line(s), "Block": Block(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("%s(%q) is not UTF-8: %q", name, s, out)
			}
			for _, r := range out {
				if dropped(r) && !(name == "Block" && r == '\n') {
					t.Fatalf("%s(%q) kept %U: %q", name, s, r, out)
				}
			}
			if name == "Line" && strings.ContainsAny(out, "\r\n\t") {
				t.Fatalf("Line(%q) kept a line break or tab: %q", s, out)
			}
			if Line(out) != out && name == "Line" {
				t.Fatalf("Line is not idempotent on %q", s)
			}
		}
	})
}
