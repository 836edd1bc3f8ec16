package account

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ErrAccessDenied is the sign-in page's Deny (error=access_denied).
var ErrAccessDenied = errors.New("the Calendly sign-in was denied (access_denied); run calwatch login again and choose Approve")

// ErrStateMismatch is a callback that does not carry this login's state:
// something other than this login's browser tab sent it.
var ErrStateMismatch = errors.New("the sign-in callback did not carry this login's state, so it was refused (was another login running?); run calwatch login again")

// maxCallbackQuery bounds the callback's query string.
const maxCallbackQuery = 4096

// oauthErrorCode is what an RFC 6749 error code may look like; anything
// else is not repeated to the terminal.
var oauthErrorCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// authCode is an authorization code: printable ASCII without spaces.
var authCode = regexp.MustCompile(`^[\x21-\x7e]{1,512}$`)

// parseCallback reads the query of the redirect back to calwatch. The
// state is checked first, in constant time, so neither an error nor a code
// is believed from a request this login did not start.
func parseCallback(rawQuery, wantState string) (code string, err error) {
	if len(rawQuery) > maxCallbackQuery {
		return "", fmt.Errorf("the sign-in callback's query is longer than %d bytes; refused", maxCallbackQuery)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", errors.New("the sign-in callback's query could not be read; refused")
	}
	for name, vs := range q {
		if len(vs) > 1 {
			return "", fmt.Errorf("the sign-in callback repeats the parameter %q; refused", oneLineASCII(name, 40))
		}
	}
	if wantState == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(wantState)) != 1 {
		return "", ErrStateMismatch
	}
	if e := q.Get("error"); e != "" || q.Has("error") {
		if e == "access_denied" {
			return "", ErrAccessDenied
		}
		if !oauthErrorCode.MatchString(e) {
			e = "an unreadable error"
		}
		if desc := oneLineASCII(q.Get("error_description"), 200); desc != "" {
			return "", fmt.Errorf("Calendly refused the sign-in: %s: %s; check the OAuth app's settings and run calwatch login again", e, desc)
		}
		return "", fmt.Errorf("Calendly refused the sign-in: %s; check the OAuth app's settings and run calwatch login again", e)
	}
	code = q.Get("code")
	if !authCode.MatchString(code) {
		return "", errors.New("the sign-in callback carried no readable authorization code; run calwatch login again")
	}
	return code, nil
}

// oneLineASCII keeps s only if it is short printable ASCII: text from the
// outside that ends up in a terminal error line.
func oneLineASCII(s string, max int) string {
	if len(s) > max {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return ""
		}
	}
	return s
}

// loopbackRedirect checks that the redirect URI is one calwatch can serve
// itself: http on a loopback host, with a path and no query or fragment.
func loopbackRedirect(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("the redirect URI %q must be a plain http://localhost:PORT/PATH URL (a loopback address calwatch can listen on)", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("the redirect URI %q must point at this machine (localhost, 127.0.0.1 or [::1]) so calwatch can receive the sign-in", raw)
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// loopbackAddrs are the addresses to listen on for the redirect's host:
// "localhost" may resolve to either loopback family, so both are tried.
func loopbackAddrs(u *url.URL) []string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	if u.Hostname() == "localhost" {
		return []string{net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)}
	}
	return []string{net.JoinHostPort(u.Hostname(), port)}
}

// callbackServer answers exactly one request on the redirect URI's path and
// hands over what it carried; other paths get 404 and do not count.
type callbackServer struct {
	redirect *url.URL
	state    string
	srv      *http.Server
	result   chan callbackResult
	once     sync.Once
}

type callbackResult struct {
	code string
	err  error
}

func startCallbackServer(redirect *url.URL, state string) (*callbackServer, error) {
	c := &callbackServer{redirect: redirect, state: state, result: make(chan callbackResult, 1)}
	c.srv = &http.Server{Handler: c, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	var listeners []net.Listener
	var lastErr error
	for _, addr := range loopbackAddrs(redirect) {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			lastErr = err
			continue
		}
		listeners = append(listeners, l)
	}
	if len(listeners) == 0 {
		return nil, fmt.Errorf("cannot listen on %s for the sign-in callback (%v); stop what uses that port, or register another redirect URI with the OAuth app and pass it as --redirect-uri", redirect.Host, unwrapOpError(lastErr))
	}
	for _, l := range listeners {
		go c.srv.Serve(l)
	}
	return c, nil
}

func unwrapOpError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func (c *callbackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if r.URL.Path != c.redirect.Path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !strings.EqualFold(r.Host, c.redirect.Host) {
		http.Error(w, "wrong host", http.StatusBadRequest)
		return
	}
	taken := false
	c.once.Do(func() {
		taken = true
		code, err := parseCallback(r.URL.RawQuery, c.state)
		c.result <- callbackResult{code: code, err: err}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			callbackPage.Execute(w, struct{ Title, Text string }{"calwatch could not sign in", err.Error()})
			return
		}
		callbackPage.Execute(w, struct{ Title, Text string }{"calwatch is signed in", "You can close this tab and go back to the terminal."})
	})
	if !taken {
		http.Error(w, "this sign-in has already finished", http.StatusGone)
	}
}

// close stops listening; the answer in flight is finished first.
func (c *callbackServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c.srv.Shutdown(ctx) != nil {
		c.srv.Close()
	}
}

var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family: sans-serif; margin: 3em"><h1>{{.Title}}</h1><p>{{.Text}}</p></body></html>
`))
