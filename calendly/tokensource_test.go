package calendly

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// fakeAuth rotates refresh tokens as Calendly does: each works once.
type fakeAuth struct {
	mu      sync.Mutex
	live    string // the one refresh token that works
	calls   atomic.Int32
	release chan struct{} // when set, refreshes block until it closes
	entered chan struct{} // when set, closed as the first refresh starts
	once    sync.Once
	now     time.Time
}

func (f *fakeAuth) refresh(ctx context.Context, rt string) (*oauth2.Token, error) {
	n := f.calls.Add(1)
	if f.entered != nil {
		f.once.Do(func() { close(f.entered) })
	}
	if f.release != nil {
		<-f.release
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if rt != f.live {
		return nil, &OAuthError{Code: "invalid_grant", Description: "spent"}
	}
	f.live = fmt.Sprintf("rt-%d", n)
	return &oauth2.Token{AccessToken: fmt.Sprintf("at-%d", n), RefreshToken: f.live, Expiry: f.now.Add(2 * time.Hour)}, nil
}

type tokenStore struct {
	mu    sync.Mutex
	saved []*oauth2.Token
	fail  error
}

func (s *tokenStore) save(_ context.Context, tok *oauth2.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.saved = append(s.saved, tok)
	return nil
}

func (s *tokenStore) last() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.saved) == 0 {
		return nil
	}
	return s.saved[len(s.saved)-1]
}

func newTestTokenSource(t *testing.T, auth *fakeAuth, store *tokenStore) *PersistingTokenSource {
	t.Helper()
	expired := &oauth2.Token{AccessToken: "at-0", RefreshToken: "rt-0", Expiry: auth.now.Add(-time.Minute)}
	auth.live = "rt-0"
	ts, err := newPersistingTokenSource(expired, store.save, auth.refresh, func() time.Time { return auth.now }, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestTokenSourceRefreshesOnceForConcurrentCallers(t *testing.T) {
	auth := &fakeAuth{now: time.Now(), release: make(chan struct{})}
	store := &tokenStore{}
	ts := newTestTokenSource(t, auth, store)

	const callers = 16
	var started, done sync.WaitGroup
	tokens := make(chan string, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			tok, err := ts.TokenContext(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			tokens <- tok.AccessToken
		}()
	}
	started.Wait()
	close(auth.release)
	done.Wait()
	close(tokens)
	for tok := range tokens {
		if tok != "at-1" {
			t.Errorf("a caller got %q, want the one refreshed token at-1", tok)
		}
	}
	if n := auth.calls.Load(); n != 1 {
		t.Errorf("refreshes = %d, want 1", n)
	}
	if last := store.last(); last == nil || last.RefreshToken != "rt-1" {
		t.Errorf("saved = %+v, want the rotated pair", last)
	}
	// Still valid: no refresh at all.
	if tok, _ := ts.Token(); tok.AccessToken != "at-1" || auth.calls.Load() != 1 {
		t.Errorf("a valid token was refreshed again")
	}
}

func TestTokenSourceDoesNotUseAPairItCouldNotSave(t *testing.T) {
	auth := &fakeAuth{now: time.Now()}
	store := &tokenStore{fail: errors.New("disk full")}
	ts := newTestTokenSource(t, auth, store)

	tok, err := ts.Token()
	if err == nil || tok != nil {
		t.Fatalf("got %v, %v; want the save error and no token", tok, err)
	}
	if !errors.Is(err, store.fail) || errors.Is(err, ErrReauthRequired) {
		t.Errorf("err = %v, want it to wrap the save error", err)
	}
	if ts.current.AccessToken != "at-0" || ts.current.RefreshToken != "rt-0" {
		t.Errorf("the old pair was replaced: %+v", ts.current)
	}

	// Storage is back: the pending pair is saved and used, with no second
	// refresh (the first one already spent rt-0).
	store.mu.Lock()
	store.fail = nil
	store.mu.Unlock()
	tok, err = ts.Token()
	if err != nil || tok.AccessToken != "at-1" {
		t.Fatalf("after storage recovered: %v, %v", tok, err)
	}
	if n := auth.calls.Load(); n != 1 {
		t.Errorf("refreshes = %d, want 1 (a second would reuse a spent refresh token)", n)
	}
	if store.last().RefreshToken != "rt-1" {
		t.Errorf("saved %+v", store.last())
	}
}

func TestTokenSourceFinishesARefreshItsCallerAbandoned(t *testing.T) {
	auth := &fakeAuth{now: time.Now(), release: make(chan struct{}), entered: make(chan struct{})}
	store := &tokenStore{}
	ts := newTestTokenSource(t, auth, store)

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := ts.TokenContext(ctx)
		errc <- err
	}()
	select { // wait until the refresh is in flight
	case <-auth.entered:
	case err := <-errc:
		t.Fatalf("returned before refreshing: %v", err)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	close(auth.release)
	// The abandoned refresh still completes and saves; the next caller
	// gets its token without refreshing again.
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != "at-1" || auth.calls.Load() != 1 {
		t.Fatalf("got %v, %v after %d refreshes", tok, err, auth.calls.Load())
	}
	if store.last() == nil || store.last().RefreshToken != "rt-1" {
		t.Errorf("the rotated pair was not saved")
	}
}

func TestTokenSourceSaysSignInAgainWhenRefreshIsRefused(t *testing.T) {
	auth := &fakeAuth{now: time.Now()}
	store := &tokenStore{}
	ts := newTestTokenSource(t, auth, store)
	auth.live = "someone-else-rotated-it"
	_, err := ts.Token()
	if !errors.Is(err, ErrReauthRequired) {
		t.Fatalf("err = %v, want ErrReauthRequired", err)
	}
	noRefresh, _ := newPersistingTokenSource(&oauth2.Token{AccessToken: "x", Expiry: auth.now.Add(-time.Hour)}, store.save, auth.refresh, time.Now, time.Second)
	if _, err := noRefresh.Token(); !errors.Is(err, ErrReauthRequired) {
		t.Errorf("no refresh token: err = %v", err)
	}
	if len(store.saved) != 0 {
		t.Errorf("saved %d tokens after failures", len(store.saved))
	}
}

func TestSecretsStayOutOfPrintedValues(t *testing.T) {
	app, err := NewOAuthApp("client-id", "client-secret-xyz", "http://127.0.0.1:1/cb", nil)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := app.TokenSource(&oauth2.Token{AccessToken: "access-xyz", RefreshToken: "refresh-xyz"}, func(context.Context, *oauth2.Token) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{app, ts} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{"client-secret-xyz", "access-xyz", "refresh-xyz"} {
				if strings.Contains(out, secret) {
					t.Errorf("%s of %T prints %s", verb, v, secret)
				}
			}
		}
	}
}

func TestRefusedRefreshSaysToSignInAgain(t *testing.T) {
	auth := &fakeAuth{now: time.Now()}
	ts := newTestTokenSource(t, auth, &tokenStore{})
	auth.live = "rotated-elsewhere"
	_, err := ts.Token()
	var oe *OAuthError
	if !strings.Contains(fmt.Sprint(err), "sign in again") || !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Errorf("err = %v; want a sign-in-again message that keeps the OAuth error", err)
	}
}
