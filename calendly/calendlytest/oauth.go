package calendlytest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// authority is the emulator's auth.calendly.com: OAuth codes, access and
// refresh tokens, personal access tokens, scopes and per-token rate limits.
//
// TODO(oauth helper): this placeholder only knows Options.Tokens.
type authority struct {
	opts    Options
	userURI string
	now     func() time.Time
}

// newAuthority makes the authority for one emulator. userURI is the default
// user that personal access tokens and approved OAuth grants belong to;
// baseURL returns the emulator's origin (known once it listens).
func newAuthority(opts Options, userURI string, baseURL func() string, now func() time.Time) *authority {
	return &authority{opts: opts, userURI: userURI, now: now}
}

// registerRoutes adds /oauth/authorize, /oauth/token, /oauth/revoke and
// /oauth/introspect to mux.
func (a *authority) registerRoutes(mux *http.ServeMux) {}

// authenticate checks the request's Bearer token, its rate limit and that it
// carries scope (e.g. "scheduled_events:read"; "" for none). It sets the
// X-RateLimit-* headers. On failure it has already written Calendly's error
// answer (401, 403 or 429) and returns ok=false.
func (a *authority) authenticate(w http.ResponseWriter, r *http.Request, scope string) (userURI string, ok bool) {
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found || !slices.Contains(a.opts.Tokens, token) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"title":"Unauthenticated","message":"The access token is invalid"}`))
		return "", false
	}
	return a.userURI, true
}
