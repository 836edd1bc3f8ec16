package subscription

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// Listed is a subscription on the account, marked when calwatch created it.
type Listed struct {
	calendly.WebhookSubscription
	Ours bool `json:"ours"`
}

// List returns every subscription on the account: the user's, and the
// organization's when the login may see them (a non-admin gets a 403 for
// those, which is not an error here). Calwatch's own that Calendly no
// longer has are not listed; Prune forgets them.
func (l *Lifecycle) List(ctx context.Context) ([]Listed, error) {
	remembered, err := l.store.Subscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscription: %w", err)
	}
	ours := map[string]bool{}
	for _, s := range remembered {
		ours[s.URI] = true
	}
	out := []Listed{}
	for _, scope := range []string{calendly.ScopeUser, calendly.ScopeOrganization} {
		opts := calendly.ListWebhookSubscriptionsOptions{Organization: l.account.Organization, Scope: scope, ListOptions: calendly.ListOptions{Count: calendly.MaxPageSize}}
		if scope == calendly.ScopeUser {
			opts.User = l.account.User
		}
		for sub, err := range l.client.WebhookSubscriptions.All(ctx, opts) {
			if err != nil {
				if scope == calendly.ScopeOrganization && errors.Is(err, calendly.ErrPermissionDenied) {
					break
				}
				return nil, fmt.Errorf("subscription: listing %s-scope subscriptions: %w", scope, err)
			}
			out = append(out, Listed{WebhookSubscription: sub, Ours: ours[sub.URI]})
		}
	}
	slices.SortStableFunc(out, func(a, b Listed) int { return a.CreatedAt.Compare(b.CreatedAt.Time) })
	return out, nil
}

// Pruned is one of calwatch's subscriptions that Prune removed, and why.
type Pruned struct {
	URI         string `json:"uri"`
	CallbackURL string `json:"callback_url"`
	Reason      string `json:"reason"` // "gone", "disabled", "unused" or "orphaned"
}

// Prune removes calwatch's stale subscriptions: those Calendly no longer
// has (forgotten), those it disabled, those whose callback URL is not in
// inUse (the URLs a running calwatch serves), and those a calwatch that
// stopped while creating them left behind ("orphaned"). It never touches a
// subscription calwatch did not create.
func (l *Lifecycle) Prune(ctx context.Context, inUse ...string) ([]Pruned, error) {
	out, err := l.clearIntents(ctx, intentInFlight, inUse...)
	if out == nil {
		out = []Pruned{}
	}
	if err != nil {
		return out, err
	}
	remembered, err := l.store.Subscriptions(ctx)
	if err != nil {
		return out, fmt.Errorf("subscription: %w", err)
	}
	for _, sub := range remembered {
		p := Pruned{URI: sub.URI, CallbackURL: sub.CallbackURL}
		current, _, err := l.client.WebhookSubscriptions.Get(ctx, sub.URI)
		switch {
		case errors.Is(err, calendly.ErrNotFound):
			p.Reason = "gone"
			if err := l.forget(ctx, sub.URI); err != nil {
				return out, err
			}
			out = append(out, p)
			continue
		case errors.Is(err, calendly.ErrPermissionDenied):
			continue // made under another login; this one cannot act on it
		case err != nil:
			return out, fmt.Errorf("subscription: checking %s: %w", sub.URI, err)
		case current.State == calendly.StateDisabled:
			p.Reason = "disabled"
		case !slices.Contains(inUse, sub.CallbackURL):
			p.Reason = "unused"
		default:
			continue
		}
		if err := l.Remove(ctx, sub.URI); err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

var _ Store = (*storage.Store)(nil)
