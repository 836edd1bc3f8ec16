package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"github.com/calwatch/calwatch/calendly"
)

// What the delivery log keeps of a request's headers (the headers column,
// see migrations/0009_delivery_answer.sql): every header but the signature
// header, which has a column of its own, within a cap. Anyone can send a
// refused request, so its cap is as small as its signature header's.
const (
	// MaxStoredHeaders is the most of an accepted delivery's headers kept,
	// in bytes of the stored form.
	MaxStoredHeaders = 4 << 10
	// MaxStoredRefusedHeaders is the most of a refused request's headers
	// kept, in bytes of the stored form.
	MaxStoredRefusedHeaders = 512
)

// Header is one request header as received: a canonical name and one of
// its values (a header sent twice is two Headers).
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// withheldHeaders are kept by name only: they may carry a sender's
// credentials, which calwatch has no use for.
var withheldHeaders = map[string]bool{"Authorization": true, "Proxy-Authorization": true, "Cookie": true}

// WithheldValue stands for the value of a header kept by name only.
const WithheldValue = "(not stored)"

// storedHeaders is the headers column's JSON.
type storedHeaders struct {
	Headers [][]string `json:"h"`
	Cut     int        `json:"cut,omitempty"`
}

// encodeHeaders is the headers column for h: canonical names, sorted, the
// signature header left out, within limit bytes. Headers that do not fit
// are left out whole and counted. It returns what it kept, as read back
// (invalid UTF-8 reads back as U+FFFD).
// "" (stored NULL) when h is nil. The column is the JSON encoding/json
// would write for storedHeaders, built without reflection (see
// appendJSONString); two names that canonicalise alike keep the order of
// their names as received.
func encodeHeaders(h http.Header, limit int) (column string, kept []Header, cut int) {
	if h == nil {
		return "", nil, 0
	}
	type name struct{ canonical, received string }
	names := make([]name, 0, len(h))
	values := 0
	for received, vs := range h {
		names = append(names, name{textproto.CanonicalMIMEHeaderKey(received), received})
		values += len(vs)
	}
	slices.SortFunc(names, func(a, b name) int {
		if c := strings.Compare(a.canonical, b.canonical); c != 0 {
			return c
		}
		return strings.Compare(a.received, b.received)
	})
	kept = make([]Header, 0, values)
	b := make([]byte, 0, max(0, min(limit, 1024)))
	b = append(b, `{"h":[`...)
	const closing = len(`],"cut":999999}`)
	var pair []byte
	for _, n := range names {
		if n.canonical == calendly.SignatureHeader {
			continue
		}
		for _, value := range h[n.received] {
			if withheldHeaders[n.canonical] {
				value = WithheldValue
			}
			pair = append(appendJSONString(append(pair[:0], '['), n.canonical), ',')
			pair = append(appendJSONString(pair, value), ']')
			sep := 0
			if len(kept) > 0 {
				sep = 1
			}
			if len(b)+sep+len(pair)+closing > limit {
				cut++
				continue
			}
			if sep == 1 {
				b = append(b, ',')
			}
			b = append(b, pair...)
			kept = append(kept, Header{Name: asReadBack(n.canonical), Value: asReadBack(value)})
		}
	}
	b = append(b, ']')
	if cut > 0 {
		b = append(b, `,"cut":`...)
		b = strconv.AppendInt(b, int64(cut), 10)
	}
	b = append(b, '}')
	return string(b), kept, cut
}

// DecodeHeaders reads a headers column back. It refuses anything that is
// not the form encodeHeaders writes: an empty name, a negative cut, a pair
// that is not two strings.
func DecodeHeaders(column string) (headers []Header, cut int, err error) {
	if column == "" {
		return nil, 0, nil
	}
	var s storedHeaders
	dec := json.NewDecoder(strings.NewReader(column))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, 0, fmt.Errorf("storage: the stored headers do not read (%w); the row's headers are unknown", err)
	}
	if dec.More() {
		return nil, 0, errors.New("storage: the stored headers have data after them; the row's headers are unknown")
	}
	if s.Cut < 0 {
		return nil, 0, fmt.Errorf("storage: the stored headers say %d were cut; the row's headers are unknown", s.Cut)
	}
	headers = make([]Header, 0, len(s.Headers))
	for _, p := range s.Headers {
		if len(p) != 2 || p[0] == "" {
			return nil, 0, errors.New("storage: a stored header is not a name and a value; the row's headers are unknown")
		}
		headers = append(headers, Header{Name: p[0], Value: p[1]})
	}
	return headers, s.Cut, nil
}
