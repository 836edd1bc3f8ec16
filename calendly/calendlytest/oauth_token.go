package calendlytest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/calwatch/calwatch/calendly"
)

// maxFormBody bounds the form bodies of the auth endpoints.
const maxFormBody = 64 << 10

// clientForm is a form posted to an auth endpoint, with the client's
// credentials from HTTP Basic or from the body.
type clientForm struct {
	values       url.Values
	clientID     string
	clientSecret string
	basic        bool // the credentials came by HTTP Basic
}

// oauthFailure is an RFC 6749 error answer.
type oauthFailure struct {
	status int
	body   calendly.OAuthError
}

func oauthFail(status int, code, description string) *oauthFailure {
	return &oauthFailure{status, calendly.OAuthError{Code: code, Description: description}}
}

// invalidGrantText is Calendly's (Doorkeeper's) description of invalid_grant.
const invalidGrantText = "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."

// parseClientForm reads an auth endpoint's form: urlencoded, bounded, each
// parameter at most once, the client authenticated by one method only.
func parseClientForm(w http.ResponseWriter, r *http.Request) (*clientForm, *oauthFailure) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "application/x-www-form-urlencoded" {
		return nil, oauthFail(http.StatusBadRequest, "invalid_request", "The request body must be application/x-www-form-urlencoded.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		return nil, oauthFail(http.StatusBadRequest, "invalid_request", "The request body is not a readable form.")
	}
	form := &clientForm{values: r.PostForm}
	for name, vs := range form.values {
		if len(vs) > 1 {
			return nil, oauthFail(http.StatusBadRequest, "invalid_request", "The parameter "+name+" is repeated.")
		}
	}
	bodyID, bodySecret := form.values.Get("client_id"), form.values.Get("client_secret")
	if header := r.Header.Get("Authorization"); header != "" {
		user, pass, ok := r.BasicAuth()
		if !ok {
			return nil, oauthFail(http.StatusUnauthorized, "invalid_client", "The Authorization header must be HTTP Basic with the client credentials.")
		}
		// RFC 6749 §2.3.1: both parts are form-encoded before Basic.
		id, err1 := url.QueryUnescape(user)
		secret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return nil, oauthFail(http.StatusUnauthorized, "invalid_client", "The Basic credentials are not form-encoded.")
		}
		if bodySecret != "" || (bodyID != "" && bodyID != id) {
			return nil, oauthFail(http.StatusBadRequest, "invalid_request", "Use one client authentication method: HTTP Basic or the body, not both.")
		}
		form.clientID, form.clientSecret, form.basic = id, secret, true
		return form, nil
	}
	form.clientID, form.clientSecret = bodyID, bodySecret
	return form, nil
}

// authenticateClient checks the client: a confidential app (one with
// Options.ClientSecret) must present its secret; a public one must not.
func (a *authority) authenticateClient(form *clientForm) *oauthFailure {
	idOK := a.opts.ClientID != "" && subtle.ConstantTimeCompare([]byte(form.clientID), []byte(a.opts.ClientID)) == 1
	secretOK := subtle.ConstantTimeCompare([]byte(form.clientSecret), []byte(a.opts.ClientSecret)) == 1
	if !idOK || !secretOK {
		return oauthFail(http.StatusUnauthorized, "invalid_client", "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.")
	}
	return nil
}

