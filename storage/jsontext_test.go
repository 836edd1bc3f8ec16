package storage

import (
	"encoding/json"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"pgregory.net/rapid"
)

// jsonText is text rich in what JSON escapes: quotes, backslashes, control
// bytes, HTML characters, U+2028/9, DEL, multi-byte runes and invalid UTF-8.
func jsonText() *rapid.Generator[string] {
	pieces := []string{"\"", "\\", "\x00", "\x1f", "\b", "\f", "\n", "\r", "\t", "<", ">", "&",
		"\u2028", "\u2029", "\x7f", "é", "日本", "😀", "\xff", "\xe2\x80", "\xed\xa0\x80", "a", "Z", " ", "/", "+"}
	return rapid.Custom(func(t *rapid.T) string {
		if rapid.Bool().Draw(t, "plain") {
			return rapid.String().Draw(t, "s")
		}
		parts := rapid.SliceOfN(rapid.SampledFrom(pieces), 0, 12).Draw(t, "parts")
		return strings.Join(parts, "")
	})
}

func marshalText(t interface{ Fatalf(string, ...any) }, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%#v): %v", v, err)
	}
	return string(b)
}

// TestJSONStringMatchesEncodingJSON: every string is written byte for byte
// as encoding/json writes it.
func TestJSONStringMatchesEncodingJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := jsonText().Draw(t, "s")
		if got, want := string(appendJSONString(nil, s)), marshalText(t, s); got != want {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\\x00\x1f<>&\u2028\u2029\x7f", "\xff\xe2\x80", "é😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendJSONString(nil, s)), marshalText(t, s); got != want {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	})
}

// TestEncodeJSONMatchesEncodingJSON: the columns answers, cancellation,
// location, hosts and guests are stored with exactly the bytes
// encoding/json gives them, so no stored value or version changes.
func TestEncodeJSONMatchesEncodingJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var values []any
		answers := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) calendly.QuestionAnswer {
			return calendly.QuestionAnswer{Question: jsonText().Draw(t, "q"), Answer: jsonText().Draw(t, "a"), Position: rapid.Int().Draw(t, "pos")}
		}), 0, 4).Draw(t, "answers")
		if rapid.Bool().Draw(t, "nil answers") {
			answers = nil
		}
		values = append(values, answers)
		var cancellation *calendly.Cancellation
		if rapid.Bool().Draw(t, "canceled") {
			cancellation = &calendly.Cancellation{CanceledBy: jsonText().Draw(t, "by"), CancelerType: jsonText().Draw(t, "type"),
				Reason: rapid.Ptr(jsonText(), true).Draw(t, "reason")}
			if rapid.Bool().Draw(t, "dated") {
				sec := rapid.Int64Range(-62135596800, 253402300799).Draw(t, "sec")
				nsec := rapid.Int64Range(0, 999999999).Draw(t, "nsec")
				zone := time.FixedZone("z", rapid.IntRange(-50000, 50000).Draw(t, "offset"))
				cancellation.CreatedAt = calendly.Time{Time: time.Unix(sec, nsec).In(zone)}
			}
		}
		values = append(values, cancellation)
		var location *calendly.Location
		if rapid.Bool().Draw(t, "located") {
			location = &calendly.Location{Type: jsonText().Draw(t, "ltype")}
			for _, f := range []*string{&location.Location, &location.AdditionalInfo, &location.JoinURL, &location.Status, &location.PhoneNumber} {
				if rapid.Bool().Draw(t, "set") {
					*f = jsonText().Draw(t, "field")
				}
			}
			if rapid.Bool().Draw(t, "data") {
				location.Data = json.RawMessage(`{ "a" : "<b>" , "n": [1, 2.50] }`)
			}
		}
		values = append(values, location)
		people := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) person {
			return person{URI: jsonText().Draw(t, "uri"), Email: jsonText().Draw(t, "email"),
				Contact: jsonText().Draw(t, "contact"), Name: jsonText().Draw(t, "name")}
		}), 0, 3).Draw(t, "people")
		if rapid.Bool().Draw(t, "nil people") {
			people = nil
		}
		emails := rapid.SliceOfN(jsonText(), 0, 3).Draw(t, "emails")
		if rapid.Bool().Draw(t, "nil emails") {
			emails = nil
		}
		values = append(values, people, emails)
		for _, v := range values {
			want := marshalText(t, v)
			if want == "null" {
				want = ""
			}
			if got := encodeJSON(v); got != want {
				t.Fatalf("encodeJSON(%#v) = %s, encoding/json writes %s", v, got, want)
			}
		}
	})
}

