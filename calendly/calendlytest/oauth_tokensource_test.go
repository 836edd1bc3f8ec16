package calendlytest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"golang.org/x/oauth2"
)

// savedPair records what a PersistingTokenSource saved, and can fail.
type savedPair struct {
	mu    sync.Mutex
	pairs []*oauth2.Token
	fail  error
}

func (s *savedPair) save(_ context.Context, tok *oauth2.Token) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.pairs = append(s.pairs, tok)
	return nil
}

func (s *savedPair) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *savedPair) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pairs)
}

// expiredLogin signs in and moves the clock past the access token's life.
// The oauth2 package judges expiry by the real clock, so the token's Expiry
// is set in the past too.
func expiredLogin(at *authTest, app *calendly.OAuthApp) *oauth2.Token {
	tok := at.login(app)
	at.clock.Advance(2*time.Hour + time.Second)
	tok.Expiry = time.Now().Add(-time.Second)
	return tok
}

func TestTokenSourceRefreshesOnceForManyCallersAgainstTheEmulator(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	old := expiredLogin(at, app)
	store := &savedPair{}
	ts, err := app.TokenSource(old, store.save)
	if err != nil {
		t.Fatal(err)
	}

	const callers = 24
	start := make(chan struct{})
	results := make(chan string, callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, err := ts.TokenContext(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			results <- tok.AccessToken
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	var first string
	for tok := range results {
		if first == "" {
			first = tok
		}
		if tok != first || tok == old.AccessToken {
			t.Errorf("callers got different or stale tokens")
		}
	}
	if n := at.refreshes.Load(); n != 1 {
		t.Errorf("refresh requests = %d, want exactly 1", n)
	}
	if store.count() != 1 || store.pairs[0].AccessToken != first || store.pairs[0].RefreshToken == old.RefreshToken {
		t.Errorf("saved %d pairs; want the one rotated pair", store.count())
	}
	if resp, _ := at.probe(first, "users:read"); resp.StatusCode != http.StatusOK {
		t.Errorf("the refreshed token answers %d", resp.StatusCode)
	}
}

func TestTokenSourceKeepsTheOldPairWhenSavingFails(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	old := expiredLogin(at, app)
	oldAccess, oldRefresh := old.AccessToken, old.RefreshToken
	diskFull := errors.New("disk full")
	store := &savedPair{fail: diskFull}
	ts, err := app.TokenSource(old, store.save)
	if err != nil {
		t.Fatal(err)
	}

	client, err := calendly.NewClient(ts, calendly.WithBaseURL(at.server.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = client.Users.Me(context.Background())
	if !errors.Is(err, diskFull) || !strings.Contains(err.Error(), "not used") {
		t.Fatalf("err = %v, want the save failure", err)
	}
	if old.AccessToken != oldAccess || old.RefreshToken != oldRefresh {
		t.Error("the caller's old pair was changed")
	}
	if at.refreshes.Load() != 1 {
		t.Fatalf("refreshes = %d", at.refreshes.Load())
	}
	// The old refresh token is spent at Calendly now; storage recovers and
	// the pending pair is saved and used without another refresh.
	store.setFail(nil)
	tok, err := ts.Token()
	if err != nil {
		t.Fatalf("after storage recovered: %v", err)
	}
	if at.refreshes.Load() != 1 || store.count() != 1 || store.pairs[0].AccessToken != tok.AccessToken {
		t.Errorf("refreshes %d saves %d", at.refreshes.Load(), store.count())
	}
	if resp, _ := at.probe(tok.AccessToken, ""); resp.StatusCode != http.StatusOK {
		t.Errorf("the saved token answers %d", resp.StatusCode)
	}
}

func TestTokenSourceAsksToSignInAgainWhenTheRefreshTokenWasSpent(t *testing.T) {
	at := newAuthTest(t, Options{ClientSecret: authTestClientSecret, AutoApprove: true})
	app := at.app(authTestClientSecret, authTestRedirect)
	old := expiredLogin(at, app)
	// Another process already used the refresh token.
	if status, _ := at.postForm("/oauth/token", map[string][]string{"grant_type": {"refresh_token"}, "refresh_token": {old.RefreshToken}}, true); status != 200 {
		t.Fatal(status)
	}
	store := &savedPair{}
	ts, _ := app.TokenSource(old, store.save)
	_, err := ts.Token()
	if !errors.Is(err, calendly.ErrReauthRequired) {
		t.Fatalf("err = %v, want ErrReauthRequired", err)
	}
	if store.count() != 0 {
		t.Error("a failed refresh saved something")
	}
}
