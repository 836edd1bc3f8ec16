// Package calendlytest is a faithful Calendly emulator, as net/http/httptest
// is for HTTP: one origin that serves Calendly's OAuth and API v2 paths with
// Calendly's status codes, bodies and headers, delivers signed webhooks to
// subscribers with Calendly's retry rules, and offers a scenario API under
// /_emulator/ to book, cancel, reschedule and mark no-shows. Tests, the demo
// and `calwatch emulator` all run on it.
package calendlytest

import (
	"net/http"
	"time"
)

// Options configure an emulator. The zero value is usable.
type Options struct {
	// Tokens are personal access tokens accepted as Bearer for the default user.
	Tokens []string
	// ClientID and ClientSecret identify the one OAuth app the emulator knows.
	ClientID, ClientSecret string
	// SigningKey is the OAuth app's webhook signing key.
	SigningKey string
	// AutoApprove answers /oauth/authorize with an immediate redirect.
	AutoApprove bool
	// AccessTokenTTL is expires_in for new access tokens (default 2h).
	AccessTokenTTL time.Duration
	// RateLimit is requests per minute per token (0: unlimited).
	RateLimit int
	// RetryBase and RetryWindow shape webhook retries (defaults 1m and 24h).
	RetryBase, RetryWindow time.Duration
	// Seed seeds the scenario generator; Live is its rate in changes per
	// minute once started (0: none).
	Seed int64
	Live float64
	// Now is the emulator's clock (default time.Now).
	Now func() time.Time
	// DeliveryClient sends webhooks (default: 10 s connect, 15 s read, no redirects).
	DeliveryClient *http.Client
}

// Server is a running emulator.
//
// TODO(emulator helper): state, routes, scenario API.
type Server struct {
	// URL is the emulator's origin, e.g. http://127.0.0.1:51234.
	URL string
}