func FuzzEncodeJSON(f *testing.F) {
	f.Add("What brings you here?", "<b>a & b</b>\n", 1, "host", "\u2028", "zoom", "https://zoom.us/j/1?a=1&b=2", int64(1700000000123456))
	f.Add("", "", 0, "", "", "", "", int64(0))
	f.Add("\xff", "\x00", -3, "\"", "\\", "physical", "", int64(-1))
	f.Fuzz(func(t *testing.T, question, answer string, position int, canceledBy, reason, locType, joinURL string, micros int64) {
		values := []any{
			[]calendly.QuestionAnswer{{Question: question, Answer: answer, Position: position}, {Question: answer}},
			&calendly.Cancellation{CanceledBy: canceledBy, Reason: &reason, CancelerType: question,
				CreatedAt: calendly.Time{Time: time.UnixMicro(micros % 253402300799000000)}},
			&calendly.Cancellation{CanceledBy: canceledBy},
			&calendly.Location{Type: locType, JoinURL: joinURL, Location: answer},
			[]person{{URI: joinURL, Email: canceledBy, Contact: reason, Name: question}},
			[]string{question, answer},
		}
		for _, v := range values {
			want := marshalText(t, v)
			if got := encodeJSON(v); got != want {
				t.Fatalf("encodeJSON(%#v) = %s, encoding/json writes %s", v, got, want)
			}
		}
	})
}

// headersByEncodingJSON is the headers column as it was written before
// encodeHeaders stopped using encoding/json: each kept header marshalled as
// a pair of strings.
func headersByEncodingJSON(h http.Header, limit int) (string, int) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := strings.Compare(textproto.CanonicalMIMEHeaderKey(a), textproto.CanonicalMIMEHeaderKey(b)); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	var pairs []string
	cut, size := 0, len(`{"h":[`)+len(`],"cut":999999}`)
	for _, name := range names {
		cn := textproto.CanonicalMIMEHeaderKey(name)
		if cn == calendly.SignatureHeader {
			continue
		}
		for _, value := range h[name] {
			if withheldHeaders[cn] {
				value = WithheldValue
			}
			pair, _ := json.Marshal([2]string{cn, value})
			sep := min(len(pairs), 1)
			if size+sep+len(pair) > limit {
				cut++
				continue
			}
			size += sep + len(pair)
			pairs = append(pairs, string(pair))
		}
	}
	column := `{"h":[` + strings.Join(pairs, ",") + "]"
	if cut > 0 {
		column += `,"cut":` + strconv.Itoa(cut)
	}
	return column + "}", cut
}

func checkHeadersMatch(t interface{ Fatalf(string, ...any) }, h http.Header, limit int) {
	got, kept, cut := encodeHeaders(h, limit)
	want, wantCut := headersByEncodingJSON(h, limit)
	if got != want || cut != wantCut {
		t.Fatalf("encodeHeaders(%q, %d) = %s (cut %d), encoding/json writes %s (cut %d)", h, limit, got, cut, want, wantCut)
	}
	if _, empty := h[""]; empty {
		return // net/http refuses a request with an empty header name; none is read back
	}
	back, backCut, err := DecodeHeaders(got)
	if err != nil || backCut != cut || !slices.Equal(back, kept) {
		t.Fatalf("encodeHeaders(%q) kept %v, cut %d; the column reads back as %v, cut %d, %v", h, kept, cut, back, backCut, err)
	}
}

