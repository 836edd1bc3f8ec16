package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/calendly/audit"
	"github.com/calwatch/calwatch/tui/safetext"
)

type auditOptions struct {
	to         string
	signingKey string
	timeout    time.Duration
	json       bool
}

func newAuditCmd(a *app) *cobra.Command {
	opts := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit --to URL [--signing-key KEY] [--json]",
		Short: "Grade your webhook endpoint against Calendly's deliveries, good and forged",
		Long: "Send URL a battery of deliveries and grade the answers. It must accept (2xx) correctly\n" +
			"signed deliveries of every event, bodies JSON re-serialisation would change (the\n" +
			"JSON.stringify(req.body) bug), retries, duplicates and two v1 values; it must refuse (any\n" +
			"non-2xx) missing, malformed, wrong-key, wrong-body, stale and t-less signatures and oversized\n" +
			"bodies; it must never answer a good delivery 410 (Calendly deletes the subscription) or a redirect.\n\n" +
			"Deliveries change your endpoint's data like real ones: point it at a test database.\n" +
			"Timing attacks are out of scope. The key comes from --signing-key or $" + signingKeyEnv + ".\n" +
			"Exit code 0 when every must holds, 1 otherwise.",
		Example: "  calwatch audit --to http://127.0.0.1:3000/webhooks/calendly --signing-key \"$KEY\"\n" +
			"  CALWATCH_SIGNING_KEY=... calwatch audit --to https://staging.example.com/calendly --json",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return auditRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.to, "to", "", "audit the endpoint at `URL` (required)")
	cmd.Flags().StringVar(&opts.signingKey, "signing-key", "", "the `KEY` the endpoint verifies with (default $"+signingKeyEnv+")")
	cmd.Flags().DurationVar(&opts.timeout, "timeout", audit.CalendlyTimeout, "count a probe unanswered after `DURATION` (Calendly's limit by default)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print the report as one JSON object")
	return cmd
}

func auditRun(ctx context.Context, a *app, opts *auditOptions) error {
	key := opts.signingKey
	if key == "" {
		key = os.Getenv(signingKeyEnv)
	}
	if key == "" {
		return usageErrorf("audit needs the endpoint's signing key: pass --signing-key KEY or set $%s", signingKeyEnv)
	}
	if opts.to == "" {
		return usageErrorf("audit needs --to URL, the endpoint to audit")
	}
	target, err := parseEndpointURL(opts.to)
	if err != nil {
		return err
	}
	if opts.timeout <= 0 {
		return usageErrorf("--timeout must be positive, got %s", opts.timeout)
	}
	warnIfShortKey(a, []byte(key))
	a.hint("auditing %s with %d probes", target.Redacted(), len(audit.Probes))
	report, err := audit.Run(ctx, audit.Options{URL: target.String(), SigningKey: []byte(key), Timeout: opts.timeout})
	if err != nil {
		return err
	}
	if opts.json {
		err = writeJSON(a.out, report)
	} else {
		// Verdicts quote the endpoint (a redirect's Location, an error).
		err = report.WriteText(a.out, safetext.Line)
	}
	if err != nil {
		return err
	}
	if !report.Pass {
		return fmt.Errorf("%d of the audit's musts fail at %s; the report above says what each failing one sent and why it matters", len(report.Failed()), target.Redacted())
	}
	return nil
}
