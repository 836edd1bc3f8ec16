package calendlytest

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

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
		writeAuthorizeError(w, page)
	case redirectErr != nil:
		redirectWith(w, r, req, url.Values{"error": {redirectErr.Code}, "error_description": {redirectErr.Description}})
	case a.opts.AutoApprove:
		redirectWith(w, r, req, url.Values{"code": {a.newCode(req)}})
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Frame-Options", "DENY")
		consentPage.Execute(w, struct {
			authorizeRequest
			Scopes []string
		}{req, req.scopes})
	}
}

// authorizeDecision is the Approve or Deny button of the consent page.
func (a *authority) authorizeDecision(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		writeAuthorizeError(w, "The form could not be read.")
		return
	}
	req := readAuthorizeRequest(r.PostForm)
	page, redirectErr := a.check(&req)
	switch {
	case page != "":
		writeAuthorizeError(w, page)
	case redirectErr != nil:
		redirectWith(w, r, req, url.Values{"error": {redirectErr.Code}, "error_description": {redirectErr.Description}})
	case r.PostForm.Get("decision") == "approve":
		redirectWith(w, r, req, url.Values{"code": {a.newCode(req)}})
	default:
		redirectWith(w, r, req, url.Values{"error": {"access_denied"}, "error_description": {"The resource owner denied the request."}})
	}
}

func (a *authority) newCode(req authorizeRequest) string {
	code := newSecret()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.codes[code] = &authCode{
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

func writeAuthorizeError(w http.ResponseWriter, problem string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	errorPage.Execute(w, problem)
}

var consentPage = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize application — Calendly emulator</title></head>
<body>
<h1>Allow this application to use your Calendly account?</h1>
<p>Application <code>{{.ClientID}}</code> asks for:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="client_id" value="{{.ClientID}}">
<input type="hidden" name="redirect_uri" value="{{.RedirectURI}}">
<input type="hidden" name="response_type" value="{{.ResponseType}}">
<input type="hidden" name="state" value="{{.State}}">
<input type="hidden" name="code_challenge" value="{{.Challenge}}">
<input type="hidden" name="code_challenge_method" value="{{.ChallengeMethod}}">
<input type="hidden" name="scope" value="{{.Scope}}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>
`))

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorization error — Calendly emulator</title></head>
<body><h1>This authorization request cannot be completed</h1><p>{{.}}</p></body></html>
`))
