package main

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

const subsTestToken = "cmd-subscriptions-token"

// plainSealer is enough sealing for a test: the keys never matter here.
type plainSealer struct{}

func (plainSealer) Seal(p []byte, id string) ([]byte, error) {
	return append([]byte(id+"|"), p...), nil
}
func (plainSealer) Open(s []byte, id string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(string(s), id+"|"); ok {
		return []byte(rest), nil
	}
	return nil, errors.New("wrong identity")
}

// subscriptionsFixture is an emulator with one subscription calwatch made
// (remembered in the home's database) and one it did not.
func subscriptionsFixture(t *testing.T) (emu *calendlytest.Server, home string, ours, foreign string) {
	t.Helper()
	emu = calendlytest.NewServer(calendlytest.Options{Tokens: []string{subsTestToken}})
	t.Cleanup(emu.Close)
	t.Setenv("CALENDLY_TOKEN", subsTestToken)
	t.Setenv("CALENDLY_API_URL", "")
	home = t.TempDir()
	ctx := context.Background()
	store, err := storage.Open(ctx, filepath.Join(home, "calwatch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	client, err := calendly.NewClient(calendly.StaticToken(subsTestToken), calendly.WithBaseURL(emu.URL))
	if err != nil {
		t.Fatal(err)
	}
	user := emu.DefaultUser()
	life, err := subscription.New(client, store, plainSealer{}, subscription.Account{User: user.URI, Organization: user.CurrentOrganization, AuthKind: subscription.AuthPAT})
	if err != nil {
		t.Fatal(err)
	}
	active, err := life.Ensure(ctx, subscription.Request{CallbackURL: "https://ours.example/hook"})
	if err != nil {
		t.Fatal(err)
	}
	other, _, err := client.WebhookSubscriptions.Create(ctx, calendly.CreateWebhookSubscriptionRequest{
		URL: "https://someone-else.example/hook", Events: []string{calendly.EventInviteeCreated},
		Organization: user.CurrentOrganization, User: user.URI, Scope: calendly.ScopeUser,
	})
	if err != nil {
		t.Fatal(err)
	}
	return emu, home, active.URI, other.URI
}

func TestSubscriptionsListMarksOurs(t *testing.T) {
	emu, home, ours, foreign := subscriptionsFixture(t)
	r := runCLI(t, nil, "--home", home, "subscriptions", "list", "--json", "--api-url", emu.URL).wantExit(t, exitOK)
	listed := decodeJSON[[]map[string]any](t, r)
	got := map[string]map[string]any{}
	for _, s := range listed {
		got[s["uri"].(string)] = s
	}
	if len(listed) != 2 || got[ours]["ours"] != true || got[foreign]["ours"] != false || got[ours]["state"] != "active" {
		t.Errorf("listed %v; want ours marked active and the foreign one unmarked", listed)
	}
	table := runCLI(t, nil, "--home", home, "subscriptions", "list", "--api-url", emu.URL).wantExit(t, exitOK)
	if lines := strings.Split(strings.TrimSpace(table.stdout), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[0], "OURS") {
		t.Errorf("want a header and two rows:\n%s", table.stdout)
	}
	if strings.Contains(r.stdout+r.stderr+table.stdout+table.stderr, subsTestToken) {
		t.Error("the token was printed")
	}
}

func TestSubscriptionsPruneDeletesOursOnly(t *testing.T) {
	emu, home, ours, foreign := subscriptionsFixture(t)
	r := runCLI(t, nil, "--home", home, "subscriptions", "prune", "--json", "--api-url", emu.URL).wantExit(t, exitOK)
	pruned := decodeJSON[[]map[string]any](t, r)
	if len(pruned) != 1 || pruned[0]["uri"] != ours || pruned[0]["reason"] != "unused" {
		t.Errorf("pruned %v; want only ours, as unused (no calwatch listen is running)", pruned)
	}
	listed := decodeJSON[[]map[string]any](t, runCLI(t, nil, "--home", home, "subscriptions", "list", "--json", "--api-url", emu.URL).wantExit(t, exitOK))
	if len(listed) != 1 || listed[0]["uri"] != foreign {
		t.Errorf("after prune: %v; want the foreign subscription only", listed)
	}
	again := runCLI(t, nil, "--home", home, "subscriptions", "prune", "--api-url", emu.URL).wantExit(t, exitOK)
	if again.stdout != "" || !strings.Contains(again.stderr, "nothing to prune") {
		t.Errorf("a second prune: stdout %q stderr %q", again.stdout, again.stderr)
	}
}

func TestSubscriptionsNeedALogin(t *testing.T) {
	t.Setenv("CALENDLY_TOKEN", "")
	r := runCLI(t, nil, "--home", t.TempDir(), "subscriptions", "list").wantExit(t, exitFailure)
	r.wantOneLineError(t, "CALENDLY_TOKEN")
}
