package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/calwatch/calwatch/calendly"
)

// LogoutReport says what Logout did at Calendly. Problems are one line
// each: what could not be done there and what follows from it.
type LogoutReport struct {
	WasLoggedIn          bool
	Account              Account
	DeletedSubscriptions []string
	Revoked              bool
	Problems             []string
	Notes                []string
}

// Logout deletes the webhook subscriptions calwatch created, revokes the
// OAuth grant, then forgets the account, the subscriptions and the data
// key. What fails at Calendly (no network, a grant already dead) is
// reported and does not stop the local clean-up: after Logout no secret of
// this home is left on the machine. The error is only for local failures.
func (h *Home) Logout(ctx context.Context) (LogoutReport, error) {
	var report LogoutReport
	conn, err := h.Connect(ctx, ConnectOptions{})
	switch {
	case errors.Is(err, ErrNotLoggedIn):
	case err != nil:
		report.WasLoggedIn = true
		report.Problems = append(report.Problems, fmt.Sprintf("could not reach Calendly with the stored login (%v); nothing was deleted or revoked there", err))
	default:
		report.WasLoggedIn, report.Account = true, conn.Account
		h.deleteSubscriptions(ctx, conn, &report)
		h.revoke(ctx, conn, &report)
	}

	subs, err := h.Store.Subscriptions(ctx)
	if err != nil {
		return report, err
	}
	for _, sub := range subs {
		if err := h.Store.ForgetSubscription(ctx, sub.URI); err != nil {
			return report, err
		}
	}
	if err := h.Store.DeleteIntegration(ctx); err != nil {
		return report, err
	}
	if err := h.Keys.Delete(ctx); err != nil {
		return report, fmt.Errorf("the account is forgotten, but %w", err)
	}
	return report, nil
}

// deleteSubscriptions deletes, at Calendly, only the subscriptions
// calwatch remembers creating.
func (h *Home) deleteSubscriptions(ctx context.Context, conn *Connection, report *LogoutReport) {
	subs, err := h.Store.Subscriptions(ctx)
	if err != nil {
		report.Problems = append(report.Problems, fmt.Sprintf("could not read the subscriptions calwatch created (%v)", err))
		return
	}
	for _, sub := range subs {
		_, err := conn.Client.WebhookSubscriptions.Delete(ctx, sub.URI)
		var apiErr *calendly.APIError
		if err == nil || (errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound) {
			report.DeletedSubscriptions = append(report.DeletedSubscriptions, sub.URI)
			continue
		}
		report.Problems = append(report.Problems, fmt.Sprintf("could not delete the webhook subscription %s (%v); Calendly disables it after 24 h of failed deliveries", sub.URI, err))
	}
}

// revoke ends the OAuth grant (the refresh token, which takes its access
// token with it, then the access token). A personal access token cannot be
// revoked through the API.
func (h *Home) revoke(ctx context.Context, conn *Connection, report *LogoutReport) {
	if conn.Tokens == nil {
		if conn.Account.AuthKind == KindPAT {
			report.Notes = append(report.Notes, "a personal access token stays valid until you delete it in Calendly (Integrations > API and webhooks)")
		}
		return
	}
	conn.Tokens.mu.Lock()
	tok := *conn.Tokens.current
	conn.Tokens.mu.Unlock()
	var errs []error
	for _, t := range []string{tok.RefreshToken, tok.AccessToken} {
		if t == "" {
			continue
		}
		if err := conn.OAuthApp.Revoke(ctx, t); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		report.Problems = append(report.Problems, fmt.Sprintf("could not revoke the OAuth grant (%v); it ends when its tokens expire or when you remove calwatch's app in Calendly", errs[0]))
		return
	}
	report.Revoked = true
}
