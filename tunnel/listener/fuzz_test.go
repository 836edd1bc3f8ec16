package listener

import (
	"bufio"
	"bytes"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// The ways a fuzzed request frames its body.
const (
	framingExact   = iota // Content-Length is the body's length
	framingShorter        // Content-Length is less: the rest would be the next request
	framingLonger         // Content-Length is more: the body ends early (the claim may pass the limit)
	framingAbsent         // neither Content-Length nor chunked: no body at all
	framingChunked        // Transfer-Encoding: chunked, in pieces of a fuzzed size
	framings
)

// FuzzHandler throws arbitrary bodies, signature headers and body framings
// (true, false and missing lengths, chunked) at the handler, through the
// request parser net/http's server uses, sometimes correctly signed. It
// never panics; answers 2xx only to bytes received that were signed with
// the key; stores those bytes exactly; hands storage no more of a refused
// request than the body it read (at most MaxBodyBytes) and 16 KiB of
// header; never echoes the key; and, short of parsing a signed body,
// allocates in proportion to what arrived, never to what was claimed.
func FuzzHandler(f *testing.F) {
	valid := fixture(f, "invitee_created.json")
	f.Add(valid, "", true, uint8(framingExact), uint32(0))
	f.Add(valid, "t=1,v1=00", false, uint8(framingExact), uint32(0))
	f.Add(valid, "", true, uint8(framingShorter), uint32(7))
	f.Add(valid, "", true, uint8(framingLonger), uint32(DefaultMaxBodyBytes))
	f.Add(valid, "", true, uint8(framingLonger), uint32(2*DefaultMaxBodyBytes))
	f.Add(valid, "", true, uint8(framingLonger), uint32(DefaultMaxBodyBytes-8192))
	f.Add(valid, "", true, uint8(framingAbsent), uint32(0))
	f.Add(valid, "", true, uint8(framingChunked), uint32(100))
	f.Add([]byte(`{"event":"invitee.created","payload":{}}`), "", true, uint8(framingChunked), uint32(1))
	f.Add([]byte(`{"event":"x","payload":{"a":[[[[[]]]]]}}`), "", true, uint8(framingExact), uint32(0))
	f.Add([]byte(`[]`), "", true, uint8(framingExact), uint32(0))
	f.Add([]byte(`{"event":"invitee.created","payload":{"uri":"u","event":"e","email":7}}`), "", true, uint8(framingExact), uint32(0))
	f.Add([]byte{}, "t=,v1=", false, uint8(framingLonger), uint32(3))
	f.Add([]byte("\x00\xff"), "t=9999999999,v1="+strings.Repeat("a", 64), false, uint8(framingExact), uint32(0))
	f.Add([]byte("{}"), strings.Repeat("t=1,", 5000), false, uint8(framingExact), uint32(0))
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool, framing uint8, skew uint32) {
		store := newFakeStore()
		h := newTestHandler(t, store, nil)
		if sign {
			header = calendly.Sign([]byte(testKey), testNow.Add(-time.Second), body)
		}
		req, received, whole := framedRequest(t, body, framing%framings, skew)
		req.Header.Set(calendly.SignatureHeader, header)

		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rec := serve(h, req)
		runtime.ReadMemStats(&after)

		signed := whole && validSignature(header, received)
		// Signed bytes go on to be parsed, which allocates by their shape;
		// everything else is bounded by what arrived.
		if allocated, limit := after.TotalAlloc-before.TotalAlloc, uint64(16*len(received)+8*bodyChunk); !signed && allocated > limit {
			t.Fatalf("%d bytes received (%d claimed) made the handler allocate %d bytes, want at most %d", len(received), req.ContentLength, allocated, limit)
		}
		if rec.Code/100 == 2 && !signed {
			t.Fatalf("answered %d to bytes not signed with the key", rec.Code)
		}
		if len(store.delivered) > 0 && (!signed || !bytes.Equal(store.delivered[0].Body, received)) {
			t.Fatal("stored a delivery other than the signed bytes received")
		}
		for _, r := range store.refused {
			if len(r.Body) > min(len(received), DefaultMaxBodyBytes) || len(r.SignatureHeader) > maxHeaderBytes || len(r.Reason) > 1024 {
				t.Fatalf("handed storage a refused request of %d body bytes (%d received), %d header bytes, a %d-byte reason",
					len(r.Body), len(received), len(r.SignatureHeader), len(r.Reason))
			}
		}
		if strings.Contains(rec.Body.String(), testKey) {
			t.Fatal("answer contains the signing key")
		}
		switch rec.Code {
		case http.StatusOK, http.StatusUnauthorized, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}

// framedRequest is a POST of body framed as framing says, read back by
// http.ReadRequest as the server reads it; received is the body the
// request carries once framed (what a handler can read of it); whole is
// false when that ends before its Content-Length.
func framedRequest(t *testing.T, body []byte, framing uint8, skew uint32) (req *http.Request, received []byte, whole bool) {
	t.Helper()
	var wire bytes.Buffer
	wire.WriteString("POST " + DefaultPath + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
	received, whole = body, true
	switch framing {
	case framingExact:
		fmt.Fprintf(&wire, "Content-Length: %d\r\n\r\n%s", len(body), body)
	case framingShorter:
		n := 0
		if len(body) > 0 {
			n = len(body) - 1 - int(skew)%len(body)
		}
		received = body[:n]
		fmt.Fprintf(&wire, "Content-Length: %d\r\n\r\n%s", n, body)
	case framingLonger:
		whole = false
		fmt.Fprintf(&wire, "Content-Length: %d\r\n\r\n%s", len(body)+1+int(skew%(2*DefaultMaxBodyBytes)), body)
	case framingAbsent:
		received = nil
		fmt.Fprintf(&wire, "\r\n%s", body)
	case framingChunked:
		wire.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		piece := 1 + int(skew%4096)
		for rest := body; len(rest) > 0; rest = rest[min(piece, len(rest)):] {
			fmt.Fprintf(&wire, "%x\r\n%s\r\n", min(piece, len(rest)), rest[:min(piece, len(rest))])
		}
		wire.WriteString("0\r\n\r\n")
	}
	req, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatalf("the framed request does not parse: %v", err)
	}
	return req, received, whole
}

// FuzzContentType: an accepted Content-Type is one JSON media type, and
// any charset it names is UTF-8.
func FuzzContentType(f *testing.F) {
	for _, s := range []string{"application/json", "application/json; charset=utf-8", "text/plain", "application/json;", "application/json; charset=utf-16", `application/json; charset="utf-8"`, "APPLICATION/JSON", "application/json, text/plain"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if !isJSONContentType(http.Header{"Content-Type": {value}}) {
			return
		}
		mediaType, params, err := mime.ParseMediaType(value)
		if err != nil || mediaType != "application/json" {
			t.Fatalf("accepted %q: media type %q, %v", value, mediaType, err)
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			t.Fatalf("accepted %q with charset %q", value, cs)
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
	for _, s := range []string{"https://abc.example.com", "http://h:1/", "http://localhost:1", "http://127.0.0.2", "https://u@h", "https://h/x", "https://h?", "//h", "https://[::1]:8443"} {
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
		if u.Scheme != "https" && !isLoopbackHost(u.Hostname()) {
			t.Fatalf("origin %q gave %q: personal data in clear to another machine", origin, got)
		}
	})
}
