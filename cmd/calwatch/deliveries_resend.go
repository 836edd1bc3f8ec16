package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/calwatch/calwatch/tunnel/home"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/forward"
	"github.com/calwatch/calwatch/tunnel/listener"
)

type resendOptions struct {
	to         string
	signingKey string
	timeout    time.Duration
	json       bool
}

func newDeliveriesResendCmd(a *app) *cobra.Command {
	opts := &resendOptions{}
	cmd := &cobra.Command{
		Use:   "resend ID [--to URL] [--signing-key KEY]",
		Short: "Send a stored delivery again, signed afresh",
		Long: "Send delivery ID of the log (see 'calwatch deliveries list') again: the bytes exactly as\n" +
			"received, with a new Calendly-Webhook-Signature (a fresh t). Then print the answer: status,\n" +
			"latency and the first line of its body.\n\n" +
			"Without --to it goes to the running 'calwatch listen' on this machine (its local address),\n" +
			"which stores and applies it again (applying twice changes nothing) and, with --forward-to,\n" +
			"forwards it to your app; sign it with the listener's key ($" + signingKeyEnv + ").\n" +
			"With --to URL it goes straight to that endpoint, your app for instance; the key is then\n" +
			"--signing-key, else $" + forwardSigningKeyEnv + ", else $" + signingKeyEnv + ".\n\n" +
			"A refused delivery can be resent too, when its whole body was kept. Exit code 0 when the\n" +
			"endpoint answers 2xx, 1 otherwise.",
		Example: "  calwatch deliveries resend 42\n" +
			"  calwatch deliveries resend 42 --to http://127.0.0.1:3000/webhooks/calendly --json",
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return deliveriesResendRun(cmd.Context(), a, args[0], opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.to, "to", "", "send to `URL` (default: the running listener)")
	f.StringVar(&opts.signingKey, "signing-key", "", "sign with `KEY` (default from the environment; see above)")
	f.DurationVar(&opts.timeout, "timeout", forward.DefaultTimeout, "give up on the endpoint after `DURATION`")
	f.BoolVar(&opts.json, "json", false, "print the answer as one JSON object")
	return cmd
}

// resendAnswer is what resend --json prints.
type resendAnswer struct {
	ID            int64   `json:"id"`
	Event         string  `json:"event"`
	URL           string  `json:"url"`
	Status        int     `json:"status"` // 0: no answer (see error)
	LatencyMS     float64 `json:"latency_ms"`
	Body          string  `json:"body"` // at most 4 KiB of it
	BodyTruncated bool    `json:"body_truncated"`
	Error         string  `json:"error,omitempty"`
}

// parseDeliveryID reads a delivery id argument.
func parseDeliveryID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("%q is not a delivery id; 'calwatch deliveries list' shows them (the ID column)", truncateForError(s))
	}
	return id, nil
}

// resendTarget resolves where resend sends and with which key.
func resendTarget(a *app, opts *resendOptions) (*url.URL, []byte, error) {
	key := []byte(opts.signingKey)
	if opts.to != "" {
		target, err := forward.ParseTarget(opts.to)
		if err != nil {
			return nil, nil, usageErrorf("--to %q: %v", shownTarget(opts.to), err)
		}
		if len(key) == 0 {
			key = []byte(os.Getenv(forwardSigningKeyEnv))
		}
		if len(key) == 0 {
			key = []byte(os.Getenv(signingKeyEnv))
		}
		if len(key) == 0 {
			return nil, nil, usageErrorf("resend needs a signing key: pass --signing-key KEY or set $%s (or $%s)", forwardSigningKeyEnv, signingKeyEnv)
		}
		return target, key, nil
	}
	if len(key) == 0 {
		key = []byte(os.Getenv(signingKeyEnv))
	}
	if len(key) == 0 {
		return nil, nil, usageErrorf("resend needs the listener's signing key: pass --signing-key KEY or set $%s", signingKeyEnv)
	}
	paths := a.paths()
	state, running, err := paths.Listener()
	if err != nil {
		return nil, nil, err
	}
	if !running {
		return nil, nil, usageErrorf("no calwatch listen is running with this home (%s); start one, or pass --to URL", paths.Dirs().State)
	}
	target, err := listenerLocalURL(state)
	if err != nil {
		return nil, nil, fmt.Errorf("the running listener's state file %s is unusable (%v); pass --to URL", paths.StatePath(), err)
	}
	return target, key, nil
}

// listenerLocalURL is the running listener's webhook URL on this machine,
// so a resend does not go out through its tunnel.
func listenerLocalURL(s home.ListenerState) (*url.URL, error) {
	public, err := url.Parse(s.WebhookURL)
	if err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		return nil, err
	}
	return forward.ParseTarget(listener.LocalWebhookURL(listenAddr(s.Addr), public.EscapedPath()))
}

// listenAddr is a listener address as a net.Addr, without resolving it.
type listenAddr string

func (a listenAddr) Network() string { return "tcp" }
func (a listenAddr) String() string  { return string(a) }

func deliveriesResendRun(ctx context.Context, a *app, arg string, opts *resendOptions) error {
	id, err := parseDeliveryID(arg)
	if err != nil {
		return err
	}
	if opts.timeout <= 0 {
		return usageErrorf("--timeout must be positive, got %s", opts.timeout)
	}
	target, key, err := resendTarget(a, opts)
	if err != nil {
		return err
	}
	store, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	shown := safetext.Line(target.String())
	d, ans, err := forward.Resend(ctx, store, id, forward.ResendOptions{Target: target, SigningKey: key,
		Timeout: opts.timeout, UserAgent: "calwatch/" + version + " (resend)"})
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return fmt.Errorf("there is no delivery %d in %s; 'calwatch deliveries list' shows the ids", id, a.dbPath())
	case errors.Is(err, forward.ErrNotResendable):
		return fmt.Errorf("%v; it can only be resent as received", err)
	case err != nil:
		return err
	}
	if !opts.json {
		a.hint("resent delivery %d (%s, %d bytes) to %s", id, orDash(d.Event), len(d.Body), shown)
	}
	if err := printResendAnswer(a, d, ans, opts.json); err != nil {
		return err
	}
	switch {
	case ans.Status == 0:
		return fmt.Errorf("cannot reach %s: %s; is it running?", shown, safetext.Line(errText(ans.Err)))
	case !ans.OK():
		return fmt.Errorf("%s answered %d %s, not 2xx: %s", shown, ans.Status, safetext.Line(ans.StatusText), calendlyWouldDo(ans.Status))
	}
	return nil
}

func printResendAnswer(a *app, d storage.StoredDelivery, ans forward.Answer, asJSON bool) error {
	if asJSON {
		out := resendAnswer{ID: d.ID, Event: d.Event, URL: ans.URL, Status: ans.Status,
			LatencyMS: float64(ans.Latency.Microseconds()) / 1000, Body: strings.ToValidUTF8(string(ans.Body), "\uFFFD"),
			BodyTruncated: ans.Truncated}
		if ans.Err != nil {
			out.Error = ans.Err.Error()
		}
		return writeJSON(a.out, out)
	}
	if ans.Status == 0 {
		return nil // the error says it
	}
	line := fmt.Sprintf("%d %s in %s", ans.Status, safetext.Line(ans.StatusText), roundLatency(ans.Latency))
	if first := firstLine(ans.Body); first != "" {
		line += "  " + first
	}
	_, err := fmt.Fprintln(a.out, line)
	return err
}
