package main

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/tui/safetext"
)

// Bounds on what trigger reads: a payload file and the endpoint's answer.
const (
	maxPayloadFile  = 10 << 20
	maxAnswerBody   = 1 << 20
	defaultDeadline = 30 * time.Second
)

type triggerOptions struct {
	event       string // "" when --payload names the delivery
	to          string
	signingKey  string
	payloadFile string
	sets        []string
	timeout     time.Duration
	json        bool
}

func newTriggerCmd(a *app) *cobra.Command {
	opts := &triggerOptions{}
	cmd := &cobra.Command{
		Use:   "trigger EVENT --to URL [--signing-key KEY] [--payload FILE] [--set path=value ...]",
		Short: "Send a signed test delivery to any endpoint",
		Long: "Send a realistic delivery of EVENT, signed like Calendly signs it, to URL, and print the\n" +
			"endpoint's answer. EVENT is one of:\n  " + strings.Join(calendly.KnownEvents, "\n  ") + "\n\n" +
			"--payload FILE sends that file's bytes (- for stdin) as they are; EVENT may then be omitted.\n" +
			"--set path=value edits the JSON before it is signed: dotted keys, array indexes as numbers;\n" +
			"the value is JSON if it parses as JSON, else a string.\n\n" +
			"The key comes from --signing-key or $" + signingKeyEnv + " (which keeps it out of your shell\n" +
			"history and the process list). Exit code 0 when the endpoint answers 2xx, 1 otherwise.",
		Example: "  calwatch trigger invitee.created --to http://127.0.0.1:8787/webhooks/calendly --signing-key \"$KEY\"\n" +
			"  CALWATCH_SIGNING_KEY=... calwatch trigger invitee.canceled --to http://127.0.0.1:3000/hooks --set payload.email=jo@example.com\n" +
			"  calwatch trigger --payload delivery.json --to https://example.com/calendly --json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("trigger takes one EVENT, got %d arguments (see 'calwatch trigger --help')", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.event = args[0]
			}
			return triggerRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.to, "to", "", "send the delivery to `URL` (required)")
	cmd.Flags().StringVar(&opts.signingKey, "signing-key", "", "sign with `KEY` (default $"+signingKeyEnv+")")
	cmd.Flags().StringVar(&opts.payloadFile, "payload", "", "send the delivery in `FILE` (- for stdin) instead of a sample")
	cmd.Flags().StringArrayVar(&opts.sets, "set", nil, "set `path=value` in the delivery before signing (repeatable)")
	cmd.Flags().DurationVar(&opts.timeout, "timeout", defaultDeadline, "give up on the endpoint after `DURATION`")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the answer as {status, body}")
	return cmd
}

// triggerAnswer is what --json prints.
type triggerAnswer struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

func triggerRun(ctx context.Context, a *app, opts *triggerOptions) error {
	req, err := buildTrigger(a, opts, time.Now)
	if err != nil {
		return err
	}
	warnIfShortKey(a, req.key)
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, req.target.String(), bytes.NewReader(req.body))
	if err != nil {
		return fmt.Errorf("cannot build the request to %s: %v", req.target.Redacted(), err)
	}
	httpReq.Header.Set("Content-Type", "application/json; charset=utf-8")
	httpReq.Header.Set("User-Agent", "calwatch/"+version+" (trigger)")
	httpReq.Header.Set(calendly.SignatureHeader, req.signature)
	client := &http.Client{
		// Calendly counts a redirect as a failed delivery; so does trigger.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	a.hint("sending %s (%d bytes) to %s", req.describe, len(req.body), req.target.Redacted())
	resp, err := client.Do(httpReq)
	if err != nil {
		return fmt.Errorf("cannot reach %s: %s; is the endpoint running?", req.target.Redacted(), reachError(err, opts.timeout))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBody))
	if err != nil {
		return fmt.Errorf("%s answered %s but its body could not be read: %v", req.target.Redacted(), resp.Status, err)
	}
	if opts.json {
		err = writeJSON(a.out, triggerAnswer{Status: resp.StatusCode, Body: string(answer)})
	} else {
		// The answer is the endpoint's text: it must not steer the terminal.
		text := safetext.Block(string(answer))
		_, err = fmt.Fprintf(a.out, "%s\n%s", safetext.Line(resp.Proto+" "+resp.Status), text)
		if err == nil && len(text) > 0 && !strings.HasSuffix(text, "\n") {
			_, err = fmt.Fprintln(a.out)
		}
	}
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s, not 2xx: %s", req.target.Redacted(), resp.Status, calendlyWouldDo(resp.StatusCode))
	}
	return nil
}

