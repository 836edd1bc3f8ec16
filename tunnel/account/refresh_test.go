package account

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// connect is one process's Connect on the home in dir.
func connect(t *testing.T, dir string) *Connection {
	t.Helper()
	conn, err := testHome(t, dir).Connect(context.Background(), ConnectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

// TestRefreshAcrossTwoProcessesSpendsEachRefreshTokenOnce: a TUI and a
// headless listen on one home (two stores, two token sources, one lock
// file) whose stored token expired, asked at once from many goroutines.
func TestRefreshAcrossTwoProcessesSpendsEachRefreshTokenOnce(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	dir := t.TempDir()
	home := testHome(t, dir)
	loginOAuth(t, f, home)
	a, b := connect(t, dir), connect(t, dir)

	for round := 1; round <= 2; round++ {
		expireStoredTokens(t, home)
		// Both processes read the expired pair before either refreshes.
		a, b = connect(t, dir), connect(t, dir)
		start := make(chan struct{})
		got := make(chan string, 16)
		var wg sync.WaitGroup
		for i := range 16 {
			src := a.Tokens
			if i%2 == 1 {
				src = b.Tokens
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				tok, err := src.TokenContext(context.Background())
				if err != nil {
					t.Error(err)
					return
				}
				got <- tok.AccessToken
			}()
		}
		close(start)
		wg.Wait()
		close(got)
		seen := map[string]bool{}
		for tok := range got {
			seen[tok] = true
		}
		if len(seen) != 1 {
			t.Errorf("round %d: %d different access tokens handed out, want 1", round, len(seen))
		}
		if n := f.refreshes.Load(); n != int32(round) {
			t.Fatalf("round %d: %d refresh grants so far, want %d (one per expiry)", round, n, round)
		}
		for _, c := range []*Connection{a, b} {
			if _, _, err := c.Client.Users.Me(context.Background()); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
}

// TestACallerGivingUpDoesNotLoseTheRotatedPair: the command that started a
// refresh is interrupted while Calendly answers; the pair is saved anyway
// and the next process uses it without spending another refresh token.
func TestACallerGivingUpDoesNotLoseTheRotatedPair(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	dir := t.TempDir()
	home := testHome(t, dir)
	loginOAuth(t, f, home)
	expireStoredTokens(t, home)
	before, _ := home.Store.Integration(context.Background())

	conn := connect(t, dir)
	entered, release := f.holdRefreshes()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := conn.Tokens.TokenContext(ctx); errc <- err }()
	<-entered
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the caller's cancellation", err)
	}
	release()
	deadline := time.Now().Add(10 * time.Second)
	for {
		after, _ := home.Store.Integration(context.Background())
		if string(after.RefreshToken) != string(before.RefreshToken) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rotated pair was never saved after its caller gave up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	next := connect(t, dir)
	if _, _, err := next.Client.Users.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refresh grants, want 1", n)
	}
}

// TestASaveThatFailsIsRetriedBeforeAnotherRefresh: the database is locked
// by someone else while the rotated pair is saved; the refresh token is
// already spent, so the next call saves the pair it holds instead of
// refreshing again.
func TestASaveThatFailsIsRetriedBeforeAnotherRefresh(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out SQLite's 5 s busy timeout")
	}
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	dir := t.TempDir()
	home := testHome(t, dir)
	loginOAuth(t, f, home)
	expireStoredTokens(t, home)
	conn := connect(t, dir)

	blocker, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, "calwatch.db")+"?_busy_timeout=100")
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	tx, err := blocker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE integration SET updated_at = updated_at`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Tokens.TokenContext(context.Background()); err == nil {
		t.Fatal("a refresh whose save failed handed out its token")
	}
	tx.Rollback()
	tok, err := conn.Tokens.TokenContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refresh grants, want 1: the saved-late pair must be used, not a second refresh", n)
	}
	if stored, _ := openPair(mustSealer(t, home), mustIntegration(t, home)); stored.AccessToken != tok.AccessToken {
		t.Error("the token handed out is not the one stored")
	}
}

// TestA401ForcesOneRefresh: Calendly stops taking an access token the
// clock says is valid; the client refreshes once and the call succeeds.
func TestA401ForcesOneRefresh(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	dir := t.TempDir()
	home := testHome(t, dir)
	loginOAuth(t, f, home)
	conn := connect(t, dir)
	stored, _ := openPair(mustSealer(t, home), mustIntegration(t, home))
	if err := conn.OAuthApp.Revoke(context.Background(), stored.AccessToken); err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.Client.Users.Me(context.Background()); err != nil {
		t.Fatalf("after a 401 the client did not recover: %v", err)
	}
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refresh grants, want 1", n)
	}
}

// TestARefusedRefreshIsLogInAgainNotALoop: the grant was revoked; the
// client reports "log in again" and does not ask Calendly again and again.
func TestARefusedRefreshIsLogInAgainNotALoop(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	dir := t.TempDir()
	home := testHome(t, dir)
	loginOAuth(t, f, home)
	conn := connect(t, dir)
	stored, _ := openPair(mustSealer(t, home), mustIntegration(t, home))
	if err := conn.OAuthApp.Revoke(context.Background(), stored.RefreshToken); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, _, err := conn.Client.Users.Me(context.Background()); err == nil {
			t.Fatal("a revoked grant still works")
		}
	}
	if err := conn.Tokens.LoginRequired(); !errors.Is(err, ErrLoginRequired) {
		t.Errorf("LoginRequired = %v, want ErrLoginRequired", err)
	}
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refresh grants for a refused grant, want 1", n)
	}

	// Logging in again (in another terminal) brings the same source back.
	loginOAuth(t, f, testHome(t, dir))
	if _, err := conn.Tokens.TokenContext(context.Background()); err != nil {
		t.Errorf("after a new login the source still says: %v", err)
	}
}

func mustIntegration(t *testing.T, home *Home) storageIntegration {
	t.Helper()
	in, err := home.Store.Integration(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return in
}
