package calendlytest

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/calwatch/calwatch/calendly"
)

// Calendly's list limits.
const (
	defaultPageCount = 20
	maxPageCount     = 100
)

// pageRequest is the count and page_token of a list request.
type pageRequest struct {
	count  int
	offset int
}

// parsePage reads count and page_token, adding what is wrong to problems.
func parsePage(q url.Values, problems *detailList) pageRequest {
	p := pageRequest{count: defaultPageCount}
	if raw, ok := q["count"]; ok {
		n, err := strconv.Atoi(firstValue(raw))
		if err != nil || n < 1 || n > maxPageCount {
			problems.add("count", "must be an integer between 1 and 100")
		} else {
			p.count = n
		}
	}
	if raw, ok := q["page_token"]; ok {
		offset, ok := decodePageToken(firstValue(raw))
		if !ok {
			problems.add("page_token", "is invalid; use next_page_token or previous_page_token from a previous answer")
		} else {
			p.offset = offset
		}
	}
	return p
}

// A page token is the offset of the page's first row, opaque to clients.
const pageTokenPrefix = "calwatch-emulator:"

func encodePageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + strconv.Itoa(offset)))
}

func decodePageToken(token string) (int, bool) {
	if len(token) > 64 {
		return 0, false
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil {
		return 0, false
	}
	digits, ok := strings.CutPrefix(string(raw), pageTokenPrefix)
	if !ok {
		return 0, false
	}
	offset, err := strconv.Atoi(digits)
	// Only the emulator's own spelling is accepted (base64 skips newlines).
	if err != nil || offset < 0 || encodePageToken(offset) != token {
		return 0, false
	}
	return offset, true
}

// list is the {"collection", "pagination"} answer of every list endpoint.
type list[T any] struct {
	Collection []T                 `json:"collection"`
	Pagination calendly.Pagination `json:"pagination"`
}

// paginate cuts one page out of rows. The next and previous page links are
// full URLs on origin with r's query and the page's token.
func paginate[T any](rows []T, p pageRequest, origin string, r *http.Request) list[T] {
	start := min(p.offset, len(rows))
	end := min(start+p.count, len(rows))
	page := list[T]{Collection: make([]T, 0, end-start)}
	page.Collection = append(page.Collection, rows[start:end]...)
	page.Pagination.Count = len(page.Collection)
	link := func(offset int) (*string, *string) {
		token := encodePageToken(offset)
		q := r.URL.Query()
		q.Set("page_token", token)
		u := origin + r.URL.Path + "?" + q.Encode()
		return &u, &token
	}
	if end < len(rows) {
		page.Pagination.NextPage, page.Pagination.NextPageToken = link(end)
	}
	if start > 0 {
		page.Pagination.PreviousPage, page.Pagination.PreviousPageToken = link(max(start-p.count, 0))
	}
	return page
}

// firstValue is the first of a query parameter's values.
func firstValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// sortDirection reads a "field:asc|desc" sort parameter for one field.
// It reports descending, and false when the value is not allowed.
func sortDirection(q url.Values, field string, problems *detailList) (desc bool) {
	raw := q.Get("sort")
	switch raw {
	case "", field + ":asc":
		return false
	case field + ":desc":
		return true
	}
	problems.add("sort", "must be "+field+":asc or "+field+":desc")
	return false
}
