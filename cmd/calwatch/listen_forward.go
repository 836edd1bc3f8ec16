package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/forward"
)

// forwardSigningKeyEnv carries the key that signs what the app receives.
const forwardSigningKeyEnv = "CALWATCH_FORWARD_SIGNING_KEY"

// forwardCloseWait bounds how long listen keeps forwarding queued
// deliveries after it stops taking new ones.
const forwardCloseWait = 5 * time.Second

// forwardOptions are listen's --forward-to flags.
type forwardOptions struct {
	to         string
	signingKey string
}

func addForwardFlags(f *pflag.FlagSet, opts *forwardOptions) {
	f.StringVar(&opts.to, "forward-to", "", "after storing each verified delivery, send it on to your app at `URL`, re-signed")
	f.StringVar(&opts.signingKey, "forward-signing-key", "", "sign what --forward-to receives with `KEY` (or env "+forwardSigningKeyEnv+"; default: the signing key)")
}

// forwardPlan is a checked --forward-to: where, with which key, and a
// warning for the person when the URL crosses a network in the clear.
type forwardPlan struct {
	target  *url.URL
	key     []byte
	warning string
}

// checkForwardOptions resolves --forward-to and its key, as usage errors.
// It returns nil when there is nothing to forward.
func checkForwardOptions(opts forwardOptions, signingKey []byte) (*forwardPlan, error) {
	key := []byte(opts.signingKey)
	if len(key) == 0 {
		key = []byte(os.Getenv(forwardSigningKeyEnv))
	}
	if opts.to == "" {
		if opts.signingKey != "" {
			return nil, usageErrorf("--forward-signing-key needs --forward-to URL, the app to forward to")
		}
		return nil, nil
	}
	target, err := forward.ParseTarget(opts.to)
	if err != nil {
		return nil, usageErrorf("--forward-to %q: %v", shownTarget(opts.to), err)
	}
	if len(key) == 0 {
		key = signingKey
	}
	if len(key) == 0 {
		return nil, usageErrorf("--forward-to needs a key to sign what your app receives: pass --forward-signing-key KEY (or set %s)", forwardSigningKeyEnv)
	}
	p := &forwardPlan{target: target, key: key}
	if forward.PlainRemote(target) {
		p.warning = fmt.Sprintf("Warning: --forward-to %s is plain http to another machine: deliveries (names, emails, answers) cross the network unencrypted; use https or a loopback address", target.Host)
	}
	return p, nil
}

// forwardHooks are what a face (listen's printer, the TUI's hub) does with
// the forwarder's news; each is called from the forwarder and must not block.
type forwardHooks struct {
	onResult func(storage.DeliveryRecord, forward.Answer)
	onDrop   func(rec storage.DeliveryRecord, dropped int64)
	onError  func(error)
}

// newForwarder starts the forwarder behind a listener: the app's answers
// are stored with their deliveries and reported through h. listen and the
// TUI both forward through it.
func newForwarder(p *forwardPlan, store *storage.Store, h forwardHooks) (*forward.Forwarder, error) {
	return forward.New(forward.Config{
		Target:     p.target,
		SigningKey: p.key,
		Store:      store,
		UserAgent:  "calwatch/" + version + " (forward)",
		OnResult:   h.onResult,
		OnDrop:     h.onDrop,
		OnError:    h.onError,
	})
}

// startForwarding starts listen's forwarder: results and drops are printed
// through the printer (never blocking).
func startForwarding(p *forwardPlan, store *storage.Store, printer *deliveryPrinter) (*forward.Forwarder, error) {
	target := p.target.String()
	return newForwarder(p, store, forwardHooks{
		onResult: func(rec storage.DeliveryRecord, ans forward.Answer) {
			printer.enqueue(printLine{text: forwardLine(rec, ans)})
		},
		onDrop: func(rec storage.DeliveryRecord, dropped int64) {
			printer.enqueue(printLine{text: fmt.Appendf(nil, "%s  #%-6d %s\n", time.Now().Format("15:04:05"), rec.ID, notForwarded(rec, dropped, target))})
		},
		onError: printer.storageError,
	})
}

