package calendly

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxPageSize is the largest count Calendly accepts on a list.
const MaxPageSize = 100

// ListOptions are the paging parameters every list takes.
type ListOptions struct {
	// Count is the page size, 1 to 100; 0 leaves it to Calendly (20).
	Count int
	// PageToken asks for the page after the one that returned it.
	PageToken string
}

func (o ListOptions) encode(q url.Values) error {
	if o.Count < 0 || o.Count > MaxPageSize {
		return fmt.Errorf("calendly: count must be between 1 and %d, got %d", MaxPageSize, o.Count)
	}
	if o.Count > 0 {
		q.Set("count", strconv.Itoa(o.Count))
	}
	if o.PageToken != "" {
		q.Set("page_token", o.PageToken)
	}
	return nil
}

// setIf adds name=value when value is not empty.
func setIf(q url.Values, name, value string) {
	if value != "" {
		q.Set(name, value)
	}
}

// setTime adds name as Calendly's time layout when t is set.
func setTime(q url.Values, name string, t time.Time) {
	if !t.IsZero() {
		q.Set(name, t.UTC().Format(TimeLayout))
	}
}

// listPage fetches one page of a collection and records its next page token.
func listPage[T any](ctx context.Context, c *Client, path string, q url.Values) ([]T, *Response, error) {
	var body collectionBody[T]
	resp, err := c.call(ctx, "GET", path, q, nil, &body)
	if err != nil {
		return nil, resp, err
	}
	resp.NextPageToken = Str(body.Pagination.NextPageToken)
	if resp.NextPageToken == "" && body.Pagination.NextPage != nil {
		// Older answers carry only next_page, a URL with page_token in it.
		if u, err := url.Parse(*body.Pagination.NextPage); err == nil {
			resp.NextPageToken = u.Query().Get("page_token")
		}
	}
	return body.Collection, resp, nil
}

// paginate walks every page from start, yielding each item; it stops at the
// first error (yielded once) or when the caller stops ranging.
func paginate[T any](ctx context.Context, start string, page func(ctx context.Context, token string) ([]T, *Response, error)) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		token := start
		seen := map[string]bool{}
		for {
			items, resp, err := page(ctx, token)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range items {
				if !yield(item, nil) {
					return
				}
			}
			if resp.NextPageToken == "" {
				return
			}
			if seen[resp.NextPageToken] {
				var zero T
				yield(zero, errors.New("calendly: pagination returned a page token it had already given; stopping instead of looping"))
				return
			}
			seen[resp.NextPageToken] = true
			token = resp.NextPageToken
		}
	}
}

// resourceID reads the identifier of a resource from its UUID or its full
// URI (…/collection/UUID), checking that a URI names the right collection.
func resourceID(collection, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	id := ref
	if strings.Contains(ref, "/") {
		u, err := url.Parse(ref)
		if err != nil {
			return "", fmt.Errorf("calendly: %q is neither a %s UUID nor a URI", ref, collection)
		}
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) < 2 || parts[len(parts)-2] != collection {
			return "", fmt.Errorf("calendly: %q is not a %s URI (…/%s/UUID)", ref, collection, collection)
		}
		id = parts[len(parts)-1]
	}
	if !validID(id) {
		return "", fmt.Errorf("calendly: %q is not a valid %s identifier", ref, collection)
	}
	return id, nil
}

func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
