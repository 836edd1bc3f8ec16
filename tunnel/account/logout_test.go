package account

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

func subscribe(t *testing.T, c *calendly.Client, acct Account, url string) string {
	t.Helper()
	sub, _, err := c.WebhookSubscriptions.Create(context.Background(), calendly.CreateWebhookSubscriptionRequest{
		URL: url, Events: []string{"invitee.created"}, Organization: acct.OrganizationURI, User: acct.UserURI,
		Scope: calendly.ScopeUser, SigningKey: "sub-signing-key-0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	return sub.URI
}

func TestLogoutDeletesOnlyOurSubscriptionsRevokesAndForgets(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	dir := t.TempDir()
	home := testHome(t, dir)
	ctx := context.Background()
	acct := loginOAuth(t, f, home)
	conn := connect(t, dir)
	stored, _ := openPair(mustSealer(t, home), mustIntegration(t, home))

	var ours []string
	for _, u := range []string{"https://a.example/hook", "https://b.example/hook"} {
		uri := subscribe(t, conn.Client, acct, u)
		ours = append(ours, uri)
		if err := home.Store.RememberSubscription(ctx, storage.Subscription{URI: uri, CallbackURL: u, Scope: "user"}); err != nil {
			t.Fatal(err)
		}
	}
	other, _ := calendly.NewClient(calendly.StaticToken(testPAT), calendly.WithBaseURL(f.emu.URL))
	foreign := subscribe(t, other, acct, "https://someone-else.example/hook")

	report, err := home.Logout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !report.WasLoggedIn || !report.Revoked || len(report.Problems) != 0 || len(report.DeletedSubscriptions) != 2 {
		t.Errorf("report %+v; want both of ours deleted, revoked, no problems", report)
	}
	left := map[string]bool{}
	for sub, err := range other.WebhookSubscriptions.All(ctx, calendly.ListWebhookSubscriptionsOptions{Organization: acct.OrganizationURI, User: acct.UserURI, Scope: calendly.ScopeUser}) {
		if err != nil {
			t.Fatal(err)
		}
		left[sub.URI] = true
	}
	if !left[foreign] || left[ours[0]] || left[ours[1]] {
		t.Errorf("subscriptions left %v; want only the foreign %s", left, foreign)
	}
	for _, tok := range []string{stored.AccessToken, stored.RefreshToken} {
		if in, err := conn.OAuthApp.Introspect(ctx, tok); err != nil || in.Active {
			t.Errorf("a token is still active after logout: %+v, %v", in, err)
		}
	}
	if _, err := home.Account(ctx); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("account after logout: %v", err)
	}
	if subs, _ := home.Store.Subscriptions(ctx); len(subs) != 0 {
		t.Errorf("subscriptions remembered after logout: %v", subs)
	}
	if _, err := home.Keys.Sealer(ctx); !errors.Is(err, ErrNoDataKey) {
		t.Errorf("data key after logout: %v", err)
	}
}

func TestLogoutWhenCalendlyCannotBeReachedStillForgetsLocally(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{})
	dir := t.TempDir()
	home := testHome(t, dir)
	ctx := context.Background()
	if _, err := home.LoginWithToken(ctx, testPAT, f.hosts()); err != nil {
		t.Fatal(err)
	}
	home.Store.RememberSubscription(ctx, storage.Subscription{URI: f.emu.URL + "/webhook_subscriptions/W1", CallbackURL: "https://x.example/h"})
	f.emu.Close()
	report, err := home.Logout(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Problems) != 1 || !strings.Contains(report.Problems[0], "W1") || strings.Contains(report.Problems[0], "\n") {
		t.Errorf("problems %q; want one line naming the subscription left behind", report.Problems)
	}
	if len(report.Notes) != 1 || !strings.Contains(report.Notes[0], "personal access token") {
		t.Errorf("notes %q; want the PAT note", report.Notes)
	}
	if _, err := home.Account(ctx); !errors.Is(err, ErrNotLoggedIn) {
		t.Errorf("account after logout: %v", err)
	}
	home.Store.Close()
	assertNoPlaintext(t, dir, testPAT)
}

func TestLogoutWhenNotLoggedIn(t *testing.T) {
	home := testHome(t, t.TempDir())
	report, err := home.Logout(context.Background())
	if err != nil || report.WasLoggedIn || len(report.Problems) != 0 {
		t.Errorf("report %+v, err %v; want a quiet no-op", report, err)
	}
}
