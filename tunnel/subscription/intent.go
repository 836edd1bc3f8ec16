package subscription

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// The crash window: between Calendly's 201 for a new subscription and
// RememberSubscription, a run that dies leaves a subscription calwatch
// would not know as its own. So create records an intent (the callback URL,
// the time) first and forgets it once the subscription is remembered; the
// next run finds the subscription an intent left and deletes it.

// intentSkew is how far a subscription's created_at may be from its
// intent's time and still be the one that intent made (clock differences
// between this machine and Calendly included). One created outside it is
// never taken for calwatch's.
const intentSkew = 10 * time.Minute

// intentInFlight is how young an intent may be and still belong to a
// create under way in another process (calwatch subscriptions prune while
// listen subscribes): Prune leaves such an intent alone.
const intentInFlight = 2 * time.Minute

// recordIntent notes, durably, that req's subscription is about to be created.
func (l *Lifecycle) recordIntent(ctx context.Context, req Request) error {
	in := storage.SubscriptionIntent{CallbackURL: req.CallbackURL, Scope: req.Scope, Owner: l.owner(req.Scope), At: l.now()}
	if err := l.store.RecordSubscriptionIntent(ctx, in); err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	return nil
}

// forgetIntent drops an intent that is settled; should that fail, the
// next run only finds nothing to clean up.
func (l *Lifecycle) forgetIntent(ctx context.Context, callbackURL string) {
	_ = l.store.ForgetSubscriptionIntent(context.WithoutCancel(ctx), callbackURL)
}

// definiteAnswer reports whether a failed create surely made nothing:
// Calendly answered with an error. A transport error or a cancelled
// request may have reached Calendly and been created all the same.
func definiteAnswer(err error) bool {
	var apiErr *calendly.APIError
	return errors.As(err, &apiErr)
}

// clearIntents deletes the subscriptions that earlier runs' intents left
// behind, unremembered: on an intent's callback URL and created about its
// time. Intents whose URL is in inUse, or younger than minAge, belong to a
// run still at work and are left. Each settled intent is forgotten.
func (l *Lifecycle) clearIntents(ctx context.Context, minAge time.Duration, inUse ...string) ([]Pruned, error) {
	intents, err := l.store.SubscriptionIntents(ctx)
	if err != nil || len(intents) == 0 {
		if err != nil {
			err = fmt.Errorf("subscription: %w", err)
		}
		return nil, err
	}
	remembered, err := l.store.Subscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("subscription: %w", err)
	}
	out := []Pruned{}
	for _, in := range intents {
		if slices.Contains(inUse, in.CallbackURL) || l.now().Sub(in.At) < minAge {
			continue
		}
		orphans, err := l.orphansOf(ctx, in, remembered)
		if err != nil {
			return out, err
		}
		for _, sub := range orphans {
			if _, err := l.client.WebhookSubscriptions.Delete(ctx, sub.URI); err != nil && !errors.Is(err, calendly.ErrNotFound) {
				return out, fmt.Errorf("subscription: deleting %s, left behind by a calwatch that stopped while creating it: %w", sub.URI, err)
			}
			out = append(out, Pruned{URI: sub.URI, CallbackURL: sub.CallbackURL, Reason: "orphaned"})
		}
		if err := l.store.ForgetSubscriptionIntent(ctx, in.CallbackURL); err != nil {
			return out, fmt.Errorf("subscription: %w", err)
		}
	}
	return out, nil
}

// orphansOf lists the account's subscriptions that intent in made and
// calwatch does not remember.
func (l *Lifecycle) orphansOf(ctx context.Context, in storage.SubscriptionIntent, remembered []storage.Subscription) ([]calendly.WebhookSubscription, error) {
	scope := in.Scope
	if scope == "" {
		scope = calendly.ScopeUser
	}
	opts := calendly.ListWebhookSubscriptionsOptions{Organization: l.account.Organization, Scope: scope, ListOptions: calendly.ListOptions{Count: calendly.MaxPageSize}}
	if scope == calendly.ScopeUser {
		opts.User = l.account.User
	}
	var out []calendly.WebhookSubscription
	for sub, err := range l.client.WebhookSubscriptions.All(ctx, opts) {
		if err != nil {
			if errors.Is(err, calendly.ErrPermissionDenied) {
				return nil, nil // made under a login that could see them; this one cannot act
			}
			return nil, fmt.Errorf("subscription: listing %s-scope subscriptions to find one a stopped calwatch left behind: %w", scope, err)
		}
		made := sub.CreatedAt.Time
		if sub.CallbackURL != in.CallbackURL || made.Before(in.At.Add(-intentSkew)) || made.After(in.At.Add(intentSkew)) ||
			slices.ContainsFunc(remembered, func(s storage.Subscription) bool { return s.URI == sub.URI }) {
			continue
		}
		out = append(out, sub)
	}
	return out, nil
}
