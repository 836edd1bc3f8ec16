package forward

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, c := range []struct {
		raw, why string // why: a word of the refusal, "" when accepted
	}{
		{"http://127.0.0.1:3000/webhooks/calendly", ""},
		{"https://staging.example.com/hooks?x=1", ""},
		{"HTTP://localhost:8080/", ""},
		{"http://[::1]:9000/h", ""},
		{"", "empty"},
		{"127.0.0.1:3000/hook", "http"},
		{"ftp://example.com/", "http"},
		{"http:///path", "host"},
		{"http:example.com", "host"},
		{"http://user:secret@example.com/", "credentials"},
		{"http://example.com/#frag", "fragment"},
		{"http://example.com:0/", "port"},
		{"http://example.com:70000/", "port"},
		{"http://example.com:/", "port"},
		{"http://exa mple.com/", "URL"},
		{"http://example.com/\x1b[2J", "URL"},
		{"http://example.com/" + strings.Repeat("a", maxTargetLen), "long"},
	} {
		u, err := ParseTarget(c.raw)
		switch {
		case c.why == "" && err != nil:
			t.Errorf("ParseTarget(%q) = %v, want it accepted", c.raw, err)
		case c.why != "" && err == nil:
			t.Errorf("ParseTarget(%q) = %v, want it refused (%s)", c.raw, u, c.why)
		case c.why != "" && !strings.Contains(err.Error(), c.why):
			t.Errorf("ParseTarget(%q) = %q, want it to mention %q", c.raw, err, c.why)
		}
	}
}

func TestPlainRemote(t *testing.T) {
	for raw, want := range map[string]bool{
		"http://127.0.0.1:3000/":       false,
		"http://127.8.9.1/":            false,
		"http://localhost/":            false,
		"http://app.localhost/":        false,
		"http://[::1]/":                false,
		"https://example.com/":         false,
		"http://example.com/":          true,
		"http://192.168.1.10:3000/":    true,
		"http://localhost.example.com": true,
	} {
		u, err := ParseTarget(raw)
		if err != nil {
			t.Fatal(err)
		}
		if got := PlainRemote(u); got != want {
			t.Errorf("PlainRemote(%s) = %v, want %v", raw, got, want)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:3000/webhooks/calendly", "https://a.example/x?y=1", "http://u:p@h/",
		"http://h:99999/", "http://[::1]:80/", "http://%41/", "http://h/#f", "//h/p", "http://h:/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseTarget(raw)
		if err != nil {
			if u != nil {
				t.Fatalf("ParseTarget(%q) returned a URL with its error", raw)
			}
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.Fragment != "" {
			t.Fatalf("ParseTarget(%q) accepted %#v", raw, u)
		}
		again, err := ParseTarget(u.String())
		if err != nil {
			t.Fatalf("ParseTarget(%q) accepted it, but not its own rendering %q: %v", raw, u.String(), err)
		}
		if again.String() != u.String() {
			t.Fatalf("%q renders %q, which renders %q", raw, u.String(), again.String())
		}
	})
}
