package account

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// refreshSkew matches calendly.PersistingTokenSource's: a token this close
// to expiry is refreshed.
const refreshSkew = time.Minute

// refreshBudget bounds one locked refresh: the wait for the lock, the
// token endpoint and the save.
const refreshBudget = 45 * time.Second

// SharedTokenSource is the OAuth token source for one home. Inside one
// process it is single-flight; across processes (a TUI and a headless
// listen on the same home) it refreshes only while holding the home's
// refresh lock, and re-reads the stored pair inside it first, so a pair
// another process already rotated is adopted instead of spending its
// single-use refresh token twice. The refresh itself is a
// calendly.PersistingTokenSource that saves through storage.SaveTokens.
type SharedTokenSource struct {
	app      *calendly.OAuthApp
	store    *storage.Store
	sealer   *storage.Sealer
	userURI  string
	lockPath string
	now      func() time.Time
	flight   singleflight.Group

	mu      sync.Mutex
	current *oauth2.Token                   // the pair last loaded, saved or handed out
	inner   *calendly.PersistingTokenSource // refreshes current; holds a pair it could not save yet
	dead    error                           // the ErrLoginRequired a refresh ended in, until the stored pair changes
}

// String and GoString keep tokens out of anything printed.
func (s *SharedTokenSource) String() string   { return "account.SharedTokenSource" }
func (s *SharedTokenSource) GoString() string { return s.String() }

func newSharedTokenSource(app *calendly.OAuthApp, store *storage.Store, sealer *storage.Sealer, userURI, lockPath string, stored *oauth2.Token) (*SharedTokenSource, error) {
	s := &SharedTokenSource{app: app, store: store, sealer: sealer, userURI: userURI, lockPath: lockPath, now: time.Now}
	if err := s.adopt(stored); err != nil {
		return nil, err
	}
	return s, nil
}

// adopt makes tok the current pair, with a fresh PersistingTokenSource for
// it. s.mu must be held (or s not yet shared).
func (s *SharedTokenSource) adopt(tok *oauth2.Token) error {
	inner, err := s.app.TokenSource(tok, s.save)
	if err != nil {
		return err
	}
	s.current, s.inner, s.dead = tok, inner, nil
	return nil
}

// save is the PersistingTokenSource's save: the narrow write of the pair.
func (s *SharedTokenSource) save(ctx context.Context, tok *oauth2.Token) error {
	access, refresh, err := sealPair(s.sealer, tok)
	if err != nil {
		return err
	}
	return s.store.SaveTokens(ctx, s.userURI, storage.TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresAt: tok.Expiry})
}

// Token is TokenContext without a deadline.
func (s *SharedTokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext returns a valid access token. ctx bounds the wait; a
// refresh that has begun runs to its end (saved) even if the caller leaves.
// When the grant cannot be refreshed it returns ErrLoginRequired at once
// on every call, without asking Calendly again, until a new login is stored.
func (s *SharedTokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	cur, dead := s.current, s.dead
	s.mu.Unlock()
	if dead == nil && s.valid(cur) {
		return cur, nil
	}
	detached := context.WithoutCancel(ctx)
	ch := s.flight.DoChan("refresh", func() (any, error) {
		ctx, cancel := context.WithTimeout(detached, refreshBudget)
		defer cancel()
		return s.refreshLocked(ctx)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("gave up waiting for the Calendly token refresh: %w", ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*oauth2.Token), nil
	}
}

// LoginRequired is the "log in again" error once a refresh was refused,
// or nil.
func (s *SharedTokenSource) LoginRequired() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dead
}

// Expiry is when the current access token expires (zero if unknown).
func (s *SharedTokenSource) Expiry() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current.Expiry
}

func (s *SharedTokenSource) refreshLocked(ctx context.Context) (*oauth2.Token, error) {
	release, err := lockFile(ctx, s.lockPath)
	if err != nil {
		return nil, err
	}
	defer release()
	stored, err := s.loadStored(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if stored.AccessToken != s.current.AccessToken || stored.RefreshToken != s.current.RefreshToken {
		// Another process refreshed (or logged in again): use its pair.
		if err := s.adopt(stored); err != nil {
			s.mu.Unlock()
			return nil, err
		}
	}
	cur, inner, dead := s.current, s.inner, s.dead
	s.mu.Unlock()
	if dead != nil {
		return nil, dead
	}
	if s.valid(cur) {
		return cur, nil
	}
	tok, err := inner.TokenContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case errors.Is(err, calendly.ErrReauthRequired):
		s.dead = loginRequiredBecause("Calendly refused the refresh token: it was spent or revoked")
		return nil, s.dead
	case errors.Is(err, storage.ErrNotFound):
		s.dead = loginRequiredBecause("the account was logged out or replaced while refreshing")
		return nil, s.dead
	}
	if err != nil {
		return nil, err
	}
	s.current = tok
	return tok, nil
}

// loadStored reads and opens the stored pair.
func (s *SharedTokenSource) loadStored(ctx context.Context) (*oauth2.Token, error) {
	in, err := s.store.Integration(ctx)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, loginRequiredBecause("the account was logged out")
	}
	if err != nil {
		return nil, err
	}
	if in.UserURI != s.userURI {
		return nil, loginRequiredBecause("another account is logged in now; restart calwatch")
	}
	return openPair(s.sealer, in)
}

// invalidate marks accessToken as refused by the API (a 401): if it is
// still the current one, the next TokenContext refreshes it even though
// its clock says it is valid.
func (s *SharedTokenSource) invalidate(accessToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil || s.current.AccessToken != accessToken || !s.valid(s.current) {
		return
	}
	forced := *s.current
	forced.Expiry = time.Unix(1, 0)
	if err := s.adopt(&forced); err != nil {
		return
	}
}

func (s *SharedTokenSource) valid(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || s.now().Add(refreshSkew).Before(t.Expiry)
}
