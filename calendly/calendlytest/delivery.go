package calendlytest

import "time"

// deliverer sends signed webhooks to subscribers with Calendly's rules:
// only 2xx is success (redirects fail), exponential backoff from RetryBase
// for RetryWindow, then the subscription is disabled; 410 deletes it.
//
// TODO(delivery helper): this placeholder records nothing and sends nothing.
type deliverer struct{}

// deliveryHooks let the deliverer change subscription state on the server.
type deliveryHooks struct {
	retrying  func(subscriptionURI string, since time.Time) // first failure: set retry_started_at
	recovered func(subscriptionURI string)                  // a success after failures: clear retry_started_at
	disable   func(subscriptionURI string)                  // retry window over: state disabled
	remove    func(subscriptionURI string)                  // the endpoint answered 410: delete it
}

// deliveryTarget is where one delivery goes and how it is signed.
type deliveryTarget struct {
	SubscriptionURI string
	CallbackURL     string
	SigningKey      []byte
}

// DeliveryAttempt is one attempt, as GET /_emulator/deliveries lists it.
type DeliveryAttempt struct {
	Subscription string    `json:"subscription"`
	Event        string    `json:"event"`
	URL          string    `json:"url"`
	Attempt      int       `json:"attempt"`
	Status       int       `json:"status"` // HTTP status, 0 when no answer
	Error        string    `json:"error,omitempty"`
	At           time.Time `json:"at"`
}

func newDeliverer(opts Options, now func() time.Time, hooks deliveryHooks) *deliverer {
	return &deliverer{}
}

// enqueue schedules body (already the full delivery JSON) for target.
func (d *deliverer) enqueue(target deliveryTarget, event string, body []byte) {}

// attempts returns every attempt so far, oldest first.
func (d *deliverer) attempts() []DeliveryAttempt { return nil }

// close stops retries and waits for in-flight attempts.
func (d *deliverer) close() {}
