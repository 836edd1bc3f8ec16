package calendlytest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/calwatch/calwatch/calendly"
)

// FuzzDecodeScenario feeds the /_emulator/ request decoders arbitrary
// bodies: they either decode a JSON object or name what is wrong, and what
// decodes either validates or names the bad field.
func FuzzDecodeScenario(f *testing.F) {
	for _, seed := range []string{
		`{"email":"ada@example.com","name":"Ada"}`,
		`{"email":"ada@example.com","name":"Ada","start_time":"2026-07-01T09:00:00Z","duration_minutes":45,"guests":["b@example.com"],"location":{"type":"zoom","join_url":"https://zoom.us/j/1"},"max_invitees":3}`,
		`{"invitee":"http://127.0.0.1/scheduled_events/x/invitees/y","reason":"ill","by":"host"}`,
		`{"invitee":"x","start_time":"not a time"}`,
		`{"email":1}`, `{"guests":"x"}`, `[]`, `null`, `{} {}`, ``, `{"a":`, `{"start_time":5}`,
		`{"email":"ada@example.com","name":"Ada","event":"x","host":"y"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode[BookRequest](t, body, func(r BookRequest) error { return r.validate() })
		checkDecode[CancelRequest](t, body, nil)
		checkDecode[RescheduleRequest](t, body, nil)
		checkDecode[noShowRequest](t, body, nil)
	})
}

func checkDecode[T any](t *testing.T, body []byte, validate func(T) error) {
	req, err := decodeScenario[T](body)
	if err != nil {
		var fieldErr *FieldError
		if !errors.As(err, &fieldErr) || fieldErr.Message == "" {
			t.Fatalf("decode error %v is not a *FieldError with a message", err)
		}
		return
	}
	if !json.Valid(body) {
		t.Fatalf("accepted invalid JSON %q", body)
	}
	if validate != nil {
		if err := validate(req); err != nil {
			var fieldErr *FieldError
			if !errors.As(err, &fieldErr) || fieldErr.Field == "" {
				t.Fatalf("validation error %v does not name a field", err)
			}
		}
	}
}

// FuzzSubscriptionRequest: POST /webhook_subscriptions bodies are accepted
// only when complete, and refused with a 400 that names a parameter.
func FuzzSubscriptionRequest(f *testing.F) {
	for _, seed := range []string{
		`{"url":"https://example.com/hook","events":["invitee.created"],"organization":"o","scope":"organization"}`,
		`{"url":"https://example.com/hook","events":["invitee.created","invitee.canceled"],"organization":"o","user":"u","scope":"user","signing_key":"k"}`,
		`{"url":"ftp://x","events":[],"scope":"group"}`, `{"events":"invitee.created"}`, `{`, `[]`, `null`, `{"url":"http://[::1"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseSubscriptionRequest(body)
		if err != nil {
			var apiErr *apiError
			if !errors.As(err, &apiErr) || apiErr.status != http.StatusBadRequest || len(apiErr.body.Details) == 0 {
				t.Fatalf("refusal %v is not a 400 with details", err)
			}
			return
		}
		u, perr := url.Parse(req.URL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("accepted url %q", req.URL)
		}
		if len(req.Events) == 0 || req.Organization == "" || (req.Scope != calendly.ScopeUser && req.Scope != calendly.ScopeOrganization) ||
			(req.Scope == calendly.ScopeUser && req.User == "") {
			t.Fatalf("accepted incomplete request %+v", req)
		}
		for _, e := range req.Events {
			if !slices.Contains(subscribableEvents, e) {
				t.Fatalf("accepted unknown event %q", e)
			}
		}
	})
}

// FuzzEventQuery: GET /scheduled_events queries parse to a page within
// Calendly's limits or are refused with details.
func FuzzEventQuery(f *testing.F) {
	for _, seed := range []string{
		"organization=o&count=1", "user=u&status=active&sort=start_time:desc&min_start_time=2026-01-01T00:00:00Z",
		"user=u&count=0", "user=u&count=101", "user=u&page_token=" + encodePageToken(40), "page_token=%%%", "user=u&max_start_time=x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return // net/http would have refused it before us
		}
		eq, err := parseEventQuery(q)
		if err != nil {
			var apiErr *apiError
			if !errors.As(err, &apiErr) || apiErr.status != http.StatusBadRequest || len(apiErr.body.Details) == 0 {
				t.Fatalf("refusal %v is not a 400 with details", err)
			}
			return
		}
		if eq.page.count < 1 || eq.page.count > maxPageCount || eq.page.offset < 0 {
			t.Fatalf("accepted page %+v", eq.page)
		}
		if eq.status != "" && eq.status != calendly.StatusActive && eq.status != calendly.StatusCanceled {
			t.Fatalf("accepted status %q", eq.status)
		}
	})
}

// FuzzPageToken: only tokens the emulator made decode, each to one offset.
func FuzzPageToken(f *testing.F) {
	for _, seed := range []string{encodePageToken(0), encodePageToken(99), "", "abc", encodePageToken(5) + "=", "Y2Fsd2F0Y2gtZW11bGF0b3I6LTE"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		offset, ok := decodePageToken(token)
		if !ok {
			return
		}
		if offset < 0 || encodePageToken(offset) != token {
			t.Fatalf("token %q decoded to %d, which encodes as %q", token, offset, encodePageToken(offset))
		}
	})
}
