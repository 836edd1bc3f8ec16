package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/account"
)

// storedAccount is the stored Calendly login, or nil when there is none
// (or no database yet). It opens no secret.
func (a *app) storedAccount(ctx context.Context) (*account.Account, error) {
	st, err := a.storedStatus(ctx)
	return st.Account, err
}

// storedState is what status reads from the database: the login, the
// subscriptions calwatch made, when it last synced and last took a
// delivery. It opens no secret.
type storedState struct {
	Account       *account.Account
	Subscriptions []storage.Subscription
	LastSync      *time.Time
	LastDelivery  *time.Time
}

func (a *app) storedStatus(ctx context.Context) (st storedState, err error) {
	store, err := a.openExistingStore(ctx)
	if errors.Is(err, errNoDatabase) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	defer store.Close()
	for r, err := range store.Deliveries(ctx, storage.DeliveryQuery{Limit: 1}) {
		if err != nil {
			return st, err
		}
		st.LastDelivery = &r.ReceivedAt
	}
	acct, err := (&account.Home{Store: store}).Account(ctx)
	if errors.Is(err, account.ErrNotLoggedIn) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Account = &acct
	if st.Subscriptions, err = store.Subscriptions(ctx); err != nil {
		return st, err
	}
	for _, owner := range []string{acct.UserURI, acct.OrganizationURI} {
		c, err := store.SyncCursor(ctx, owner)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return st, err
		}
		if st.LastSync == nil || c.LastCompletedAt.After(*st.LastSync) {
			st.LastSync = &c.LastCompletedAt
		}
	}
	return st, nil
}

// writeStoredStatus prints the subscription and sync lines of status.
func writeStoredStatus(w io.Writer, st storedState) error {
	for _, sub := range st.Subscriptions {
		if _, err := fmt.Fprintf(w, "Subscribed %s\n  events       %s\n  callback     %s\n  since        %s\n",
			safetext.Line(sub.URI), safetext.Line(strings.Join(sub.Events, ", ")), safetext.Line(sub.CallbackURL), localTime(sub.CreatedAt)); err != nil {
			return err
		}
	}
	if st.Account != nil && len(st.Subscriptions) == 0 {
		if _, err := fmt.Fprintln(w, "No webhook subscription of calwatch's: calwatch listen makes one while it runs."); err != nil {
			return err
		}
	}
	lastSync, lastDelivery := "never", "none yet"
	if st.LastSync != nil {
		lastSync = localTime(*st.LastSync)
	}
	if st.LastDelivery != nil {
		lastDelivery = localTime(*st.LastDelivery)
	}
	if st.Account != nil {
		if _, err := fmt.Fprintf(w, "Last synced with Calendly: %s\n", lastSync); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "Last delivery: %s\n", lastDelivery)
	return err
}

// writeAccountStatus prints the account lines of `calwatch status`.
func writeAccountStatus(w io.Writer, acct *account.Account) error {
	if acct == nil {
		_, err := fmt.Fprintln(w, "Not logged in to Calendly. Log in with: calwatch login")
		return err
	}
	expiry := "does not expire"
	if acct.TokenExpiresAt != nil {
		expiry = "expires " + localTime(*acct.TokenExpiresAt)
		if acct.AuthKind == account.KindOAuth {
			expiry += " (refreshed as needed)"
		}
	}
	scopes := strings.Join(acct.Scopes, " ")
	if scopes == "" {
		scopes = "-"
	}
	_, err := fmt.Fprintf(w, "Calendly account %s <%s>\n  user         %s\n  organization %s\n  login        %s, token %s\n  scopes       %s\n  API          %s\n",
		safetext.Line(acct.Name), safetext.Line(acct.Email), safetext.Line(acct.UserURI), safetext.Line(acct.OrganizationURI),
		acct.AuthKind, expiry, safetext.Line(scopes), safetext.Line(acct.APIURL))
	return err
}
