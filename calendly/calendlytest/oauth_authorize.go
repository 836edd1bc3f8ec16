package calendlytest

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// authorizeRequest is what /oauth/authorize is asked, from the query (GET)
// or the Approve/Deny form (POST).
type authorizeRequest struct {
	ClientID, RedirectURI, ResponseType, State string
	Challenge, ChallengeMethod, Scope          string
	scopes                                     []string
}

func readAuthorizeRequest(v url.Values) authorizeRequest {
	return authorizeRequest{
		ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), ResponseType: v.Get("response_type"),
		State: v.Get("state"), Challenge: v.Get("code_challenge"), ChallengeMethod: v.Get("code_challenge_method"),
		Scope: v.Get("scope"),
	}
}

// DefaultRedirectURI is the redirect URI the emulator's OAuth app has
// registered when Options.RedirectURIs is empty: calwatch login's loopback
// callback.
const DefaultRedirectURI = "http://localhost:8765/callback"

// redirectURIs are the registered redirect URIs, matched exactly.
func (a *authority) redirectURIs() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.opts.RedirectURIs) == 0 {
		return []string{DefaultRedirectURI}
	}
	return slices.Clone(a.opts.RedirectURIs)
}

// RegisterRedirectURI adds uri to the OAuth app's registered redirect URIs,
// as a developer does in Calendly's console (the first one registered this
// way replaces DefaultRedirectURI, like Options.RedirectURIs). Tests that
// pick a free loopback port after starting the emulator use it.
func (s *Server) RegisterRedirectURI(uri string) {
	s.auth.mu.Lock()
	defer s.auth.mu.Unlock()
	s.auth.opts.RedirectURIs = append(s.auth.opts.RedirectURIs, uri)
}

// pkceChallenge is RFC 7636's S256 challenge: 43 base64url characters.
var pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// check validates the request. pageProblem is a fault that must not be
// redirected (unknown client, bad redirect URI): an error page. redirectErr
// is an RFC 6749 error to send back to the (valid) redirect URI.
func (a *authority) check(req *authorizeRequest) (pageProblem string, redirectErr *calendly.OAuthError) {
	if a.opts.ClientID == "" || req.ClientID != a.opts.ClientID {
		return "The client_id is not a registered OAuth application.", nil
	}
	u, err := url.Parse(req.RedirectURI)
	if req.RedirectURI == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return "The redirect_uri must be an absolute http or https URL without a fragment.", nil
	}
	// Exact string match, as RFC 9700 §4.1.3 requires: no prefix, no
	// other port or path, no added query.
	if !slices.Contains(a.redirectURIs(), req.RedirectURI) {
		return "The redirect_uri is not registered for this application; register it with calwatch emulator --redirect-uri.", nil
	}
	switch {
	case req.ResponseType != "code":
		return "", &calendly.OAuthError{Code: "unsupported_response_type", Description: "Only response_type=code is supported."}
	case req.Challenge == "" && a.opts.ClientSecret == "":
		return "", &calendly.OAuthError{Code: "invalid_request", Description: "A public client must send a PKCE code_challenge."}
	case req.Challenge != "" && req.ChallengeMethod != "S256":
		return "", &calendly.OAuthError{Code: "invalid_request", Description: "The code_challenge_method must be S256."}
	case req.Challenge != "" && !pkceChallenge.MatchString(req.Challenge):
		return "", &calendly.OAuthError{Code: "invalid_request", Description: "The code_challenge is not an S256 challenge."}
	}
	scopes, ok := parseScopes(req.Scope)
	if !ok {
		return "", &calendly.OAuthError{Code: "invalid_scope", Description: "The requested scope is invalid, unknown, or malformed."}
	}
	req.scopes = scopes
	return "", nil
}

// parseScopes reads a space-separated scope list; "" and the legacy
// "default" mean every scope.
func parseScopes(raw string) ([]string, bool) {
	fields := strings.Fields(raw)
	if len(fields) == 0 || (len(fields) == 1 && fields[0] == "default") {
		return slices.Clone(knownScopes), true
	}
	var scopes []string
	for _, f := range fields {
		if !slices.Contains(knownScopes, f) {
			return nil, false
		}
		if !slices.Contains(scopes, f) {
			scopes = append(scopes, f)
		}
	}
	return scopes, true
}

