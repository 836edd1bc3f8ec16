package subscription

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
)

// FuzzRequest: a request (callback URL, events and scope as flags give
// them) is accepted only when Calendly could take it: an absolute http(s)
// URL, known events, a user or organization scope.
func FuzzRequest(f *testing.F) {
	f.Add("https://abc.ngrok.app/hook/s3cr3t", "invitee.created,invitee.canceled", "user")
	f.Add("http://127.0.0.1:8080/x", "", "organization")
	f.Add("/relative", "invitee.created", "user")
	f.Add("https://x.example/hook", "invitee.exploded", "")
	f.Add("javascript:alert(1)", "", "group")
	f.Fuzz(func(t *testing.T, callback, events, scope string) {
		req := Request{CallbackURL: callback, Scope: scope}
		if events != "" {
			req.Events = strings.Split(events, ",")
		}
		if err := req.normalise(); err != nil {
			if err.Error() == "" || strings.Contains(err.Error(), "\n") {
				t.Fatalf("refusal %q is not one line", err)
			}
			return
		}
		u, err := url.Parse(req.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("accepted callback URL %q", req.CallbackURL)
		}
		if len(req.Events) == 0 {
			t.Fatal("accepted a request with no events")
		}
		for _, e := range req.Events {
			if !slices.Contains(calendly.KnownEvents, e) {
				t.Fatalf("accepted unknown event %q", e)
			}
		}
		if req.Scope != calendly.ScopeUser && req.Scope != calendly.ScopeOrganization {
			t.Fatalf("accepted scope %q", req.Scope)
		}
	})
}
