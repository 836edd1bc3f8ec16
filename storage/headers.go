package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"sort"
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
// are left out whole and counted. It returns what it kept, as read back.
// "" (stored NULL) when h is nil.
func encodeHeaders(h http.Header, limit int) (column string, kept []Header, cut int) {
	if h == nil {
		return "", nil, 0
	}
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	canonical := func(name string) string { return textproto.CanonicalMIMEHeaderKey(name) }
	sort.Slice(names, func(i, j int) bool { return canonical(names[i]) < canonical(names[j]) })
	var b strings.Builder
	b.WriteString(`{"h":[`)
	const closing = len(`],"cut":999999}`)
	for _, name := range names {
		cn := canonical(name)
		if cn == calendly.SignatureHeader {
			continue
		}
		for _, value := range h[name] {
			if withheldHeaders[cn] {
				value = WithheldValue
			}
			pair, _ := json.Marshal([2]string{cn, value}) // strings always marshal
			sep := 0
			if len(kept) > 0 {
				sep = 1
			}
			if b.Len()+sep+len(pair)+closing > limit {
				cut++
				continue
			}
			if sep == 1 {
				b.WriteByte(',')
			}
			b.Write(pair)
			kept = append(kept, Header{Name: cn, Value: value})
		}
	}
	b.WriteString("]")
	if cut > 0 {
		b.WriteString(`,"cut":` + strconv.Itoa(cut))
	}
	b.WriteString("}")
	return b.String(), kept, cut
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