// authorizePage is GET /oauth/authorize: the consent page, or with
// Options.AutoApprove an immediate redirect with a code.
func (a *authority) authorizePage(w http.ResponseWriter, r *http.Request) {
	req := readAuthorizeRequest(r.URL.Query())
	page, redirectErr := a.check(&req)
	switch {
	case page != "":
		writeAuthorizeError(w, http.StatusBadRequest, page)
	case redirectErr != nil:
		redirectWith(w, r, req, url.Values{"error": {redirectErr.Code}, "error_description": {redirectErr.Description}})
	case a.opts.AutoApprove:
		redirectWithCode(w, r, req, a.newCode(req))
	default:
		ticket, ok := a.newConsent(req)
		if !ok {
			redirectWith(w, r, req, temporarilyUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Frame-Options", "DENY")
		consentPage.Execute(w, struct {
			ClientID, CSRF string
			Scopes         []string
		}{req.ClientID, ticket, req.scopes})
	}
}

// temporarilyUnavailable is the authorize answer while the code or the
// consent table is full (RFC 6749 §4.1.2.1).
var temporarilyUnavailable = url.Values{"error": {"temporarily_unavailable"},
	"error_description": {"Too many authorizations are waiting; try again in a few minutes."}}

// redirectWithCode sends the code back, or temporarily_unavailable when
// none could be issued.
func redirectWithCode(w http.ResponseWriter, r *http.Request, req authorizeRequest, code string) {
	if code == "" {
		redirectWith(w, r, req, temporarilyUnavailable)
		return
	}
	redirectWith(w, r, req, url.Values{"code": {code}})
}

// authorizeDecision is the Approve or Deny button of the consent page. The
// form carries only the page's one-time csrf_token and the decision; the
// request it approves is the one the page was shown for, kept with the
// token, so another site cannot post an approval of its own making.
func (a *authority) authorizeDecision(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		writeAuthorizeError(w, http.StatusBadRequest, "The form could not be read.")
		return
	}
	req, ok := a.takeConsent(r.PostForm.Get("csrf_token"))
	if !ok {
		writeAuthorizeError(w, http.StatusForbidden, "This approval form was not issued by this server, was already used or has expired; start signing in again.")
		return
	}
	if r.PostForm.Get("decision") == "approve" {
		redirectWithCode(w, r, req, a.newCode(req))
		return
	}
	redirectWith(w, r, req, url.Values{"error": {"access_denied"}, "error_description": {"The resource owner denied the request."}})
}

// consentTicket is a consent page waiting for its Approve or Deny.
type consentTicket struct {
	req     authorizeRequest
	expires time.Time
}

// newConsent keeps req for the consent page and returns the page's
// one-time CSRF token; ok is false while the table is full.
func (a *authority) newConsent(req authorizeRequest) (string, bool) {
	ticket := newSecret()
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if len(a.consents) >= a.pendingLimit {
		for k, c := range a.consents {
			if !now.Before(c.expires) {
				delete(a.consents, k)
			}
		}
		if len(a.consents) >= a.pendingLimit {
			return "", false
		}
	}
	a.consents[digestOf(ticket)] = &consentTicket{req: req, expires: now.Add(codeLifetime)}
	return ticket, true
}

// takeConsent spends a consent page's CSRF token and returns the request it
// was shown for.
func (a *authority) takeConsent(ticket string) (authorizeRequest, bool) {
	if ticket == "" {
		return authorizeRequest{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key := digestOf(ticket)
	c := a.consents[key]
	if c == nil {
		return authorizeRequest{}, false
	}
	delete(a.consents, key)
	return c.req, a.now().Before(c.expires)
}

// newCode issues a code for req, or "" while the code table is full of
// codes that have not expired.
func (a *authority) newCode(req authorizeRequest) string {
	code := newSecret()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.codes) >= a.pendingLimit {
		a.forgetExpiredCodes()
		if len(a.codes) >= a.pendingLimit {
			return ""
		}
	}
	a.codes[digestOf(code)] = &authCode{
		clientID: req.ClientID, redirectURI: req.RedirectURI, challenge: req.Challenge,
		scopes: req.scopes, user: a.userURI, expires: a.now().Add(codeLifetime),
	}
	return code
}

// redirectWith sends the browser back to the client with params (and the
// state) added to the redirect URI's own query.
func redirectWith(w http.ResponseWriter, r *http.Request, req authorizeRequest, params url.Values) {
	u, _ := url.Parse(req.RedirectURI) // checked by check
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	if req.State != "" {
		q.Set("state", req.State)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func writeAuthorizeError(w http.ResponseWriter, status int, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	errorPage.Execute(w, problem)
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize application — Calendly emulator</title></head>
<body>
<h1>Allow this application to use your Calendly account?</h1>
<p>Application <code>{{.ClientID}}</code> asks for:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization error — Calendly emulator</title></head>
<body><h1>This authorization request cannot be completed</h1><p>{{.}}</p></body></html>
`))
