package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/account"
)

// storedAccount is the stored Calendly login, or nil when there is none
// (or no database yet). It opens no secret.
func (a *app) storedAccount(ctx context.Context) (*account.Account, error) {
	store, err := a.openExistingStore(ctx)
	if errors.Is(err, errNoDatabase) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer store.Close()
	acct, err := (&account.Home{Store: store}).Account(ctx)
	if errors.Is(err, account.ErrNotLoggedIn) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &acct, nil
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