// notForwarded says a delivery was dropped from forwarding, and how to
// send it anyway.
func notForwarded(rec storage.DeliveryRecord, dropped int64, target string) string {
	return fmt.Sprintf("not forwarded: %s is slower than deliveries arrive (%d dropped so far); it is stored: calwatch deliveries resend %d --to %s",
		target, dropped, rec.ID, target)
}

// forwardLine is the terminal's line about one forward: the app's status,
// latency and the first line of its answer, made safe to print.
func forwardLine(rec storage.DeliveryRecord, ans forward.Answer) []byte {
	head := fmt.Sprintf("%s  #%-6d → app ", time.Now().Format("15:04:05"), rec.ID)
	if ans.Status == 0 {
		return fmt.Appendf(nil, "%sno answer: %s\n", head, safetext.Line(errText(ans.Err)))
	}
	line := fmt.Sprintf("%s%d %s in %s", head, ans.Status, safetext.Line(ans.StatusText), roundLatency(ans.Latency))
	if ans.Err != nil {
		line += ": " + safetext.Line(ans.Err.Error())
	} else if first := firstLine(ans.Body); first != "" {
		line += "  " + first
	}
	return []byte(line + "\n")
}

// firstLine is the first non-empty line of an answer body, safe and short.
func firstLine(body []byte) string {
	for _, l := range bytes.Split(body, []byte("\n")) {
		if s := safetext.Line(string(bytes.TrimSpace(l))); s != "" {
			return cell(s)
		}
	}
	return ""
}

func roundLatency(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func errText(err error) string {
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}

// stopForwarding ends forwarding at listen's stop: what is queued is sent
// for a few seconds more, then the rest is counted and said.
func stopForwarding(fw *forward.Forwarder, printer *deliveryPrinter) {
	ctx, cancel := context.WithTimeout(context.Background(), forwardCloseWait)
	defer cancel()
	fw.Close(ctx)
	if n := fw.Dropped(); n > 0 {
		printer.enqueue(printLine{text: fmt.Appendf(nil,
			"%d deliveries were stored but not forwarded to %s; resend them with calwatch deliveries resend ID --to URL\n", n, fw.Target())})
	}
}

// forwardAfterRecord is the listener's OnRecord: the printer's, and with
// --forward-to also the forwarder's queue. stop ends forwarding; it may be
// called more than once.
func forwardAfterRecord(p *forwardPlan, store *storage.Store, printer *deliveryPrinter) (onRecord func(storage.DeliveryRecord), stop func(), err error) {
	if p == nil {
		return printer.record, func() {}, nil
	}
	fw, err := startForwarding(p, store, printer)
	if err != nil {
		return nil, nil, err
	}
	onRecord = func(rec storage.DeliveryRecord) {
		printer.record(rec)
		fw.Enqueue(rec)
	}
	return onRecord, sync.OnceFunc(func() { stopForwarding(fw, printer) }), nil
}

// announceForwarding says where deliveries go, and warns of plain http.
func announceForwarding(a *app, p *forwardPlan) {
	if p == nil {
		return
	}
	fmt.Fprintf(a.errOut, "Forwarding verified deliveries to %s, re-signed.\n", safetext.Line(p.target.String()))
	if p.warning != "" {
		fmt.Fprintln(a.errOut, p.warning)
	}
}

// shownTarget is a URL the user gave, fit for an error message: credentials
// in it are never echoed, and it stays short.
func shownTarget(raw string) string {
	// The authority follows "scheme://", or "//" at the start of a
	// scheme-relative URL; its user information ends at its last "@".
	prefix, rest, ok := strings.Cut(raw, "://")
	if ok {
		prefix += "://"
	} else if rest, ok = strings.CutPrefix(raw, "//"); ok {
		prefix = "//"
	}
	if ok {
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			raw = prefix + rest[at+1:]
		}
	}
	return truncateForError(raw)
}
