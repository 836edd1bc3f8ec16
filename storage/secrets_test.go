package storage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestIntegrationRoundTripKeepsSecretsOutOfJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calwatch.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Integration(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before login: err = %v, want ErrNotFound", err)
	}
	sealed := Integration{AuthKind: "oauth", UserURI: "https://api.calendly.com/users/u1", UserEmail: "me@example.com",
		AccessToken: []byte("sealed-access\x00\xff"), RefreshToken: []byte("sealed-refresh"), SigningKey: []byte("sealed-key"),
		TokenExpiresAt: testT0.Add(2 * time.Hour)}
	if err := s.SaveIntegration(ctx, sealed); err != nil {
		t.Fatal(err)
	}
	rotated := sealed
	rotated.RefreshToken = []byte("sealed-refresh-2")
	if err := s.SaveIntegration(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(ctx, path) // the rotated token survives a restart
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Integration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.RefreshToken, rotated.RefreshToken) || !bytes.Equal(got.AccessToken, sealed.AccessToken) ||
		!got.TokenExpiresAt.Equal(sealed.TokenExpiresAt) || got.UserEmail != sealed.UserEmail {
		t.Errorf("read back %+v", got)
	}
	b, _ := json.Marshal(got)
	for _, secret := range []string{"sealed-access", "sealed-refresh", "sealed-key", "c2VhbGVk"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("JSON %s contains %q", b, secret)
		}
	}
	if err := s.DeleteIntegration(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Integration(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("after logout: err = %v", err)
	}
}

func TestSubscriptionsRemembered(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	sub := Subscription{URI: "https://api.calendly.com/webhook_subscriptions/w1", CallbackURL: "https://x.ngrok.app/hook", Scope: "user",
		Events: []string{"invitee.created", "invitee.canceled"}, Owner: hostURI, AuthKind: "pat", SigningKey: []byte("sealed")}
	if err := s.RememberSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	subs, err := s.Subscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].URI != sub.URI || string(subs[0].SigningKey) != "sealed" {
		t.Fatalf("subscriptions = %+v, %v", subs, err)
	}
	if got := subs[0]; !slices.Equal(got.Events, sub.Events) || got.Owner != sub.Owner || got.AuthKind != "pat" {
		t.Errorf("remembered events/owner/auth kind = %v %q %q, want %v %q pat", got.Events, got.Owner, got.AuthKind, sub.Events, sub.Owner)
	}
	if err := s.ForgetSubscription(ctx, sub.URI); err != nil {
		t.Fatal(err)
	}
	if subs, _ := s.Subscriptions(ctx); len(subs) != 0 {
		t.Errorf("after forget: %+v", subs)
	}
	if err := s.RememberSubscription(ctx, Subscription{}); err == nil {
		t.Error("a subscription without uri was remembered")
	}
}