// TestEncodeHeadersMatchesEncodingJSON: the headers column is the same
// text encoding/json wrote, for any names (canonical or not, the signature
// and withheld ones among them), any values and any cap.
func TestEncodeHeadersMatchesEncodingJSON(t *testing.T) {
	names := []string{"Content-Type", "content-type", "X-Forwarded-For", calendly.SignatureHeader, "calendly-webhook-signature",
		"Authorization", "cookie", "User-Agent", "x-ünicode", "Bad Name", ""}
	rapid.Check(t, func(t *rapid.T) {
		h := http.Header{}
		for range rapid.IntRange(0, 8).Draw(t, "headers") {
			name := rapid.OneOf(rapid.SampledFrom(names), jsonText()).Draw(t, "name")
			h[name] = append(h[name], rapid.SliceOfN(jsonText(), 1, 3).Draw(t, "values")...)
		}
		limit := rapid.OneOf(rapid.IntRange(0, 200), rapid.Just(MaxStoredRefusedHeaders), rapid.Just(MaxStoredHeaders)).Draw(t, "limit")
		checkHeadersMatch(t, h, limit)
	})
}

func FuzzEncodeHeaders(f *testing.F) {
	f.Add("content-type", "application/json", "Cookie", "a=b", 512)
	f.Add(calendly.SignatureHeader, "t=1,v1=ab", "x-a", "\u2028<&>\xff", 40)
	f.Fuzz(func(t *testing.T, name1, value1, name2, value2 string, limit int) {
		h := http.Header{name1: {value1, value2}}
		h[name2] = append(h[name2], value1)
		checkHeadersMatch(t, h, limit%(8<<10))
	})
}

// BenchmarkHotColumns compares each hot column written as calwatch writes
// it with the same column through encoding/json (what it cost before).
func BenchmarkHotColumns(b *testing.B) {
	// The headers of a delivery as Calendly sends it (net/http adds the rest).
	h := http.Header{
		"Content-Type":              {"application/json; charset=utf-8"},
		"User-Agent":                {"Calendly-Webhooks"},
		"Accept-Encoding":           {"gzip"},
		"Content-Length":            {"3120"},
		"X-Forwarded-For":           {"34.198.12.7"},
		"X-Forwarded-Proto":         {"https"},
		calendly.SignatureHeader:    {"t=1700000000,v1=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
		"Calendly-Webhook-Delivery": {"6c1f3e9a-8d2b-4b8e-9a47-2f9c0d1e5b3a"},
	}
	reason := "Something came up & I can't make it"
	answers := []calendly.QuestionAnswer{{Question: "Please share anything that will help prepare for our meeting.", Answer: "Talk about <pricing> & onboarding", Position: 0},
		{Question: "Phone", Answer: "+1 555 0100", Position: 1}}
	cancellation := &calendly.Cancellation{CanceledBy: "Ada Lovelace", Reason: &reason, CancelerType: "invitee",
		CreatedAt: calendly.NewTime(time.Date(2026, 11, 30, 20, 0, 0, 123456000, time.UTC))}
	location := &calendly.Location{Type: "zoom", JoinURL: "https://calendly.zoom.us/j/98765432100?pwd=abc", Status: "pushed"}
	hosts := []person{{URI: "https://api.calendly.com/users/AAAAAAAAAAAAAAAA", Email: "host@example.com", Name: "Host Person"}}
	for _, impl := range []struct {
		name    string
		headers func(http.Header, int) string
		column  func(any) string
	}{
		{"encoding-json", func(h http.Header, l int) string { s, _ := headersByEncodingJSON(h, l); return s },
			func(v any) string { out, _ := json.Marshal(v); return string(out) }},
		{"direct", func(h http.Header, l int) string { s, _, _ := encodeHeaders(h, l); return s }, encodeJSON},
	} {
		b.Run("headers/impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				impl.headers(h, MaxStoredHeaders)
			}
		})
		b.Run("apply-columns/impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				impl.column(answers)
				impl.column(cancellation)
				impl.column(location)
				impl.column(hosts)
			}
		})
	}
}
