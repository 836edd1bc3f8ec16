package main

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/account"
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
	state, running, err := a.paths().Listener()
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

// subscriptionLifecycle is the account's subscriptions, for the
// subscriptions commands: the stored login (or CALENDLY_TOKEN), and what
// calwatch remembers creating. Like the read-back commands, these never
// create a database: where there is none, calwatch created no subscription
// and only CALENDLY_TOKEN can say whose account to list. done closes what
// was opened.
func (a *app) subscriptionLifecycle(ctx context.Context, apiURL string) (life *subscription.Lifecycle, done func(), err error) {
	var store subscription.Store = noSubscriptions{}
	var opened *storage.Store
	switch opened, err = a.openStoreIfExists(ctx); {
	case errors.Is(err, errNoDatabase):
		opened = nil
	case err != nil:
		return nil, nil, err
	default:
		store = opened
	}
	if opened == nil && os.Getenv(envToken) == "" {
		return nil, nil, account.ErrNotLoggedIn
	}
	closeStore := func() {
		if opened != nil {
			opened.Close()
		}
	}
	conn, _, err := a.connectAccount(ctx, opened, account.Hosts{APIURL: apiURL})
	if err != nil {
		closeStore()
		return nil, nil, err
	}
	done = func() {
		_ = conn.Close(context.WithoutCancel(ctx))
		closeStore()
	}
	// List and prune never seal or open a signing key (only reusing a
	// subscription does), so they need no data key.
	life, err = subscription.New(conn.Client, store, noSealer{}, subscription.Account{
		User: conn.Account.UserURI, Organization: conn.Account.OrganizationURI, AuthKind: subscriptionAuthKind(conn.Account.AuthKind),
	})
	if err != nil {
		done()
		return nil, nil, err
	}
	return life, done, nil
}

// subscriptionAuthKind maps a login's kind to the subscription's.
func subscriptionAuthKind(kind string) string {
	if kind == account.KindOAuth {
		return subscription.AuthOAuth
	}
	return subscription.AuthPAT
}

// noSubscriptions is the store where there is no database yet.
type noSubscriptions struct{}

func (noSubscriptions) RememberSubscription(context.Context, storage.Subscription) error {
	return errors.New("there is no calwatch database to remember subscriptions in")
}
func (noSubscriptions) Subscriptions(context.Context) ([]storage.Subscription, error) {
	return nil, nil
}
func (noSubscriptions) ForgetSubscription(context.Context, string) error { return nil }
func (noSubscriptions) RecordSubscriptionIntent(context.Context, storage.SubscriptionIntent) error {
	return errors.New("there is no calwatch database to record subscriptions in")
}
func (noSubscriptions) SubscriptionIntents(context.Context) ([]storage.SubscriptionIntent, error) {
	return nil, nil
}
func (noSubscriptions) ForgetSubscriptionIntent(context.Context, string) error { return nil }

// noSealer is the sealer where no data key exists: list and prune never
// seal or open a signing key.
type noSealer struct{}

func (noSealer) Seal([]byte, string) ([]byte, error) {
	return nil, errors.New("this command does not store signing keys")
}

func (noSealer) Open([]byte, string) ([]byte, error) {
	return nil, errors.New("this command does not read signing keys")
}

var _ subscription.Store = (*storage.Store)(nil)
