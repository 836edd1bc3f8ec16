package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"
)

func newLogoutCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Delete calwatch's subscriptions, revoke the login and forget its secrets",
		Long: `Log out of Calendly: delete the webhook subscriptions calwatch created (never
others), revoke the OAuth grant, then forget the account, its secrets and the data
key that sealed them. What cannot be done at Calendly (no network) is reported; the
local secrets are removed regardless.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return logoutRun(cmd.Context(), a) },
	}
}

func logoutRun(ctx context.Context, a *app) error {
	store, err := a.openExistingStore(ctx)
	if errors.Is(err, errNoDatabase) {
		a.hint("Not logged in; nothing to do.")
		return nil
	}
	if err != nil {
		return err
	}
	defer store.Close()
	home, err := a.accountHome(store)
	if err != nil {
		return err
	}
	report, err := home.Logout(ctx)
	for _, uri := range report.DeletedSubscriptions {
		a.hint("Deleted webhook subscription %s", uri)
	}
	for _, p := range report.Problems {
		a.hint("warning: %s", p)
	}
	for _, n := range report.Notes {
		a.hint("Note: %s", n)
	}
	if err != nil {
		return err
	}
	if !report.WasLoggedIn {
		a.hint("Not logged in; nothing to do.")
		return nil
	}
	if report.Revoked {
		a.hint("Revoked the OAuth grant.")
	}
	a.hint("Logged out; this home holds no Calendly secrets now.")
	return nil
}
