package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui"
	"github.com/calwatch/calwatch/tunnel/forward"
)

// tuiReplayer is the TUI's r, e and c: a stored delivery sent again to a
// listener through forward.Resend, re-signed with a fresh t.
type tuiReplayer struct {
	reader tui.Reader
	// target says where replays go and with which key; it is asked at each
	// replay, so --offline finds a listener started after it.
	target func() (*url.URL, []byte, error)
}

// fixedTarget is a target that does not move: the TUI's own listener.
func fixedTarget(webhookURL string, key []byte) func() (*url.URL, []byte, error) {
	return func() (*url.URL, []byte, error) {
		u, err := forward.ParseTarget(webhookURL)
		return u, key, err
	}
}

// runningListenerTarget is, for --offline, the running `calwatch listen`
// of this home and the key from the environment.
func (a *app) runningListenerTarget(key []byte) func() (*url.URL, []byte, error) {
	return func() (*url.URL, []byte, error) {
		if len(key) == 0 {
			return nil, nil, fmt.Errorf("replay needs the listener's signing key: set $%s and start calwatch --offline again", signingKeyEnv)
		}
		paths := a.paths()
		state, running, err := paths.Listener()
		if err != nil {
			return nil, nil, err
		}
		if !running {
			return nil, nil, fmt.Errorf("no calwatch listen is running with this home; start one to replay to it")
		}
		target, err := listenerLocalURL(state)
		if err != nil {
			return nil, nil, fmt.Errorf("the running listener's state file %s is unusable (%v)", paths.StatePath(), err)
		}
		return target, key, nil
	}
}

// Replay implements tui.Replayer.
func (r *tuiReplayer) Replay(ctx context.Context, id int64, body []byte) (tui.ReplayResult, error) {
	target, key, err := r.target()
	if err != nil {
		return tui.ReplayResult{}, err
	}
	var src forward.DeliveryReader = panesDeliveries{r.reader}
	if body != nil {
		src = editedDelivery{src, body}
	}
	_, ans, err := forward.Resend(ctx, src, id, forward.ResendOptions{Target: target, SigningKey: key,
		UserAgent: "calwatch/" + version + " (tui replay)"})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return tui.ReplayResult{}, fmt.Errorf("delivery %d is no longer in the log", id)
	case errors.Is(err, forward.ErrNotResendable):
		return tui.ReplayResult{}, fmt.Errorf("delivery %d can only be resent as received, and not all of it was kept", id)
	case err != nil:
		return tui.ReplayResult{}, err
	}
	return tui.ReplayResult{Target: ans.URL, Status: ans.Status, Latency: ans.Latency, Err: ans.Err}, nil
}

// SignNow implements tui.Replayer.
func (r *tuiReplayer) SignNow(body []byte) (string, string, error) {
	target, key, err := r.target()
	if err != nil {
		return "", "", err
	}
	return target.String(), calendly.Sign(key, time.Now(), body), nil
}

// panesDeliveries reads a delivery with its body through the TUI's reader,
// read-only under --offline too.
type panesDeliveries struct{ reader tui.Reader }

func (p panesDeliveries) Delivery(ctx context.Context, id int64) (storage.StoredDelivery, error) {
	rec, err := p.reader.Delivery(ctx, id)
	if err != nil {
		return storage.StoredDelivery{}, err
	}
	return storage.StoredDelivery{DeliveryRecord: rec, BodyPartial: rec.BodyTruncated}, nil
}

// editedDelivery is a stored delivery with the body the user edited.
type editedDelivery struct {
	forward.DeliveryReader
	body []byte
}

func (e editedDelivery) Delivery(ctx context.Context, id int64) (storage.StoredDelivery, error) {
	d, err := e.DeliveryReader.Delivery(ctx, id)
	if err != nil {
		return d, err
	}
	d.Body, d.BodyPartial, d.BodySize = e.body, false, int64(len(e.body))
	return d, nil
}

// replayingBackend is a Hub that can also replay and export.
type replayingBackend struct {
	*tui.Hub
	*tuiReplayer
	*tuiExporter
}