func writeOAuthFailure(w http.ResponseWriter, f *oauthFailure, basic bool) {
	if f.status == http.StatusUnauthorized && basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="Calendly"`)
	}
	writeNoStore(w, f.status, f.body)
}

// writeNoStore answers JSON that must not be cached (RFC 6749 §5.1).
func writeNoStore(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// token is POST /oauth/token: authorization_code (with PKCE) and
// refresh_token (with rotation).
func (a *authority) token(w http.ResponseWriter, r *http.Request) {
	form, fail := parseClientForm(w, r)
	if fail == nil {
		fail = a.authenticateClient(form)
	}
	if fail != nil {
		writeOAuthFailure(w, fail, form != nil && form.basic)
		return
	}
	var answer calendly.TokenResponse
	switch grant := form.values.Get("grant_type"); grant {
	case "authorization_code":
		answer, fail = a.exchangeCode(form)
	case "refresh_token":
		answer, fail = a.rotateRefresh(form)
	case "":
		fail = oauthFail(http.StatusBadRequest, "invalid_request", "The grant_type parameter is missing.")
	default:
		fail = oauthFail(http.StatusBadRequest, "unsupported_grant_type", "The authorization grant type is not supported by the authorization server.")
	}
	if fail != nil {
		writeOAuthFailure(w, fail, form.basic)
		return
	}
	writeNoStore(w, http.StatusOK, answer)
}

func (a *authority) exchangeCode(form *clientForm) (calendly.TokenResponse, *oauthFailure) {
	invalid := oauthFail(http.StatusBadRequest, "invalid_grant", invalidGrantText)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.forgetExpiredCodes()
	code := a.codes[digestOf(form.values.Get("code"))]
	if code == nil || code.clientID != form.clientID || !a.now().Before(code.expires) {
		return calendly.TokenResponse{}, invalid
	}
	if code.used {
		// RFC 6749 §4.1.2: a code used twice revokes every token it gave,
		// including those rotated from them since.
		if code.family != nil {
			code.family.revoked = true
		}
		return calendly.TokenResponse{}, invalid
	}
	code.used = true // one attempt per code, right or wrong
	if form.values.Get("redirect_uri") != code.redirectURI {
		return calendly.TokenResponse{}, invalid
	}
	verifier := form.values.Get("code_verifier")
	if code.challenge != "" || verifier != "" {
		sum := sha256.Sum256([]byte(verifier))
		computed := base64.RawURLEncoding.EncodeToString(sum[:])
		if verifier == "" || subtle.ConstantTimeCompare([]byte(computed), []byte(code.challenge)) != 1 {
			return calendly.TokenResponse{}, invalid
		}
	}
	code.family = &grantFamily{}
	return a.issue(code.family, code.clientID, code.user, code.scopes), nil
}

func (a *authority) rotateRefresh(form *clientForm) (calendly.TokenResponse, *oauthFailure) {
	invalid := oauthFail(http.StatusBadRequest, "invalid_grant", invalidGrantText)
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.refresh[digestOf(form.values.Get("refresh_token"))]
	switch {
	case old == nil || old.clientID != form.clientID || old.dead():
		return calendly.TokenResponse{}, invalid
	case old.spent:
		// A spent refresh token presented again: it was copied. Revoke
		// everything descended from its authorization (RFC 9700 §4.14.2).
		old.family.revoked = true
		return calendly.TokenResponse{}, invalid
	}
	old.spent = true
	return a.issue(old.family, old.clientID, old.user, old.scopes), nil
}

// forgetExpiredCodes keeps the code table small. a.mu must be held.
func (a *authority) forgetExpiredCodes() {
	now := a.now()
	for k, c := range a.codes {
		if !now.Before(c.expires) {
			delete(a.codes, k)
		}
	}
}

// tokenRequest reads a revoke or introspect request: an authenticated
// client and a token parameter. On failure it has answered.
func (a *authority) tokenRequest(w http.ResponseWriter, r *http.Request) (*clientForm, string, bool) {
	form, fail := parseClientForm(w, r)
	if fail == nil {
		fail = a.authenticateClient(form)
	}
	if fail == nil && form.values.Get("token") == "" {
		fail = oauthFail(http.StatusBadRequest, "invalid_request", "The token parameter is missing.")
	}
	if fail != nil {
		writeOAuthFailure(w, fail, form != nil && form.basic)
		return nil, "", false
	}
	return form, form.values.Get("token"), true
}

// revoke is POST /oauth/revoke (RFC 7009): 200 whether or not the token
// was known; revoking a refresh token revokes its whole grant family.
func (a *authority) revoke(w http.ResponseWriter, r *http.Request) {
	form, token, ok := a.tokenRequest(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	key := digestOf(token)
	if g := a.access[key]; g != nil && g.clientID == form.clientID {
		g.revoked = true
	}
	if g := a.refresh[key]; g != nil && g.clientID == form.clientID {
		// RFC 7009 §2.1: revoking a refresh token ends the access tokens
		// of the same authorization too.
		g.revoked = true
		g.family.revoked = true
	}
	a.mu.Unlock()
	writeNoStore(w, http.StatusOK, struct{}{})
}

// introspect is POST /oauth/introspect (RFC 7662), shaped as Calendly's.
func (a *authority) introspect(w http.ResponseWriter, r *http.Request) {
	if _, token, ok := a.tokenRequest(w, r); ok {
		writeNoStore(w, http.StatusOK, a.describeToken(token))
	}
}

func (a *authority) describeToken(token string) calendly.Introspection {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	key := digestOf(token)
	if g := a.access[key]; g != nil && !g.dead() && now.Before(g.expires) {
		return calendly.Introspection{Active: true, Scope: strings.Join(g.scopes, " "), ClientID: g.clientID, TokenType: "Bearer",
			Exp: g.expires.Unix(), Iat: g.issued.Unix(), Owner: g.user, Organization: a.organization}
	}
	if g := a.refresh[key]; g != nil && !g.dead() && !g.spent {
		return calendly.Introspection{Active: true, Scope: strings.Join(g.scopes, " "), ClientID: g.clientID, TokenType: "Bearer",
			Iat: g.issued.Unix(), Owner: g.user, Organization: a.organization}
	}
	if a.isPersonalAccessToken(token) {
		return calendly.Introspection{Active: true, Scope: strings.Join(knownScopes, " "), TokenType: "Bearer",
			Owner: a.userURI, Organization: a.organization}
	}
	return calendly.Introspection{Active: false}
}
