package listener

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// FuzzHandler throws arbitrary bodies and signature headers at the handler,
// sometimes correctly signed: it never panics, never answers 2xx unless the
// body was signed with the key, and never echoes the key.
func FuzzHandler(f *testing.F) {
	valid := fixture(f, "invitee_created.json")
	f.Add(valid, "", true)
	f.Add(valid, "t=1,v1=00", false)
	f.Add([]byte(`{"event":"invitee.created","payload":{}}`), "", true)
	f.Add([]byte(`{"event":"x","payload":{"a":[[[[[]]]]]}}`), "", true)
	f.Add([]byte(`[]`), "", true)
	f.Add([]byte(`{"event":"invitee.created","payload":{"uri":"u","event":"e","email":7}}`), "", true)
	f.Add([]byte{}, "t=,v1=", false)
	f.Add([]byte("\x00\xff"), "t=9999999999,v1="+strings.Repeat("a", 64), false)
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		store := newFakeStore()
		h := newTestHandler(t, store, nil)
		req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
		if sign {
			header = calendly.Sign([]byte(testKey), testNow.Add(-time.Second), body)
		}
		req.Header.Set(calendly.SignatureHeader, header)
		rec := serve(h, req)
		signed := sign || validSignature(header, body)
		if rec.Code/100 == 2 && !signed {
			t.Fatalf("answered %d to a body not signed with the key", rec.Code)
		}
		if applied, _ := store.counts(); applied > 0 && !signed {
			t.Fatal("stored a delivery not signed with the key")
		}
		if strings.Contains(rec.Body.String(), testKey) {
			t.Fatal("answer contains the signing key")
		}
		if rec.Code/100 != 2 && rec.Code != http.StatusUnauthorized && rec.Code != http.StatusBadRequest && rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}

func validSignature(header string, body []byte) bool {
	_, err := calendly.Verify(header, body, []byte(testKey), testNow, 0)
	return err == nil
}

// FuzzCheckPath: an accepted path is exactly what a URL carries, so the
// handler's exact comparison matches the URL Calendly is given.
func FuzzCheckPath(f *testing.F) {
	for _, s := range []string{DefaultPath, "/", "", "/a//b", "/a/../b", "/a?b", "/%41", "/a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if CheckPath(p) != nil {
			return
		}
		req := httptest.NewRequest(http.MethodPost, "http://h"+p, nil)
		if req.URL.Path != p || req.URL.RawQuery != "" {
			t.Fatalf("accepted %q but a request to it has path %q", p, req.URL.Path)
		}
	})
}

// FuzzCheckAddr: an accepted address is one net.Listen understands.
func FuzzCheckAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", ":0", "[::1]:1", "host", "a:b:c", "x:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		if CheckAddr(addr) != nil {
			return
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatalf("accepted %q: %v", addr, err)
		}
		if _, err := net.LookupPort("tcp", port); err != nil {
			t.Fatalf("accepted %q with port %q: %v", addr, port, err)
		}
		if strings.ContainsAny(host, "/ %") {
			t.Fatalf("accepted host %q", host)
		}
	})
}

// FuzzPublicWebhookURL: an accepted origin gives a URL that parses back to
// the same host and exactly the webhook path.
func FuzzPublicWebhookURL(f *testing.F) {
	for _, s := range []string{"https://abc.example.com", "http://h:1/", "https://u@h", "https://h/x", "https://h?", "//h", "https://[::1]:8443"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, origin string) {
		got, err := PublicWebhookURL(origin, DefaultPath)
		if err != nil {
			return
		}
		u, err := url.Parse(got)
		if err != nil || u.Path != DefaultPath || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Host == "" {
			t.Fatalf("origin %q gave %q (%+v, %v)", origin, got, u, err)
		}
	})
}
