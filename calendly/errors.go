package calendly

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinels for errors.Is on an *APIError (and a *RateLimitError).
var (
	ErrInvalidArgument  = errors.New("calendly: invalid argument")
	ErrUnauthenticated  = errors.New("calendly: unauthenticated")
	ErrPermissionDenied = errors.New("calendly: permission denied")
	ErrNotFound         = errors.New("calendly: resource not found")
	ErrAlreadyExists    = errors.New("calendly: already exists")
	ErrRateLimited      = errors.New("calendly: rate limited")
	ErrServer           = errors.New("calendly: server error")
	// ErrRedirected: the API answered a redirect, which the client never
	// follows (it would carry the token to another host).
	ErrRedirected = errors.New("calendly: the API answered a redirect")
)

// checkRedirect refuses a 3xx answer, naming only the host it pointed to
// (a Location's path or query may carry anything).
func checkRedirect(resp *http.Response) error {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return nil
	}
	method, path, target := "", "", "no Location"
	if resp.Request != nil {
		method, path = resp.Request.Method, resp.Request.URL.Path
	}
	if loc, err := resp.Location(); err == nil && loc.Host != "" {
		target = loc.Host
	} else if resp.Header.Get("Location") != "" {
		target = "an unreadable Location"
	}
	return fmt.Errorf("%w (%d) to %s for %s %s; calwatch does not follow redirects, so the token stays with the API base URL: check that URL", ErrRedirected, resp.StatusCode, clip(target), method, path)
}

// APIError is an answer from Calendly outside 2xx: its status and the
// title, message and details of its body.
type APIError struct {
	StatusCode int
	Method     string
	Path       string // the request path, without the query
	ErrorBody
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "calendly: %s %s: %d", e.Method, e.Path, e.StatusCode)
	if e.Title != "" {
		b.WriteString(" " + e.Title)
	}
	if e.Message != "" {
		b.WriteString(": " + strings.TrimSuffix(e.Message, "."))
	}
	for _, d := range e.Details {
		if d.Parameter != "" {
			fmt.Fprintf(&b, "; %s: %s", d.Parameter, strings.TrimSuffix(d.Message, "."))
		} else {
			fmt.Fprintf(&b, "; %s", strings.TrimSuffix(d.Message, "."))
		}
	}
	if hint := statusHint(e.StatusCode); hint != "" {
		b.WriteString(" (" + hint + ")")
	}
	return b.String()
}

// Is matches the sentinel for the status code.
func (e *APIError) Is(target error) bool {
	return target != nil && target == sentinelFor(e.StatusCode)
}

func sentinelFor(status int) error {
	switch {
	case status == http.StatusBadRequest:
		return ErrInvalidArgument
	case status == http.StatusUnauthorized:
		return ErrUnauthenticated
	case status == http.StatusForbidden:
		return ErrPermissionDenied
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrAlreadyExists
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500:
		return ErrServer
	}
	return nil
}

// statusHint is what to do next.
func statusHint(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return "fix the request parameters named above"
	case status == http.StatusUnauthorized:
		return "the access token is not accepted; sign in again or check the personal access token"
	case status == http.StatusForbidden:
		return "the token lacks permission or scope for this; sign in again granting it"
	case status == http.StatusNotFound:
		return "check the URI; it may have been deleted"
	case status == http.StatusConflict:
		return "it exists already; list it instead of creating it"
	case status == http.StatusTooManyRequests:
		return "wait for the rate limit to reset"
	case status >= 500:
		return "Calendly is failing; try again later"
	}
	return ""
}

// RateLimitError is a 429: Rate.Reset says when to try again.
type RateLimitError struct {
	APIError
	Rate Rate
}

func (e *RateLimitError) Error() string {
	msg := e.APIError.Error()
	if !e.Rate.Reset.IsZero() {
		msg += fmt.Sprintf("; the limit of %d resets at %s", e.Rate.Limit, e.Rate.Reset.UTC().Format(time.RFC3339))
	}
	return msg
}

// Unwrap lets errors.As find the *APIError inside.
func (e *RateLimitError) Unwrap() error { return &e.APIError }

// maxErrorText bounds the text an error message quotes from a body.
const maxErrorText = 300

// checkResponse turns an answer outside 2xx into an *APIError or a
// *RateLimitError. A body that is not Calendly's error JSON still gives a
// typed error, with the start of the body as its message.
func checkResponse(resp *http.Response, raw []byte, rate Rate) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	apiErr := APIError{StatusCode: resp.StatusCode, ErrorBody: parseErrorBody(raw)}
	if resp.Request != nil {
		apiErr.Method = resp.Request.Method
		apiErr.Path = resp.Request.URL.Path
	}
	if apiErr.Title == "" && apiErr.Message == "" {
		apiErr.Title = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		return &RateLimitError{APIError: apiErr, Rate: rate}
	}
	return &apiErr
}

// parseErrorBody reads {title, message, details}. What is not that shape
// becomes a message quoting the (trimmed, bounded) body, so nothing Calendly
// said is hidden, and nothing unbounded is copied.
func parseErrorBody(raw []byte) ErrorBody {
	var body ErrorBody
	if err := json.Unmarshal(raw, &body); err == nil && (body.Title != "" || body.Message != "") {
		body.Title = clip(body.Title)
		body.Message = clip(body.Message)
		if len(body.Details) > 10 {
			body.Details = body.Details[:10]
		}
		for i := range body.Details {
			body.Details[i].Parameter = clip(body.Details[i].Parameter)
			body.Details[i].Message = clip(body.Details[i].Message)
		}
		return body
	}
	text := strings.TrimSpace(string(raw))
	if text == "" {
		return ErrorBody{}
	}
	return ErrorBody{Message: clip(strings.Join(strings.Fields(text), " "))}
}

func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// parseRate reads X-RateLimit-Limit, -Remaining and -Reset (seconds from
// now). A header that is missing or not a non-negative integer leaves its
// field zero: a malformed header must not make the client wait forever.
func parseRate(h http.Header, now time.Time) Rate {
	var r Rate
	r.Limit, _ = headerCount(h, "X-RateLimit-Limit")
	r.Remaining, _ = headerCount(h, "X-RateLimit-Remaining")
	if secs, ok := headerCount(h, "X-RateLimit-Reset"); ok {
		r.Reset = now.Add(time.Duration(secs) * time.Second)
	}
	return r
}

// maxResetSeconds is the longest reset the client believes: a day.
const maxResetSeconds = 24 * 60 * 60

func headerCount(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	if name == "X-RateLimit-Reset" && n > maxResetSeconds {
		n = maxResetSeconds
	}
	return n, true
}
