package forward

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/calwatch/calwatch/storage"
)

// DeliveryReader reads one stored delivery; *storage.Store implements it.
type DeliveryReader interface {
	Delivery(ctx context.Context, id int64) (storage.StoredDelivery, error)
}

// ErrNotResendable is returned by Resend when the delivery's bytes are not
// all stored (a refused request keeps only a prefix of its body).
var ErrNotResendable = errors.New("the delivery's body is not stored whole")

// ResendOptions says where and how Resend sends. Target and SigningKey are
// required.
type ResendOptions struct {
	Target     *url.URL // from ParseTarget
	SigningKey []byte
	Client     *http.Client     // default NewClient()
	Timeout    time.Duration    // default DefaultTimeout
	UserAgent  string           // default DefaultUserAgent
	Now        func() time.Time // dates the signature (default time.Now)
}

// Resend sends stored delivery id again: its raw bytes exactly as received,
// signed afresh (a new t) with opts.SigningKey, with the header
// Calwatch-Replay-Of: id (storage.ReplayOfHeader), so a calwatch listener
// shows it as a replay of id. Any stored delivery may be
// resent, a refused one too, but only when every byte of it was kept. The
// error is for what stopped it from being sent (no such delivery: wraps
// storage.ErrNotFound; a cut body: ErrNotResendable); what the target made
// of it, an unreachable host included, is in the Answer.
func Resend(ctx context.Context, store DeliveryReader, id int64, opts ResendOptions) (storage.StoredDelivery, Answer, error) {
	if opts.Target == nil || len(opts.SigningKey) == 0 {
		return storage.StoredDelivery{}, Answer{}, errors.New("forward: resend needs a target URL and a signing key")
	}
	d, err := store.Delivery(ctx, id)
	if err != nil {
		return d, Answer{}, err
	}
	if d.BodyPartial || len(d.Body) == 0 {
		why := fmt.Sprintf("only the first %d bytes of its body were kept", len(d.Body))
		if len(d.Body) == 0 {
			why = "no body was kept"
		}
		return d, Answer{}, fmt.Errorf("delivery %d (%s) cannot be resent: %s: %w", id, d.Outcome, why, ErrNotResendable)
	}
	if opts.Client == nil {
		opts.Client = NewClient()
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := send(ctx, request{client: opts.Client, target: opts.Target, key: opts.SigningKey, body: d.Body,
		userAgent: opts.UserAgent, timeout: opts.Timeout, now: freshTime(opts.Now(), d.SignatureHeader), replayOf: id})
	return d, a, nil
}
