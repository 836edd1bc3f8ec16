package calendlytest

import (
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// authority is the emulator's auth.calendly.com: OAuth codes, access and
// refresh tokens, personal access tokens, scopes and per-token rate limits.
// It never logs: everything it holds is a secret.
type authority struct {
	opts    Options
	userURI string
	now     func() time.Time
	ttl     time.Duration
	limiter *rateLimiter

	mu           sync.Mutex
	organization string
	codes        map[string]*authCode
	access       map[string]*accessGrant
	refresh      map[string]*refreshGrant
}

// codeLifetime is how long an authorization code may wait to be exchanged.
const codeLifetime = 10 * time.Minute

// authCode is an issued authorization code. A used code stays until it
// expires, so a second use can be refused and revoke what the first gave.
type authCode struct {
	clientID, redirectURI, challenge string
	scopes                           []string
	user                             string
	expires                          time.Time
	used                             bool
	issuedAccess, issuedRefresh      string
}

type accessGrant struct {
	clientID        string
	scopes          []string
	user            string
	issued, expires time.Time
	revoked         bool
}

// refreshGrant is a refresh token: it works once (spent), then the pair it
// was exchanged for carries on.
type refreshGrant struct {
	clientID       string
	scopes         []string
	user           string
	issued         time.Time
	access         string // the access token issued with it
	spent, revoked bool
}

// newAuthority makes the authority for one emulator. userURI is the default
// user that personal access tokens and approved OAuth grants belong to;
// baseURL returns the emulator's origin (known once it listens); the
// authority answers with relative redirects and URIs it is given, so it does
// not need it yet.
func newAuthority(opts Options, userURI string, baseURL func() string, now func() time.Time) *authority {
	ttl := opts.AccessTokenTTL
	if ttl <= 0 {
		ttl = 2 * time.Hour
	}
	return &authority{
		opts:    opts,
		userURI: userURI,
		now:     now,
		ttl:     ttl,
		limiter: newRateLimiter(opts.RateLimit, now),
		codes:   map[string]*authCode{},
		access:  map[string]*accessGrant{},
		refresh: map[string]*refreshGrant{},
	}
}

// setOrganization names the organization token answers report beside the
// owner (Calendly's "organization" field); without it the field is left out.
func (a *authority) setOrganization(uri string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.organization = uri
}

// registerRoutes adds /oauth/authorize, /oauth/token, /oauth/revoke and
// /oauth/introspect to mux.
func (a *authority) registerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /oauth/authorize", a.authorizePage)
	mux.HandleFunc("POST /oauth/authorize", a.authorizeDecision)
	mux.HandleFunc("POST /oauth/token", a.token)
	mux.HandleFunc("POST /oauth/revoke", a.revoke)
	mux.HandleFunc("POST /oauth/introspect", a.introspect)
}

// The messages of Calendly's 401 answers.
const (
	msgTokenInvalid = "The access token is invalid"
	msgTokenExpired = "The access token expired"
	msgTokenRevoked = "The access token was revoked"
)

// authenticate checks the request's Bearer token, its rate limit and that it
// carries scope (e.g. "scheduled_events:read"; "" for none). It sets the
// X-RateLimit-* headers. On failure it has already written Calendly's error
// answer (401, 403 or 429) and returns ok=false.
func (a *authority) authenticate(w http.ResponseWriter, r *http.Request, scope string) (userURI string, ok bool) {
	token, found := bearerToken(r)
	if !found {
		writeUnauthenticated(w, msgTokenInvalid)
		return "", false
	}
	user, scopes, problem := a.lookupAccess(token)
	if problem != "" {
		writeUnauthenticated(w, problem)
		return "", false
	}
	if wait, allowed := a.limiter.take(token, w.Header()); !allowed {
		w.Header().Set("Retry-After", secondsText(wait))
		writeError(w, &apiError{http.StatusTooManyRequests, calendly.ErrorBody{
			Title:   "Too Many Requests",
			Message: "The rate limit of " + itoa(a.opts.RateLimit) + " requests per minute was exceeded; try again in " + secondsText(wait) + " seconds.",
		}})
		return "", false
	}
	if scope != "" && !grants(scopes, scope) {
		writeError(w, errPermission("The access token does not grant the "+scope+" scope"))
		return "", false
	}
	return user, true
}

// bearerToken reads "Authorization: Bearer TOKEN" (the scheme in any case).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// lookupAccess finds who a token belongs to and what it may do; problem is
// the 401 message when it may do nothing.
func (a *authority) lookupAccess(token string) (user string, scopes []string, problem string) {
	if slices.Contains(a.opts.Tokens, token) {
		return a.userURI, knownScopes, ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.access[token]
	switch {
	case g == nil:
		return "", nil, msgTokenInvalid
	case g.revoked:
		return "", nil, msgTokenRevoked
	case !a.now().Before(g.expires):
		return "", nil, msgTokenExpired
	}
	return g.user, g.scopes, ""
}

// knownScopes are the scopes the emulator's endpoints ask for. Personal
// access tokens, and grants that asked for no scope (or the legacy
// "default"), have all of them.
var knownScopes = []string{
	calendly.ScopeUsersRead,
	calendly.ScopeScheduledEventsRead, "scheduled_events:write",
	"webhooks:read", calendly.ScopeWebhooksWrite,
}

// grants says whether scopes allow need; a resource's write scope includes
// its read scope.
func grants(scopes []string, need string) bool {
	if slices.Contains(scopes, need) {
		return true
	}
	resource, access, _ := strings.Cut(need, ":")
	return access == "read" && slices.Contains(scopes, resource+":write")
}

func writeUnauthenticated(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="Calendly"`)
	writeError(w, &apiError{http.StatusUnauthorized, calendly.ErrorBody{Title: "Unauthenticated", Message: message}})
}

// issue makes a new access and refresh token pair. a.mu must be held.
func (a *authority) issue(clientID, user string, scopes []string) calendly.TokenResponse {
	now := a.now()
	if len(a.access) >= maxGrants {
		a.forgetDeadGrants(now)
	}
	access, refresh := newSecret(), newSecret()
	a.access[access] = &accessGrant{clientID: clientID, scopes: scopes, user: user, issued: now, expires: now.Add(a.ttl)}
	a.refresh[refresh] = &refreshGrant{clientID: clientID, scopes: scopes, user: user, issued: now, access: access}
	return calendly.TokenResponse{
		TokenType:    "Bearer",
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int64(a.ttl / time.Second),
		CreatedAt:    now.Unix(),
		Scope:        strings.Join(scopes, " "),
		Owner:        user,
		Organization: a.organization,
	}
}

// maxGrants is how many access tokens the authority holds before it drops
// the dead ones, so a long-running emulator does not grow without bound.
const maxGrants = 4096

// forgetDeadGrants drops access tokens that expired or were revoked, and
// refresh tokens that were spent or revoked, a day ago or more (until then
// they still answer "expired"/"revoked"). a.mu must be held.
func (a *authority) forgetDeadGrants(now time.Time) {
	longAgo := now.Add(-24 * time.Hour)
	for k, g := range a.access {
		if g.expires.Before(longAgo) || (g.revoked && g.issued.Before(longAgo)) {
			delete(a.access, k)
		}
	}
	for k, g := range a.refresh {
		if (g.spent || g.revoked) && g.issued.Before(longAgo) {
			delete(a.refresh, k)
		}
	}
}

// newSecret is an unguessable token: 128 random bits, base32.
func newSecret() string { return rand.Text() }
