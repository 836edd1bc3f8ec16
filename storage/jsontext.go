package storage

import (
	"strconv"
	"unicode/utf8"

	"github.com/calwatch/calwatch/calendly"
)

// The hot columns of a delivery (its headers, an invitee's answers, a
// cancellation, a location) are written here without reflection. Each
// writer produces the very bytes encoding/json.Marshal would (versions are
// derived from them, and stored rows must not change); jsontext_test.go
// holds them to that on random values and under fuzzing.

const lowerHex = "0123456789abcdef"

// appendJSONString appends s as encoding/json writes a string: quoted,
// with ", \ and control characters escaped, <, > and & escaped for HTML,
// U+2028 and U+2029 escaped, and each byte of invalid UTF-8 replaced by
// \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	return AppendJSONString(dst, s, true, nil)
}

// AppendJSONString appends s as encoding/json writes a string (with
// SetEscapeHTML(escapeHTML)), and also writes as \uXXXX each rune of the
// Basic Multilingual Plane that alsoEscape (if not nil) names: for output
// a terminal shows, the runes that steer it. It is the one string escaper
// of the hand-written JSON writers (storage's columns, the CLI's lists).
func AppendJSONString(dst []byte, s string, escapeHTML bool, alsoEscape func(rune) bool) []byte {
	plain := &jsonPlainASCII
	if escapeHTML {
		plain = &jsonPlainASCIIForHTML
	}
	dst = append(dst, '"')
	done := 0 // s[:done] is already in dst
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', lowerHex[c>>4], lowerHex[c&0xf])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[done:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029' || alsoEscape != nil && r <= 0xffff && alsoEscape(r):
			dst = append(dst, s[done:i]...)
			dst = append(dst, '\\', 'u', lowerHex[r>>12&0xf], lowerHex[r>>8&0xf], lowerHex[r>>4&0xf], lowerHex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}

// jsonPlainASCII[c] is whether encoding/json writes the ASCII byte c as
// it is; jsonPlainASCIIForHTML, when it also escapes <, > and &.
var jsonPlainASCII, jsonPlainASCIIForHTML = func() (plain, forHTML [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		plain[c] = c >= 0x20 && c != '"' && c != '\\'
		forHTML[c] = plain[c] && c != '<' && c != '>' && c != '&'
	}
	return plain, forHTML
}()

// appendAnswers appends answers as json.Marshal writes a
// []calendly.QuestionAnswer ("null" for nil).
func appendAnswers(dst []byte, answers []calendly.QuestionAnswer) []byte {
	if answers == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, a := range answers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"question":`...)
		dst = appendJSONString(dst, a.Question)
		dst = append(dst, `,"answer":`...)
		dst = appendJSONString(dst, a.Answer)
		dst = append(dst, `,"position":`...)
		dst = strconv.AppendInt(dst, int64(a.Position), 10)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendCancellation appends c as json.Marshal writes a
// *calendly.Cancellation ("null" for nil).
func appendCancellation(dst []byte, c *calendly.Cancellation) []byte {
	if c == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"canceled_by":`...)
	dst = appendJSONString(dst, c.CanceledBy)
	dst = append(dst, `,"reason":`...)
	if c.Reason == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendJSONString(dst, *c.Reason)
	}
	dst = append(dst, `,"canceler_type":`...)
	dst = appendJSONString(dst, c.CancelerType)
	if !c.CreatedAt.IsZero() {
		// Time's MarshalJSON writes its layout, whose digits, letters, '-',
		// ':', '.' and '+' need no escaping.
		dst = append(dst, `,"created_at":"`...)
		dst = c.CreatedAt.UTC().AppendFormat(dst, calendly.TimeLayout)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}

// appendLocation appends l as json.Marshal writes a *calendly.Location
// ("null" for nil). It reports false, writing nothing, when l carries Data:
// json.Marshal re-compacts raw JSON, which is left to it.
func appendLocation(dst []byte, l *calendly.Location) ([]byte, bool) {
	if l == nil {
		return append(dst, "null"...), true
	}
	if len(l.Data) != 0 {
		return dst, false
	}
	dst = append(dst, `{"type":`...)
	dst = appendJSONString(dst, l.Type)
	for _, f := range [...]struct{ key, value string }{
		{`,"location":`, l.Location},
		{`,"additional_info":`, l.AdditionalInfo},
		{`,"join_url":`, l.JoinURL},
		{`,"status":`, l.Status},
		{`,"phone_number":`, l.PhoneNumber},
	} {
		if f.value != "" {
			dst = append(dst, f.key...)
			dst = appendJSONString(dst, f.value)
		}
	}
	return append(dst, '}'), true
}

// appendStrings appends ss as json.Marshal writes a []string ("null" for
// nil).
func appendStrings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

// appendPeople appends people as json.Marshal writes a []person ("null"
// for nil).
func appendPeople(dst []byte, people []person) []byte {
	if people == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, p := range people {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"uri":`...)
		dst = appendJSONString(dst, p.URI)
		dst = append(dst, `,"email":`...)
		dst = appendJSONString(dst, p.Email)
		dst = append(dst, `,"contact":`...)
		dst = appendJSONString(dst, p.Contact)
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, p.Name)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// asReadBack is s as a JSON string written by appendJSONString reads back:
// each byte of invalid UTF-8 becomes U+FFFD.
func asReadBack(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = utf8.AppendRune(b, utf8.RuneError)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return string(b)
}
