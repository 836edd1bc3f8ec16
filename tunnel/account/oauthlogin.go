package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/calwatch/calwatch/calendly"
)

// DefaultRedirectURI is where Calendly sends the browser back: a loopback
// address calwatch listens on during login. The OAuth app must list it.
const DefaultRedirectURI = "http://localhost:8765/callback"

// DefaultLoginTimeout is how long a login waits for the browser.
const DefaultLoginTimeout = 5 * time.Minute

// ErrLoginTimedOut is a login whose browser never came back.
var ErrLoginTimedOut = errors.New("no answer from the browser")

// OAuthFlow is one authorization-code login with PKCE S256 through a
// loopback callback on the App's redirect URI.
type OAuthFlow struct {
	App *calendly.OAuthApp
	// ShowURL is told the sign-in URL, always (print it: the browser may
	// not open, or open on another screen).
	ShowURL func(url string)
	// OpenBrowser opens the URL; nil is --no-browser. Its failure is told
	// to Say, and the login goes on waiting.
	OpenBrowser func(url string) error
	// Say takes one-line progress messages; nil drops them.
	Say func(msg string)
	// Timeout bounds the wait for the browser; 0 is DefaultLoginTimeout.
	Timeout time.Duration
}

// pkceSession binds a login's state to its PKCE verifier: the code that
// comes back with this state is exchanged with this verifier, and no other.
type pkceSession struct {
	state    string
	verifier string
}

func newPKCESession() (pkceSession, error) {
	b := make([]byte, 16) // 128 bits
	if _, err := rand.Read(b); err != nil {
		return pkceSession{}, fmt.Errorf("no randomness for the login's state: %w", err)
	}
	return pkceSession{state: base64.RawURLEncoding.EncodeToString(b), verifier: oauth2.GenerateVerifier()}, nil
}

// Token runs the flow: listen on the redirect URI, send the user to
// Calendly, take exactly one callback, check it, exchange the code.
func (f OAuthFlow) Token(ctx context.Context) (*oauth2.Token, error) {
	if f.App == nil {
		return nil, errors.New("an OAuth login needs the OAuth app (--client-id)")
	}
	redirect, err := loopbackRedirect(f.App.Config().RedirectURL)
	if err != nil {
		return nil, err
	}
	session, err := newPKCESession()
	if err != nil {
		return nil, err
	}
	server, err := startCallbackServer(redirect, session.state)
	if err != nil {
		return nil, err
	}
	defer server.close()

	authURL := f.App.AuthCodeURL(session.state, session.verifier)
	if f.ShowURL != nil {
		f.ShowURL(authURL)
	}
	if f.OpenBrowser != nil {
		if err := f.OpenBrowser(authURL); err != nil {
			f.say(fmt.Sprintf("could not open a browser (%v); open the URL above yourself", err))
		}
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = DefaultLoginTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var res callbackResult
	select {
	case res = <-server.result:
	case <-timer.C:
		return nil, fmt.Errorf("%w within %v; run calwatch login again (with --no-browser, open the printed URL yourself)", ErrLoginTimedOut, timeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("login stopped before the browser came back: %w", ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	f.say("signed in at Calendly; fetching the tokens")
	return f.App.Exchange(ctx, res.code, session.verifier)
}

func (f OAuthFlow) say(msg string) {
	if f.Say != nil {
		f.Say(msg)
	}
}
