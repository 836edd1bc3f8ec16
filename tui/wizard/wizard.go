// Package wizard is calwatch's first-run setup: a Bubble Tea model of its
// own that walks a person from nothing to a login, a way for Calendly to
// reach this computer, and the events to watch, then hands those choices
// back as a Result. It does no I/O itself: every step that talks to
// Calendly or ngrok is a call on Actions, run in a Cmd that answers with a
// typed message, so the UI loop never blocks.
package wizard

import (
	"context"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// Actions is what the wizard asks the outside world to do. Each call may
// block; the wizard runs it in a Cmd and cancels ctx when the user goes
// back. Errors are shown as they are, in one line: they must say what
// happened and what to do, and never carry a secret.
type Actions interface {
	// LoginOAuth signs in through an OAuth app (PKCE, the browser, a
	// loopback callback) and keeps the login. It calls showURL with the
	// sign-in URL as soon as it has it, so the wizard can print it for a
	// browser that did not open.
	LoginOAuth(ctx context.Context, clientID, clientSecret string, showURL func(url string)) (Account, error)
	// LoginToken checks a personal access token and keeps the login.
	LoginToken(ctx context.Context, token string) (Account, error)
	// CheckNgrok opens an ngrok tunnel with authtoken ("" is the one
	// already known, NGROK_AUTHTOKEN), waits until it is online or
	// refused, closes it, and returns the public URL it had.
	CheckNgrok(ctx context.Context, authtoken string) (publicURL string, err error)
	// KeepAppSigningKey keeps the OAuth app's webhook signing key (sealed):
	// Calendly signs an OAuth app's deliveries with it.
	KeepAppSigningKey(ctx context.Context, key string) error
	// CheckWebhooks asks Calendly for a webhook subscription to the
	// listener under publicURL and removes it again, so a plan without
	// webhooks (Calendly's 403, subscription.ErrWebhooksUnavailable) is
	// known before the main screen opens.
	CheckWebhooks(ctx context.Context, publicURL string, events []string, scope string) error
	// CheckPublicURL says whether url can be given to Calendly as the
	// origin of this computer's webhook listener.
	CheckPublicURL(url string) error
}

// Account is who the login belongs to, as the wizard shows it.
type Account struct {
	Name, Email  string
	Organization string     // its ID (Calendly's API gives no name)
	Kind         string     // "oauth" or "pat"
	ExpiresAt    *time.Time // when the access token expires; nil: it does not
}

// TunnelChoice is how Calendly reaches this computer.
type TunnelChoice int

const (
	TunnelNgrok TunnelChoice = iota // a public https URL opened by calwatch through ngrok
	TunnelURL                       // a public URL the user already forwards here
	TunnelNone                      // local only: calwatch polls Calendly instead
)

func (c TunnelChoice) String() string {
	switch c {
	case TunnelNgrok:
		return "ngrok"
	case TunnelURL:
		return "my own URL"
	}
	return "no tunnel"
}

// Result is what the wizard hands back. When Demo is set the user asked
// for the demo and nothing else is filled; when Canceled is set the user
// quit before the end.
type Result struct {
	Demo     bool
	Canceled bool
	Account  Account
	Tunnel   TunnelChoice
	// PublicURL is the origin Calendly posts to: the user's own URL, or the
	// URL the ngrok check was given (ngrok may give another one on the next
	// start unless the account has a fixed domain).
	PublicURL string
	Events    []string // webhook events to subscribe to
	Scope     string   // calendly.ScopeUser or calendly.ScopeOrganization
}

// Options set up a wizard.
type Options struct {
	// NgrokTokenKnown says an ngrok authtoken is already at hand
	// (NGROK_AUTHTOKEN, or one kept from an earlier run): the wizard does
	// not ask for one.
	NgrokTokenKnown bool
	// AppSigningKeyKnown says the OAuth app's webhook signing key is at
	// hand (CALENDLY_WEBHOOK_SIGNING_KEY, or kept from an earlier run): an
	// OAuth login with a tunnel does not ask for it.
	AppSigningKeyKnown bool
	// ClientID is the OAuth app's client ID already known
	// (CALENDLY_CLIENT_ID), offered as the input's starting value.
	ClientID string
	// RedirectURI is shown on the OAuth step: the app must list it.
	RedirectURI string
	// Dark picks the theme for a dark background.
	Dark bool
	// Now is the clock the account's expiry is shown against (default
	// time.Now).
	Now func() time.Time
}

// DefaultEvents are the events a new setup subscribes to: every change of
// an invitee.
var DefaultEvents = []string{
	calendly.EventInviteeCreated, calendly.EventInviteeCanceled,
	calendly.EventInviteeNoShowCreated, calendly.EventInviteeNoShowDeleted,
}

// offeredEvents are the events the events step lists, defaults first.
var offeredEvents = append(append([]string{}, DefaultEvents...), calendly.EventRoutingFormSubmission)
