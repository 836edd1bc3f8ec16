package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/subscription"
)

func newSubscriptionsCmd(a *app) *cobra.Command {
	var apiURL string
	cmd := groupCmd("subscriptions", "List and prune the account's webhook subscriptions")
	cmd.PersistentFlags().StringVar(&apiURL, "api-url", "", "Calendly API origin `URL` (env CALENDLY_API_URL; default "+calendly.DefaultBaseURL+")")
	cmd.AddCommand(newSubscriptionsListCmd(a, &apiURL), newSubscriptionsPruneCmd(a, &apiURL))
	return cmd
}

func newSubscriptionsListCmd(a *app, apiURL *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every webhook subscription on the account, calwatch's own marked",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return subscriptionsListRun(cmd.Context(), a, *apiURL, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func newSubscriptionsPruneCmd(a *app, apiURL *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete calwatch's stale subscriptions (disabled, gone, or not served by a running calwatch)",
		Long: "Delete the webhook subscriptions calwatch created that Calendly disabled, that no longer exist, " +
			"or whose callback URL no running `calwatch listen` serves. Subscriptions calwatch did not create are never touched.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return subscriptionsPruneRun(cmd.Context(), a, *apiURL, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of what was deleted")
	return cmd
}

func subscriptionsListRun(ctx context.Context, a *app, apiURL string, asJSON bool) error {
	life, done, err := a.subscriptionLifecycle(ctx, apiURL)
	if err != nil {
		return err
	}
	defer done()
	listed, err := life.List(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.out, listed)
	}
	if len(listed) == 0 {
		a.hint("no webhook subscriptions on this account; `calwatch listen` creates one")
		return nil
	}
	rows := make([][]string, 0, len(listed))
	for _, s := range listed {
		ours := "-"
		if s.Ours {
			ours = "yes"
		}
		rows = append(rows, []string{
			ours, cell(safetext.Line(s.State)), cell(safetext.Line(s.Scope)),
			cell(safetext.Line(s.CallbackURL)), cell(safetext.Line(strings.Join(s.Events, ","))),
			localTime(s.CreatedAt.Time), safetext.Line(s.URI),
		})
	}
	return writeTable(a.out, []string{"OURS", "STATE", "SCOPE", "CALLBACK URL", "EVENTS", "CREATED", "URI"}, rows)
}

func subscriptionsPruneRun(ctx context.Context, a *app, apiURL string, asJSON bool) error {
	var inUse []string
	state, running, err := a.readListenState()
	if err != nil {
		return err
	}
	if running {
		inUse = append(inUse, state.WebhookURL)
	}
	life, done, err := a.subscriptionLifecycle(ctx, apiURL)
	if err != nil {
		return err
	}
	defer done()
	pruned, err := life.Prune(ctx, inUse...)
	if asJSON {
		if jerr := writeJSON(a.out, pruned); jerr != nil && err == nil {
			err = jerr
		}
		return err
	}
	if len(pruned) > 0 {
		rows := make([][]string, 0, len(pruned))
		for _, p := range pruned {
			rows = append(rows, []string{p.Reason, cell(safetext.Line(p.CallbackURL)), safetext.Line(p.URI)})
		}
		if werr := writeTable(a.out, []string{"DELETED", "CALLBACK URL", "URI"}, rows); werr != nil && err == nil {
			err = werr
		}
	} else if err == nil {
		a.hint("nothing to prune: calwatch has no stale subscriptions")
	}
	return err
}

// subscriptionLifecycle opens the store and a Calendly client for the
// subscriptions commands. done closes the store.
func (a *app) subscriptionLifecycle(ctx context.Context, apiURL string) (*subscription.Lifecycle, func(), error) {
	client, err := envClient(apiURL)
	if err != nil {
		return nil, nil, err
	}
	me, _, err := client.Users.Me(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot read the Calendly account (GET /users/me): %w", err)
	}
	store, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	life, err := subscription.New(client, store, refusingSealer{}, subscription.Account{
		User: me.URI, Organization: me.CurrentOrganization, AuthKind: subscription.AuthPAT,
	})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	return life, func() { store.Close() }, nil
}

// envClient is a Calendly client from CALENDLY_TOKEN and --api-url /
// CALENDLY_API_URL.
//
// LEAD: swap for the account helper (stored login, OAuth refresh) at merge.
func envClient(apiURL string) (*calendly.Client, error) {
	token := strings.TrimSpace(os.Getenv("CALENDLY_TOKEN"))
	if token == "" {
		return nil, errors.New("no Calendly login: set CALENDLY_TOKEN to a personal access token (Calendly → Integrations → API & Webhooks)")
	}
	if apiURL == "" {
		apiURL = os.Getenv("CALENDLY_API_URL")
	}
	opts := []calendly.Option{}
	if apiURL != "" {
		opts = append(opts, calendly.WithBaseURL(apiURL))
	}
	client, err := calendly.NewClient(calendly.StaticToken(token), opts...)
	if err != nil {
		return nil, usageError{fmt.Errorf("%w (check --api-url / CALENDLY_API_URL)", err)}
	}
	return client, nil
}

// refusingSealer stands in for storage's sealer: list and prune never seal
// or open a key.
//
// LEAD: swap for storage.NewSealer with the data key at merge.
type refusingSealer struct{}

func (refusingSealer) Seal([]byte, string) ([]byte, error) {
	return nil, errors.New("this command does not store signing keys")
}

func (refusingSealer) Open([]byte, string) ([]byte, error) {
	return nil, errors.New("this command does not read signing keys")
}

var _ subscription.Store = (*storage.Store)(nil)
