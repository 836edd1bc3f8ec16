package calendlytest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
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
	// The tables are keyed by the SHA-256 of each secret, never the secret
	// itself: a lookup's timing depends on the digest, which tells a prober
	// nothing about the token, and a dump of the tables shows no token.
	codes    map[secretDigest]*authCode
	consents map[secretDigest]*consentTicket
	access   map[secretDigest]*accessGrant
	refresh  map[secretDigest]*refreshGrant
	// pendingLimit bounds codes and consents each, so a flood of
	// authorizations cannot grow memory without limit.
	pendingLimit int
}

// secretDigest is the SHA-256 of a code, token or consent ticket.
type secretDigest [sha256.Size]byte

func digestOf(secret string) secretDigest { return sha256.Sum256([]byte(secret)) }

// codeLifetime is how long an authorization code may wait to be exchanged.
const codeLifetime = 10 * time.Minute

// maxPending is how many authorization codes (and, apart, consent pages)
// may wait at once: far more than any person signs in within their
// lifetime, few enough that a flood costs nothing.
const maxPending = 1024

// authCode is an issued authorization code. A used code stays until it
// expires, so a second use can be refused and revoke what the first gave.
type authCode struct {
	clientID, redirectURI, challenge string
	scopes                           []string
	user                             string
	expires                          time.Time
	used                             bool
	family                           *grantFamily // what the first exchange gave
}

// grantFamily is every token descended from one authorization: the pair a
// code was exchanged for and every pair rotated from it. A replayed code
// or a spent refresh token presented again revokes the whole family (OAuth
// 2.0 Security BCP, RFC 9700 §4.14.2): one of the two presenters is a thief
// and the server cannot tell which.
type grantFamily struct{ revoked bool }

type accessGrant struct {
	clientID        string
	scopes          []string
	user            string
	issued, expires time.Time
	revoked         bool
	family          *grantFamily
}

// refreshGrant is a refresh token: it works once (spent), then the pair it
// was exchanged for carries on.
type refreshGrant struct {
	clientID       string
	scopes         []string
	user           string
	issued         time.Time
	spent, revoked bool
	family         *grantFamily
}

func (g *accessGrant) dead() bool  { return g.revoked || g.family.revoked }
func (g *refreshGrant) dead() bool { return g.revoked || g.family.revoked }

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

		codes:        map[secretDigest]*authCode{},
		consents:     map[secretDigest]*consentTicket{},
		access:       map[secretDigest]*accessGrant{},
		refresh:      map[secretDigest]*refreshGrant{},
		pendingLimit: maxPending,
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
	user, scopes, _, problem := a.lookupAccess(token)
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

// bearerToken reads "Authorization: Bearer TOKEN". The scheme is
// case-insensitive (RFC 9110 §11.1); every reader of the header goes
// through here, so "bearer" means the same everywhere.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// lookupAccess finds who a token belongs to and what it may do, and
// whether it is a personal access token; problem is the 401 message when it
// may do nothing.
func (a *authority) lookupAccess(token string) (user string, scopes []string, personal bool, problem string) {
	if a.isPersonalAccessToken(token) {
		return a.userURI, knownScopes, true, ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.access[digestOf(token)]
	switch {
	case g == nil:
		return "", nil, false, msgTokenInvalid
	case g.dead():
		return "", nil, false, msgTokenRevoked
	case !a.now().Before(g.expires):
		return "", nil, false, msgTokenExpired
	}
	return g.user, g.scopes, false, ""
}

// isPersonalAccessToken compares token with every configured personal
// access token in constant time, without stopping at the first match.
func (a *authority) isPersonalAccessToken(token string) bool {
	found := 0
	for _, pat := range a.opts.Tokens {
		found |= subtle.ConstantTimeCompare([]byte(token), []byte(pat))
	}
	return found == 1
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

// issue makes a new access and refresh token pair in family (nil: a new
// family, as an exchanged code starts). a.mu must be held.
func (a *authority) issue(family *grantFamily, clientID, user string, scopes []string) calendly.TokenResponse {
	now := a.now()
	if len(a.access) >= maxGrants {
		a.forgetDeadGrants(now)
	}
	if family == nil {
		family = &grantFamily{}
	}
	access, refresh := newSecret(), newSecret()
	a.access[digestOf(access)] = &accessGrant{clientID: clientID, scopes: scopes, user: user, issued: now, expires: now.Add(a.ttl), family: family}
	a.refresh[digestOf(refresh)] = &refreshGrant{clientID: clientID, scopes: scopes, user: user, issued: now, family: family}
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
		if g.expires.Before(longAgo) || (g.dead() && g.issued.Before(longAgo)) {
			delete(a.access, k)
		}
	}
	for k, g := range a.refresh {
		if (g.spent || g.dead()) && g.issued.Before(longAgo) {
			delete(a.refresh, k)
		}
	}
}

// newSecret is an unguessable token: 128 random bits, base32.
func newSecret() string { return rand.Text() }
