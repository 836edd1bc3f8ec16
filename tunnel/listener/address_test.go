package listener

import (
	"net"
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	for _, p := range []string{"/", DefaultPath, "/hooks/a-b_c.d~e/0123"} {
		if err := CheckPath(p); err != nil {
			t.Errorf("CheckPath(%q) = %v, want ok", p, err)
		}
	}
	for _, p := range []string{"", "webhooks", "/a//b", "/a/", "/a/../b", "/./a", "/a?b", "/a#b", "/a b", "/a%2f", "/é", "/" + strings.Repeat("a", maxPathLen)} {
		if err := CheckPath(p); err == nil {
			t.Errorf("CheckPath(%q) accepted", p)
		}
	}
}

func TestRandomPathIsValidAndUnguessable(t *testing.T) {
	a, b := RandomPath(), RandomPath()
	if err := CheckPath(a); err != nil {
		t.Fatal(err)
	}
	if a == b || !strings.HasPrefix(a, DefaultPath+"/") || len(a) < len(DefaultPath)+33 {
		t.Errorf("random paths %q, %q: want distinct, under %s, 128 bits", a, b, DefaultPath)
	}
}

func TestCheckAddr(t *testing.T) {
	for _, a := range []string{"127.0.0.1:8080", ":0", "localhost:65535", "[::1]:443", "0.0.0.0:1"} {
		if err := CheckAddr(a); err != nil {
			t.Errorf("CheckAddr(%q) = %v, want ok", a, err)
		}
	}
	for _, a := range []string{"", "8080", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:http", "127.0.0.1:080", "bad_host:80", "a..b:80", "[::1:80"} {
		if err := CheckAddr(a); err == nil {
			t.Errorf("CheckAddr(%q) accepted", a)
		}
	}
}

func TestPublicWebhookURL(t *testing.T) {
	got, err := PublicWebhookURL("https://abc.example.com/", DefaultPath)
	if err != nil || got != "https://abc.example.com"+DefaultPath {
		t.Errorf("got %q, %v", got, err)
	}
	// http:// only to this machine (a reverse proxy in front of it).
	for _, origin := range []string{"http://localhost:8443", "http://127.0.0.1:8443", "http://[::1]:8443", "HTTP://LOCALHOST"} {
		if _, err := PublicWebhookURL(origin, "/x"); err != nil {
			t.Errorf("PublicWebhookURL(%q) = %v, want ok", origin, err)
		}
	}
	for _, origin := range []string{"http://host:8443", "http://hooks.example.com", "http://10.0.0.1", "http://localhost.example.com", "http://[::1%25lo]"} {
		_, err := PublicWebhookURL(origin, "/x")
		if err == nil || !strings.Contains(err.Error(), "https://") || strings.Contains(err.Error(), "\n") {
			t.Errorf("PublicWebhookURL(%q) = %v, want a one-line refusal naming https://", origin, err)
		}
	}
	for _, u := range []string{"", "abc.example.com", "ftp://a.example", "https://", "https://u:p@a.example", "https://a.example/hook", "https://a.example?x=1", "https://a.example#f", "https://a.example?"} {
		if _, err := PublicWebhookURL(u, DefaultPath); err == nil {
			t.Errorf("PublicWebhookURL(%q) accepted", u)
		}
	}
}

func TestLocalWebhookURL(t *testing.T) {
	cases := map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/p",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/p",
		"[::]:8080":      "http://127.0.0.1:8080/p",
		"[::1]:8080":     "http://[::1]:8080/p",
	}
	for addr, want := range cases {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := LocalWebhookURL(tcp, "/p"); got != want {
			t.Errorf("LocalWebhookURL(%s) = %q, want %q", addr, got, want)
		}
	}
}
