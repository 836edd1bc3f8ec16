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
