package main

import (
	"context"
	"encoding/base64"
	"strconv"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
)

// defaultDeliveriesLimit keeps a long log readable; --limit 0 shows all.
const defaultDeliveriesLimit = 100

func newDeliveriesCmd(a *app) *cobra.Command {
	cmd := groupCmd("deliveries", "Show the webhook delivery log")
	cmd.AddCommand(newDeliveriesListCmd(a), newDeliveriesResendCmd(a))
	return cmd
}

type deliveriesListOptions struct {
	limit int
	json  bool
}

func newDeliveriesListCmd(a *app) *cobra.Command {
	opts := &deliveriesListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List received deliveries, newest first, refused ones included",
		Long: "List every request the listener received, newest first: applied, duplicate and refused\n" +
			"deliveries, with why a refused one was refused. --json adds what was sent: the\n" +
			"signature header and the body (and body_base64 when the body is not UTF-8 text).",
		Example: "  calwatch deliveries list --limit 10\n  calwatch deliveries list --json | jq -r '.[0].body'",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.limit < 0 {
				return usageErrorf("--limit must be 0 (all) or more, got %d", opts.limit)
			}
			return deliveriesListRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().IntVar(&opts.limit, "limit", defaultDeliveriesLimit, "show at most `N` deliveries (0: all)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print a JSON array, with each delivery's signature header and body")
	return cmd
}

// deliveryJSON is a delivery log row as --json prints it: the fields of
// `listen --json` plus what was sent. The signature header is an HMAC, not
// the key, so it is safe to show. A body that is not UTF-8 (only a refused
// one can be) cannot be a JSON string as is, so it also comes in base64.
type deliveryJSON struct {
	storage.DeliveryRecord
	Signature  string `json:"signature"`
	Body       string `json:"body"`
	BodyBase64 string `json:"body_base64,omitempty"`
	// Forward is what the app answered (listen --forward-to), null if not forwarded.
	Forward *forwardJSON `json:"forward"`
}

func newDeliveryJSON(r storage.DeliveryRecord) deliveryJSON {
	d := deliveryJSON{DeliveryRecord: r, Signature: r.SignatureHeader, Body: string(r.Body)}
	if !utf8.Valid(r.Body) {
		d.BodyBase64 = base64.StdEncoding.EncodeToString(r.Body)
	}
	return d
}

func deliveriesListRun(ctx context.Context, a *app, opts *deliveriesListOptions) error {
	query := opts.limit
	if query > 0 {
		query++ // one more tells whether the log goes on
	}
	var forwards map[int64]storage.ForwardResult
	records, ok, err := readList(ctx, a, opts.json, func(s *storage.Store) ([]storage.DeliveryRecord, error) {
		recs, err := s.ListDeliveries(ctx, query)
		if err != nil {
			return nil, err
		}
		forwards, err = s.ForwardResults(ctx, deliveryIDs(recs))
		return recs, err
	})
	if !ok {
		return err
	}
	truncated := opts.limit > 0 && len(records) > opts.limit
	if truncated {
		records = records[:opts.limit]
	}
	if opts.json {
		out := make([]deliveryJSON, 0, len(records))
		for _, r := range records {
			d := newDeliveryJSON(r)
			f, forwarded := forwards[r.ID]
			d.Forward = newForwardJSON(f, forwarded)
			out = append(out, d)
		}
		if err := writeJSON(a.out, out); err != nil {
			return err
		}
	} else {
		if len(records) == 0 {
			a.hint("no deliveries yet — %s", noDataHint)
			return nil
		}
		rows := make([][]string, 0, len(records))
		for _, r := range records {
			rows = append(rows, []string{
				strconv.FormatInt(r.ID, 10),
				localTime(r.ReceivedAt),
				orDash(r.Event),
				string(r.Outcome),
				cell(r.InviteeEmail),
				cell(r.Reason),
			})
			if len(forwards) > 0 { // the column only when listen forwarded
				f, ok := forwards[r.ID]
				rows[len(rows)-1] = append(rows[len(rows)-1], forwardCell(f, ok))
			}
		}
		headers := []string{"ID", "RECEIVED", "EVENT", "OUTCOME", "INVITEE", "REASON"}
		if len(forwards) > 0 {
			headers = append(headers, "FORWARD")
		}
		if err := writeTable(a.out, headers, rows); err != nil {
			return err
		}
	}
	if truncated {
		a.hint("showing the newest %d; more are stored, --limit 0 shows all", opts.limit)
	}
	return nil
}
