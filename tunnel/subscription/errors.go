package subscription

import (
	"errors"
	"fmt"

	"github.com/calwatch/calwatch/calendly"
)

// ErrWebhooksUnavailable matches an *UnavailableError with errors.Is.
var ErrWebhooksUnavailable = errors.New("webhooks are not available to this Calendly login")

// UnavailableError is Calendly's 403 on creating a subscription: the plan
// has no webhooks (Calendly's free plan) or the login lacks the
// webhooks:write scope. The session answers it by polling.
type UnavailableError struct {
	CallbackURL string
	Cause       *calendly.APIError
}

func (e *UnavailableError) Error() string {
	said := ""
	if e.Cause != nil && e.Cause.Message != "" {
		said = fmt.Sprintf(" (Calendly said: %s)", e.Cause.Message)
	}
	return "Calendly refused a webhook subscription" + said +
		": a free Calendly plan cannot use webhooks, or this login lacks the webhooks:write scope; calwatch polls for changes instead (upgrade the plan or log in again granting webhooks:write to get them live)"
}

// Is makes errors.Is(err, ErrWebhooksUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrWebhooksUnavailable }

// Unwrap gives the API error, so errors.Is(err, calendly.ErrPermissionDenied) holds too.
func (e *UnavailableError) Unwrap() error {
	if e.Cause == nil {
		return nil
	}
	return e.Cause
}

// ForeignError: the callback URL already has a subscription that calwatch
// did not create. calwatch never deletes or changes it.
type ForeignError struct {
	CallbackURL string
	Existing    calendly.WebhookSubscription
}

func (e *ForeignError) Error() string {
	holder := "another app or login"
	if c := calendly.Str(e.Existing.Creator); c != "" {
		holder = c
	}
	owner := e.Existing.Organization
	if u := calendly.Str(e.Existing.User); u != "" {
		owner = u
	}
	return fmt.Sprintf("the callback URL %s already has a webhook subscription calwatch did not create (%s, created by %s for %s); calwatch leaves it alone: delete it where it was made, or use another URL",
		e.CallbackURL, e.Existing.URI, holder, owner)
}

// NotOursError: asked to delete a subscription calwatch did not create.
type NotOursError struct{ URI string }

func (e *NotOursError) Error() string {
	return fmt.Sprintf("calwatch did not create the webhook subscription %s, so it will not delete it; delete it where it was made", e.URI)
}
