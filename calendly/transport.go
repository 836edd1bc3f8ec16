package calendly

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"
)

// describeTransportError keeps the URL's path (never the query, which may
// name people) and says what to check.
func describeTransportError(ctx context.Context, method string, u *url.URL, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("calendly: %s %s stopped: %w", method, u.Path, ctxErr)
	}
	var tokErr *tokenError
	if errors.As(err, &tokErr) {
		return fmt.Errorf("calendly: no access token for %s %s: %w", method, u.Path, tokErr.err)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return fmt.Errorf("calendly: %s %s%s failed: %w; check the network and the API base URL", method, u.Host, u.Path, err)
}

// tokenError marks an error from the token source, so it is not mistaken
// for a network failure.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// contextTokenSource is a token source whose wait can be cancelled, as
// PersistingTokenSource's can.
type contextTokenSource interface {
	TokenContext(ctx context.Context) (*oauth2.Token, error)
}

// bearerTransport is oauth2.Transport, except that it hands the request's
// context to a contextTokenSource and marks token errors as such.
type bearerTransport struct {
	source oauth2.TokenSource
	base   http.RoundTripper
}

func (t bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var tok *oauth2.Token
	var err error
	if cs, ok := t.source.(contextTokenSource); ok {
		tok, err = cs.TokenContext(r.Context())
	} else {
		tok, err = t.source.Token()
	}
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			err = describeRetrieveError(re)
		}
		return nil, &tokenError{err}
	}
	r2 := r.Clone(r.Context())
	tok.SetAuthHeader(r2)
	return t.base.RoundTrip(r2)
}

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
