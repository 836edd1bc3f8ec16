package calendlytest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// One delivery attempt over HTTP, as Calendly makes it: a POST signed
// afresh, answered within the connect and read timeouts, where only 2xx
// counts and 410 means "delete me".

// attemptOutcome is how a receiver answered.
type attemptOutcome int

const (
	outcomeDelivered attemptOutcome = iota // 2xx
	outcomeFailed                          // anything else: retry
	outcomeGone                            // 410: delete the subscription
	outcomeAborted                         // the deliverer is closing
)

// defaultDeliveryClient connects within 10 s and waits 15 s for an answer.
func defaultDeliveryClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: deliveryConnectTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   deliveryConnectTimeout,
			ResponseHeaderTimeout: deliveryReadTimeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			ForceAttemptHTTP2:     true,
		},
		Timeout: deliveryConnectTimeout + deliveryReadTimeout,
	}
}

// attempt sends item once, signed afresh, and records how it went.
func (d *deliverer) attempt(item *pendingDelivery) attemptOutcome {
	item.attempts++
	at := d.now()
	rec := DeliveryAttempt{
		Subscription:   item.target.SubscriptionURI,
		Event:          item.event,
		URL:            item.target.CallbackURL,
		Attempt:        item.attempts,
		BodySHA256:     item.bodySHA256,
		Invitee:        item.target.Invitee,
		ScheduledEvent: item.target.ScheduledEvent,
		At:             at,
	}
	outcome := outcomeFailed
	status, err := d.post(item, at)
	switch {
	case d.ctx.Err() != nil:
		return outcomeAborted
	case err != nil:
		rec.Error = err.Error()
	case status >= 200 && status < 300:
		outcome = outcomeDelivered
	case status == http.StatusGone:
		outcome = outcomeGone
		rec.Error = "the receiver answered 410 Gone: subscription deleted"
	case status >= 300 && status < 400:
		rec.Error = fmt.Sprintf("the receiver answered %d: redirects are not followed and count as failures", status)
	default:
		rec.Error = fmt.Sprintf("the receiver answered %d: only 2xx counts as delivered", status)
	}
	rec.Status = status
	d.record(rec)
	return outcome
}

// post makes one HTTP request and returns the answer's status.
func (d *deliverer) post(item *pendingDelivery, at time.Time) (int, error) {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, item.target.CallbackURL, bytes.NewReader(item.body))
	if err != nil {
		return 0, errors.New("the callback URL cannot be requested: " + describeRequestError(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", deliveryUserAgent)
	// A personal-access-token subscription made without a signing_key is
	// delivered unsigned, as Calendly does.
	if len(item.target.SigningKey) > 0 {
		req.Header.Set(calendly.SignatureHeader, calendly.Sign(item.target.SigningKey, at, item.body))
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return 0, errors.New(describeRequestError(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerDrain))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// describeRequestError drops the URL that *url.Error repeats (the same URL
// is in the attempt record) and names timeouts plainly.
func describeRequestError(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return "timeout: " + err.Error()
	}
	return err.Error()
}
