package ngrok

import (
	"net/url"
	"testing"
)

func TestCheckDomain(t *testing.T) {
	for _, ok := range []string{"calwatch-me.ngrok.app", "a.b", "x1.ngrok-free.app", "hooks.example.com."} {
		if err := CheckDomain(ok); err != nil {
			t.Errorf("CheckDomain(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "localhost", "https://me.ngrok.app", "me.ngrok.app/hook", "me.ngrok.app:443", "-me.ngrok.app", "me..ngrok.app", "me_1.ngrok.app", "me.ngrok.app?x", "u@me.ngrok.app", "mé.ngrok.app"} {
		if err := CheckDomain(bad); err == nil {
			t.Errorf("CheckDomain(%q) accepted it", bad)
		}
	}
}

// FuzzCheckDomain: an accepted domain makes an https URL whose host is
// exactly that domain.
func FuzzCheckDomain(f *testing.F) {
	for _, s := range []string{"calwatch-me.ngrok.app", "a.b", "https://x.y", "x.y/z", "x..y", "\x00.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, d string) {
		if CheckDomain(d) != nil {
			return
		}
		u, err := url.Parse("https://" + d)
		if err != nil || u.Host != d || u.Path != "" {
			t.Fatalf("accepted %q, but https://%s parses to host %q path %q (%v)", d, d, u.Host, u.Path, err)
		}
	})
}

func TestCheckOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://abc.ngrok.app":       "https://abc.ngrok.app",
		"https://abc.ngrok.app/":      "https://abc.ngrok.app",
		"http://abc.ngrok.app:8080":   "http://abc.ngrok.app:8080",
		"https://x-1.ngrok-free.app/": "https://x-1.ngrok-free.app",
	} {
		u, _ := url.Parse(in)
		if got, err := checkOrigin(u); err != nil || got != want {
			t.Errorf("checkOrigin(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"tcp://1.tcp.ngrok.io:1234", "https://u@abc.ngrok.app", "https://abc.ngrok.app/path", "https://abc.ngrok.app?q", "https://bad_host.ngrok.app", "https://abc.ngrok.app:0", "https://abc.ngrok.app:080", "https://[::1]:443", "https://localhost"} {
		u, err := url.Parse(bad)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := checkOrigin(u); err == nil {
			t.Errorf("checkOrigin(%s) accepted it as %q", bad, got)
		}
	}
}

// FuzzCheckOrigin: an origin accepted from ngrok is printable ASCII with
// no spaces and parses back to the same scheme and host.
func FuzzCheckOrigin(f *testing.F) {
	for _, s := range []string{"https://abc.ngrok.app", "http://a.b:1", "https://a.b/%2F", "https://a\u202e.b", "https://a.b:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		origin, err := checkOrigin(u)
		if err != nil {
			return
		}
		for _, c := range []byte(origin) {
			if c <= ' ' || c >= 0x7f {
				t.Fatalf("accepted origin %q holds byte %#x", origin, c)
			}
		}
		back, err := url.Parse(origin)
		if err != nil || back.Scheme != u.Scheme || back.Host != u.Host || back.Path != "" {
			t.Fatalf("origin %q of %q does not parse back (%v)", origin, s, err)
		}
	})
}
