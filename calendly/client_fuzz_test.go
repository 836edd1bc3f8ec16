package calendly

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func FuzzErrorAnswer(f *testing.F) {
	f.Add(400, []byte(`{"title":"Invalid Argument","message":"The supplied parameters are invalid.","details":[{"parameter":"count","message":"must be <= 100"}]}`))
	f.Add(409, []byte(`{"title":"Already Exists","message":"Hook with this url already exists"}`))
	f.Add(401, []byte(`{"title":"Unauthenticated","message":"The access token is invalid"}`))
	f.Add(502, []byte("<html>\r\n<b>bad gateway</b></html>"))
	f.Add(500, []byte(`{"title":123}`))
	f.Add(429, []byte(``))
	f.Add(404, []byte("\xff\xfe{\"message\":\"\u0000\"}"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 999 {
			t.Skip()
		}
		req, _ := http.NewRequest("GET", "https://api.calendly.com/users/me", nil)
		err := checkResponse(&http.Response{StatusCode: status, Request: req}, body, Rate{})
		if status >= 200 && status < 300 {
			if err != nil {
				t.Fatalf("a %d was refused: %v", status, err)
			}
			return
		}
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != status {
			t.Fatalf("status %d gave %v, want an *APIError", status, err)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) {
			t.Fatalf("message is not one valid line: %q", msg)
		}
		if len(msg) > 12*maxErrorText+400 {
			t.Fatalf("message is unbounded: %d bytes", len(msg))
		}
		if (status == 429) != errors.Is(err, ErrRateLimited) {
			t.Fatalf("status %d: ErrRateLimited match is wrong", status)
		}
	})
}

func FuzzRateLimitHeaders(f *testing.F) {
	f.Add("100", "99", "60")
	f.Add("", "", "")
	f.Add("-1", "abc", "99999999999999999999")
	f.Add(" 5 ", "0", "86401")
	f.Fuzz(func(t *testing.T, limit, remaining, reset string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		r := parseRate(h, now)
		if r.Limit < 0 || r.Remaining < 0 {
			t.Fatalf("negative counts: %+v", r)
		}
		if !r.Reset.IsZero() && (r.Reset.Before(now) || r.Reset.After(now.Add(24*time.Hour))) {
			t.Fatalf("reset %v is outside [now, now+24h]", r.Reset)
		}
	})
}

func FuzzResourceID(f *testing.F) {
	f.Add("EV001")
	f.Add("https://api.calendly.com/scheduled_events/EV001")
	f.Add("https://api.calendly.com/scheduled_events/EV001/invitees/INV1")
	f.Add("../../users/me")
	f.Add("https://api.calendly.com/scheduled_events/%2e%2e")
	f.Fuzz(func(t *testing.T, ref string) {
		id, err := resourceID("scheduled_events", ref)
		if err != nil {
			return
		}
		if !validID(id) || url.PathEscape(id) != id || strings.Contains(id, "..") {
			t.Fatalf("%q gave the unsafe id %q", ref, id)
		}
	})
}

func FuzzOAuthErrorBody(f *testing.F) {
	f.Add(400, []byte(`{"error":"invalid_grant","error_description":"The provided authorization grant is invalid."}`))
	f.Add(401, []byte(`{"error":"invalid_client"}`))
	f.Add(502, []byte("<html>\nbad gateway</html>"))
	f.Add(400, []byte(`{"error":"\n","error_description":5}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		err := oauthErrorFrom(status, body)
		var oe *OAuthError
		if !errors.As(err, &oe) || oe.Code == "" {
			t.Fatalf("got %v, want an *OAuthError with a code", err)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) || len(msg) > 2*maxErrorText+100 {
			t.Fatalf("message is not one bounded line: %q", msg)
		}
		if errors.Is(err, ErrReauthRequired) != (oe.Code == "invalid_grant") {
			t.Fatalf("ErrReauthRequired match is wrong for %q", oe.Code)
		}
	})
}
