package listener

import (
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// bodyChunk is the buffer a body is first read into: every real Calendly
// delivery (a few KiB) fits, so the common case is one allocation of the
// exact size. Larger bodies grow it as their bytes arrive, never ahead of
// them, so a request that claims a large Content-Length and then sends
// little holds at most this much.
const bodyChunk = 16 << 10

// readBody reads a body that claims to be claimed bytes long (-1: not
// said, e.g. chunked) into a buffer that grows as bytes arrive. Over limit
// it returns an *http.MaxBytesError and the first limit bytes, or nothing
// when the claim alone is over the limit. A body that ends before its
// claimed length is io.ErrUnexpectedEOF.
func readBody(r io.Reader, claimed, limit int64) ([]byte, error) {
	if claimed > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	if r == nil {
		r = http.NoBody
	}
	size := int64(bodyChunk)
	if claimed >= 0 && claimed < size {
		size = claimed
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if claimed >= 0 && int64(len(buf)) >= claimed {
				// Everything claimed is here; net/http never hands a
				// handler more than Content-Length.
				return buf, nil
			}
			next := min(2*int64(cap(buf)), limit+1)
			if claimed >= 0 {
				next = min(next, claimed)
			}
			buf = slices.Grow(buf, int(next)-len(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return buf[:limit], &http.MaxBytesError{Limit: limit}
		}
		switch {
		case err == io.EOF && claimed >= 0 && int64(len(buf)) < claimed:
			return buf, io.ErrUnexpectedEOF
		case err == io.EOF:
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
}

// isJSONContentType reports whether the request's one Content-Type is
// application/json, with only well-formed parameters and, if it names a
// charset, UTF-8. Calendly always sends JSON; a web page can make a
// browser POST text/plain, form data or multipart without asking first
// (no CORS preflight), and those are the requests this keeps out.
func isJSONContentType(h http.Header) bool {
	values := h["Content-Type"]
	if len(values) != 1 {
		return false
	}
	mediaType, _, hasParams := strings.Cut(values[0], ";")
	if !strings.EqualFold(strings.TrimSpace(mediaType), "application/json") {
		return false
	}
	if !hasParams {
		return true // the common case: no parsing, no allocation
	}
	_, params, err := mime.ParseMediaType(values[0])
	if err != nil {
		return false
	}
	charset, named := params["charset"]
	return !named || strings.EqualFold(charset, "utf-8")
}
