package storage

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func TestSaveTokensChangesOnlyTheTokenColumns(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	in := Integration{AuthKind: "oauth", UserURI: "https://api.calendly.com/users/u1", UserName: "Ada", UserEmail: "ada@example.com",
		AccessToken: []byte("sealed-a1"), RefreshToken: []byte("sealed-r1"), TokenExpiresAt: testT0,
		SigningKey: []byte("sealed-key"), Scopes: "users:read webhooks:write", ClientID: "cid", ClientSecret: []byte("sealed-cs"),
		APIURL: "https://api.calendly.com", AuthURL: "https://auth.calendly.com"}
	if err := s.SaveIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	pair := TokenPair{AccessToken: []byte("sealed-a2"), RefreshToken: []byte("sealed-r2"), ExpiresAt: testT0.Add(2 * time.Hour)}
	if err := s.SaveTokens(ctx, in.UserURI, pair); err != nil {
		t.Fatal(err)
	}
	got, err := s.Integration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.AccessToken, pair.AccessToken) || !bytes.Equal(got.RefreshToken, pair.RefreshToken) || !got.TokenExpiresAt.Equal(pair.ExpiresAt) {
		t.Errorf("tokens read back as %q %q %v", got.AccessToken, got.RefreshToken, got.TokenExpiresAt)
	}
	if got.UserName != in.UserName || got.Scopes != in.Scopes || got.ClientID != in.ClientID || !bytes.Equal(got.ClientSecret, in.ClientSecret) ||
		!bytes.Equal(got.SigningKey, in.SigningKey) || got.APIURL != in.APIURL || got.AuthURL != in.AuthURL {
		t.Errorf("the rest of the account changed: %+v", got)
	}
}

func TestSaveTokensRefusesWhenTheAccountWasReplacedOrRemoved(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	pair := TokenPair{AccessToken: []byte("late"), RefreshToken: []byte("late-r")}
	if err := s.SaveTokens(ctx, "https://api.calendly.com/users/u1", pair); !errors.Is(err, ErrNotFound) {
		t.Errorf("no account: err = %v, want ErrNotFound", err)
	}
	if err := s.SaveIntegration(ctx, Integration{AuthKind: "oauth", UserURI: "https://api.calendly.com/users/u2", AccessToken: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTokens(ctx, "https://api.calendly.com/users/u1", pair); !errors.Is(err, ErrNotFound) {
		t.Errorf("another account: err = %v, want ErrNotFound", err)
	}
	if got, _ := s.Integration(ctx); string(got.AccessToken) != "new" {
		t.Errorf("a late refresh of another account overwrote the login: %q", got.AccessToken)
	}
	if err := s.SaveTokens(ctx, "https://api.calendly.com/users/u2", TokenPair{}); err == nil {
		t.Error("saved a pair without an access token")
	}
}