// calendlyWouldDo says what Calendly does when a delivery is answered with a
// status that is not 2xx.
func calendlyWouldDo(status int) string {
	switch {
	case status == http.StatusGone:
		return "Calendly would delete the webhook subscription at once"
	case status >= 300 && status < 400:
		return "Calendly does not follow redirects and would retry this delivery"
	}
	return "Calendly would retry this delivery for up to 24 hours, then disable the subscription"
}

// reachError says briefly why a request got no answer.
func reachError(err error, timeout time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return err.Error()
}

// triggerRequest is a delivery ready to send.
type triggerRequest struct {
	target    *url.URL
	body      []byte
	signature string
	describe  string // what is sent, for the person at the terminal
	key       []byte // only to warn when it is short; never printed
}

// buildTrigger checks the options and makes the signed delivery, signed at
// now() once the payload is read: reading --payload - may wait on stdin for
// long, and a stale timestamp would be refused. Mistakes in how trigger was
// called are usage errors (exit 2).
func buildTrigger(a *app, opts *triggerOptions, now func() time.Time) (*triggerRequest, error) {
	key := opts.signingKey
	if key == "" {
		key = os.Getenv(signingKeyEnv)
	}
	if key == "" {
		return nil, usageErrorf("trigger needs a signing key: pass --signing-key KEY or set $%s", signingKeyEnv)
	}
	target, err := parseEndpointURL(opts.to)
	if err != nil {
		return nil, err
	}
	if opts.timeout <= 0 {
		return nil, usageErrorf("--timeout must be positive, got %s", opts.timeout)
	}
	edits := make([]jsonEdit, 0, len(opts.sets))
	for _, s := range opts.sets {
		e, err := parseJSONEdit(s)
		if err != nil {
			return nil, usageError{err}
		}
		edits = append(edits, e)
	}
	var body []byte
	describe := opts.event
	if opts.payloadFile != "" {
		if body, err = readPayload(a, opts.payloadFile); err != nil {
			return nil, err
		}
		if err := checkPayloadEvent(body, opts.event); err != nil {
			return nil, err
		}
		describe = "the delivery in " + opts.payloadFile
		if opts.payloadFile == "-" {
			describe = "the delivery from stdin"
		}
	} else {
		if opts.event == "" {
			return nil, usageErrorf("trigger needs an EVENT (one of %s) or --payload FILE", strings.Join(calendly.KnownEvents, ", "))
		}
		if !slices.Contains(calendly.KnownEvents, opts.event) {
			return nil, usageErrorf("unknown event %q: use one of %s, or --payload FILE for anything else", opts.event, strings.Join(calendly.KnownEvents, ", "))
		}
		if body, err = calendlytest.SampleDelivery(opts.event, now(), newSampleRand()); err != nil {
			return nil, err
		}
	}
	if len(edits) > 0 {
		if body, err = applyJSONEdits(body, edits); err != nil {
			return nil, usageError{err}
		}
	}
	return &triggerRequest{
		target:    target,
		body:      body,
		signature: calendly.Sign([]byte(key), now(), body),
		describe:  describe,
		key:       []byte(key),
	}, nil
}

// parseEndpointURL accepts an absolute http or https URL whose port, if
// given, is 1–65535.
func parseEndpointURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, usageErrorf("trigger needs --to URL, the endpoint to send the delivery to")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("--to %q is not an http(s) URL like http://127.0.0.1:8080/webhook", truncateForError(raw))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return nil, usageErrorf("--to %q: port %s is not between 1 and 65535", truncateForError(raw), truncateForError(p))
		}
	}
	return u, nil
}

// readPayload reads --payload: a file, or stdin for "-".
func readPayload(a *app, name string) ([]byte, error) {
	var r io.Reader = a.in
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("cannot read the payload: %w", err)
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(io.LimitReader(r, maxPayloadFile+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the payload from %s: %w", name, err)
	}
	if len(body) > maxPayloadFile {
		return nil, fmt.Errorf("the payload in %s is larger than %d MiB; Calendly never sends that much", name, maxPayloadFile>>20)
	}
	return body, nil
}

// checkPayloadEvent refuses an EVENT argument that contradicts the payload's
// own "event". A payload that is not JSON is sent as is: testing how an
// endpoint refuses garbage is a fair use.
func checkPayloadEvent(body []byte, event string) error {
	if event == "" {
		return nil
	}
	var envelope struct {
		Event string `json:"event"`
	}
	if json.Unmarshal(body, &envelope) != nil || envelope.Event == "" || envelope.Event == event {
		return nil
	}
	return usageErrorf("EVENT %s does not match the payload's event %q: drop EVENT or fix the file", event, envelope.Event)
}

// newSampleRand seeds sample data from the system's randomness, so two
// triggers never send the same invitee.
func newSampleRand() *rand.Rand {
	var seed [32]byte
	crand.Read(seed[:]) // never fails on supported platforms
	return rand.New(rand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:16])))
}
