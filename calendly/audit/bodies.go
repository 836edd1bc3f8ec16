package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// oversizedBytes is how far BodyOversized pads a delivery: real ones are a
// few KiB, and no endpoint needs to read megabytes to verify one.
const oversizedBytes = 6 << 20

// Names that make re-serialisation change the bytes: HTML characters, which
// Calendly (and Go) write as \u0026, and non-ASCII letters.
const (
	htmlName    = "Ada <Lovelace> & Co."
	unicodeName = "Zoë Núñez-Søndergård"
)

// BuildBody writes a delivery of event as body kind says, its content drawn
// from rnd at now.
func BuildBody(kind Body, event string, now time.Time, rnd *rand.Rand) ([]byte, error) {
	sample, err := calendlytest.SampleDelivery(event, now, rnd)
	if err != nil {
		return nil, err
	}
	switch kind {
	case BodyCalendly:
		return sample, nil
	case BodyHTMLEscapes:
		return withPayloadName(sample, htmlName)
	case BodyEscapedSlash:
		// Compact JSON has no / outside strings, and \/ is a valid escape.
		return bytes.ReplaceAll(sample, []byte("/"), []byte(`\/`)), nil
	case BodyUnicodeEscape:
		named, err := withPayloadName(sample, unicodeName)
		if err != nil {
			return nil, err
		}
		return EscapeNonASCII(named), nil
	case BodyPretty:
		var buf bytes.Buffer
		err := json.Indent(&buf, sample, "", "  ")
		return buf.Bytes(), err
	case BodyKeyOrder:
		return Rewrite(sample, Style{KeysDescending: true})
	case BodyFloatNumbers:
		return withPaidAmount(sample)
	case BodySpaced:
		return Rewrite(sample, Style{Spaced: true})
	case BodyOversized:
		pad := `,"padding":"` + strings.Repeat("calwatch audit ", oversizedBytes/15) + `"}`
		return append(bytes.TrimSuffix(sample, []byte("}")), pad...), nil
	}
	return nil, fmt.Errorf("audit: unknown body kind %q", kind)
}

// withPayloadName sets payload.name, written as Calendly writes it.
func withPayloadName(body []byte, name string) ([]byte, error) {
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if p, ok := v["payload"].(map[string]any); ok {
		p["name"] = name
	}
	return json.Marshal(v) // sorted keys, HTML escaped: Calendly's way
}

// withPaidAmount makes the delivery a paid booking whose amount is written
// 25.0, as Ruby (Calendly) writes a float; JavaScript and Go write it 25.
func withPaidAmount(body []byte) ([]byte, error) {
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if p, ok := v["payload"].(map[string]any); ok {
		p["payment"] = map[string]any{
			"amount": json.Number("25.0"), "currency": "EUR", "external_id": "ch_3calwatchaudit0001",
			"provider": "stripe", "successful": true, "terms": "Paid in advance",
		}
	}
	return json.Marshal(v)
}

// EscapeNonASCII writes every non-ASCII character of a JSON text as a
// \uXXXX escape (a surrogate pair above U+FFFF). Valid JSON has such
// characters only inside strings, so the value is unchanged.
func EscapeNonASCII(body []byte) []byte {
	var out bytes.Buffer
	for len(body) > 0 {
		r, size := utf8.DecodeRune(body)
		switch {
		case r < utf8.RuneSelf:
			out.WriteByte(body[0])
		case r == utf8.RuneError && size == 1:
			out.WriteByte(body[0]) // not UTF-8: leave the byte as it is
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&out, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
		body = body[size:]
	}
	return out.Bytes()
}

// Style is how Rewrite writes a JSON value.
type Style struct {
	KeysDescending bool // keys in reverse alphabetical order
	Spaced         bool // ", " and ": " between tokens
}

// Rewrite writes the JSON text body again in style; strings are written as
// encoding/json writes them, numbers as they were.
func Rewrite(body []byte, style Style) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := style.write(&out, v); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func (s Style) write(out *bytes.Buffer, v any) error {
	comma, colon := ",", ":"
	if s.Spaced {
		comma, colon = ", ", ": "
	}
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if s.KeysDescending {
			slices.Reverse(keys)
		}
		out.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				out.WriteString(comma)
			}
			kb, _ := json.Marshal(k)
			out.Write(kb)
			out.WriteString(colon)
			if err := s.write(out, v[k]); err != nil {
				return err
			}
		}
		out.WriteByte('}')
	case []any:
		out.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				out.WriteString(comma)
			}
			if err := s.write(out, e); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	case json.Number:
		out.WriteString(string(v))
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		out.Write(b)
	}
	return nil
}
