package calendly

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

// SaveTokenFunc stores a token pair durably. It must return only once the
// pair would survive a crash.
type SaveTokenFunc func(ctx context.Context, tok *oauth2.Token) error

// expirySkew refreshes a little before expiry, so a token does not die in
// flight.
const expirySkew = time.Minute

// PersistingTokenSource hands out the current access token and refreshes it
// when it is about to expire. Calendly's refresh tokens are single use, so:
//   - concurrent callers share one refresh (single flight);
//   - the rotated pair is saved before the new access token is used or
//     returned, and the refresh and the save run to completion even when
//     the caller who started them gives up;
//   - if saving fails, the error is returned and the new pair is not used;
//     the next call retries the save (not the spent refresh) first.
type PersistingTokenSource struct {
	refresh func(ctx context.Context, refreshToken string) (*oauth2.Token, error)
	save    SaveTokenFunc
	now     func() time.Time
	budget  time.Duration
	flight  singleflight.Group

	mu      sync.Mutex
	current *oauth2.Token
	pending *oauth2.Token // refreshed, not yet saved
}

// TokenSource makes the persisting token source for a saved token.
func (a *OAuthApp) TokenSource(saved *oauth2.Token, save SaveTokenFunc) (*PersistingTokenSource, error) {
	return newPersistingTokenSource(saved, save, a.refresh, a.now, a.refreshBudget)
}

func newPersistingTokenSource(saved *oauth2.Token, save SaveTokenFunc,
	refresh func(context.Context, string) (*oauth2.Token, error), now func() time.Time, budget time.Duration) (*PersistingTokenSource, error) {
	if saved == nil {
		return nil, errors.New("calendly: no saved token; sign in first")
	}
	if save == nil {
		return nil, errors.New("calendly: a persisting token source needs a save function")
	}
	return &PersistingTokenSource{refresh: refresh, save: save, now: now, budget: budget, current: saved}, nil
}

// String and GoString keep the tokens out of anything printed.
func (s *PersistingTokenSource) String() string   { return "calendly.PersistingTokenSource" }
func (s *PersistingTokenSource) GoString() string { return s.String() }

// Token is TokenContext without a deadline, for oauth2.Transport.
func (s *PersistingTokenSource) Token() (*oauth2.Token, error) {
	return s.TokenContext(context.Background())
}

// TokenContext returns a valid access token, refreshing it if needed. ctx
// bounds the wait, not the refresh: once started, a refresh is finished and
// saved (within a fixed budget) so its rotated refresh token is not lost.
func (s *PersistingTokenSource) TokenContext(ctx context.Context) (*oauth2.Token, error) {
	s.mu.Lock()
	cur := s.current
	s.mu.Unlock()
	if s.valid(cur) {
		return cur, nil
	}
	detached := context.WithoutCancel(ctx)
	ch := s.flight.DoChan("refresh", func() (any, error) {
		ctx, cancel := context.WithTimeout(detached, s.budget)
		defer cancel()
		return s.refreshAndSave(ctx)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("calendly: gave up waiting for the access token refresh: %w", ctx.Err())
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*oauth2.Token), nil
	}
}

func (s *PersistingTokenSource) refreshAndSave(ctx context.Context) (*oauth2.Token, error) {
	for range 2 {
		s.mu.Lock()
		cur, next := s.current, s.pending
		s.mu.Unlock()
		if s.valid(cur) {
			return cur, nil // refreshed by a flight that just ended
		}
		if next == nil {
			if cur.RefreshToken == "" {
				return nil, fmt.Errorf("%w (the access token expired and there is no refresh token)", ErrReauthRequired)
			}
			var err error
			if next, err = s.refresh(ctx, cur.RefreshToken); err != nil {
				if errors.Is(err, ErrReauthRequired) {
					return nil, fmt.Errorf("%w (%w)", ErrReauthRequired, err)
				}
				return nil, err
			}
		}
		if err := s.save(ctx, next); err != nil {
			s.mu.Lock()
			s.pending = next
			s.mu.Unlock()
			return nil, fmt.Errorf("calendly: refreshed the access token but could not save it, so it is not used; fix the storage and retry: %w", err)
		}
		s.mu.Lock()
		s.current, s.pending = next, nil
		s.mu.Unlock()
		// A pending pair saved late may itself have expired: go round once
		// more to refresh it.
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.valid(s.current) {
		return s.current, nil
	}
	return nil, errors.New("calendly: the token endpoint returned an access token that is already expired; check the clock")
}

func (s *PersistingTokenSource) valid(t *oauth2.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || s.now().Add(expirySkew).Before(t.Expiry)
}
