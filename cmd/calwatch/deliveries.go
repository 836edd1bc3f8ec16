package main

import (
	"context"
	"encoding/base64"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
)

// defaultDeliveriesLimit keeps a long log readable; --limit 0 shows all.
const defaultDeliveriesLimit = 100

func newDeliveriesCmd(a *app) *cobra.Command {
	cmd := groupCmd("deliveries", "Show the webhook delivery log")
	cmd.AddCommand(newDeliveriesListCmd(a), newDeliveriesPruneCmd(a), newDeliveriesResendCmd(a))
	return cmd
}

type deliveriesListOptions struct {
	limit          int
	from, to       dateFlag
	json, jsonl    bool
	showSignatures bool
}

func newDeliveriesListCmd(a *app) *cobra.Command {
	opts := &deliveriesListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List received deliveries, newest first, refused ones included",
		Long: "List every request the listener received, newest first: applied, duplicate and refused\n" +
			"deliveries, with why a refused one was refused, the status calwatch answered (ST) and how\n" +
			"long from the request to the answer (MS; - when not known). --json adds the body as\n" +
			"received (and body_base64 when it is not UTF-8 text) and the other headers as kept;\n" +
			"--show-signatures adds each signature header.",
		Example: "  calwatch deliveries list --limit 10\n  calwatch deliveries list --json | jq -r '.[0].body'\n" +
			"  calwatch deliveries list --json --show-signatures | jq -r '.[0].signature_header'",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListFlags(opts.limit, opts.json, opts.jsonl); err != nil {
				return err
			}
			if from, to := opts.from.start(), opts.to.end(); !from.IsZero() && !to.IsZero() && !from.Before(to) {
				return usageErrorf("--from %s is not before --to %s: nothing can match; swap them", opts.from.raw, opts.to.raw)
			}
			if opts.showSignatures && !opts.json && !opts.jsonl {
				return usageErrorf("--show-signatures works with --json or --jsonl only; add one")
			}
			return deliveriesListRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().IntVar(&opts.limit, "limit", defaultDeliveriesLimit, "show at most `N` deliveries (0: all)")
	cmd.Flags().Var(&opts.from, "from", "only deliveries received at or after `DATE`")
	cmd.Flags().Var(&opts.to, "to", "only deliveries received before `DATE` (a day counts whole)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print a JSON array, with each delivery's body")
	cmd.Flags().BoolVar(&opts.jsonl, "jsonl", false, "print one JSON object per line, with each delivery's body")
	cmd.Flags().BoolVar(&opts.showSignatures, "show-signatures", false, "with --json or --jsonl, add each delivery's signature header (signature_header)")
	return cmd
}

// deliveryJSON is a delivery log row as --json prints it: the fields of
// `listen --json` plus what was sent. The signature header is an HMAC, not
// the key, but with a short key it lets anyone guess the key offline, so it
// is shown only when asked for (--show-signatures). A body that is not
// UTF-8 (only a refused one can be) cannot be a JSON string as is, so it
// also comes in base64. body_truncated says the body is only what was kept:
// a refused request's 2 KiB prefix (with body_sha256 of the whole), or
// nothing for a duplicate (duplicate_of names the delivery that has it);
// body_size is what arrived.
type deliveryJSON struct {
	storage.DeliveryRecord
	SignatureHeader string `json:"signature_header,omitempty"`
	Body            string `json:"body"`
	BodyBase64      string `json:"body_base64,omitempty"`
	BodyTruncated   bool   `json:"body_truncated"`
	BodySize        int64  `json:"body_size"`
	BodySHA256      string `json:"body_sha256,omitempty"`
	DuplicateOf     int64  `json:"duplicate_of,omitempty"`
	// Headers are the request's other headers as kept (at most 4 KiB, a
	// refused request's 512 bytes); headers_cut counts those left out.
	Headers    []storage.Header `json:"headers,omitempty"`
	HeadersCut int              `json:"headers_cut,omitempty"`
	// Forward is what the app answered (listen --forward-to), null if not forwarded.
	Forward *forwardJSON `json:"forward"`
}

func newDeliveryJSON(r storage.DeliveryRecord, showSignature bool) deliveryJSON {
	d := deliveryJSON{DeliveryRecord: r, Body: string(r.Body),
		BodyTruncated: r.BodyTruncated, BodySize: r.BodySize, BodySHA256: r.BodySHA256, DuplicateOf: r.DuplicateOf,
		Headers: r.Headers, HeadersCut: r.HeadersCut}
	if showSignature {
		d.SignatureHeader = r.SignatureHeader
	}
	if !utf8.Valid(r.Body) {
		d.BodyBase64 = base64.StdEncoding.EncodeToString(r.Body)
	}
	return d
}

// deliveriesListRun streams the log through listOutput: JSON writes each
// row as it is read (bodies are read only for JSON), the table a block at
// a time once it knows whether it has a FORWARD column. What listen
// --forward-to's app answered is read for a page of rows at a time.
func deliveriesListRun(ctx context.Context, a *app, opts *deliveriesListOptions) error {
	store, ok, err := openForReading(ctx, a, opts.json)
	if !ok {
		return err
	}
	defer store.Close()
	asJSON := opts.json || opts.jsonl
	query := storage.DeliveryQuery{Limit: opts.limit, Sent: asJSON, From: opts.from.start(), To: opts.to.end()}
	if query.Limit > 0 {
		query.Limit++ // one more tells whether the log goes on
	}
	headers := []string{"ID", "RECEIVED", "EVENT", "OUTCOME", "ST", "MS", "INVITEE", "REASON", "FORWARD"}
	// The FORWARD column only when listen forwarded some row shown.
	out := newListOutput(a.out, opts.json, opts.jsonl, headers).optionalColumn(len(headers)-1, forwardCell(storage.ForwardResult{}, false))
	var page []storage.DeliveryRecord
	flush := func() error {
		forwards, err := store.ForwardResults(ctx, deliveryIDs(page))
		if err != nil {
			return err
		}
		for _, r := range page {
			f, ok := forwards[r.ID]
			var v any
			if asJSON { // only JSON prints the body; the table never needs it
				d := newDeliveryJSON(r, opts.showSignatures)
				d.Forward = newForwardJSON(f, ok)
				v = d
			}
			err := out.add(v, func() []string {
				return []string{
					strconv.FormatInt(r.ID, 10),
					localTime(r.ReceivedAt),
					orDash(r.Event),
					string(r.Outcome),
					statusCell(r.AnswerStatus),
					latencyCell(r.Latency()),
					cell(r.InviteeEmail),
					cell(r.Reason),
					forwardCell(f, ok),
				}
			})
			if err != nil {
				return err
			}
		}
		page = page[:0]
		return nil
	}
	shown, truncated := 0, false
	for r, err := range store.Deliveries(ctx, query) {
		if err != nil {
			return err
		}
		if opts.limit > 0 && shown == opts.limit {
			truncated = true
			break
		}
		shown++
		if page = append(page, r); len(page) == deliveriesPage {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if err := out.close(); err != nil {
		return err
	}
	switch {
	case asJSON:
	case shown == 0 && (!query.From.IsZero() || !query.To.IsZero()):
		a.hint("no deliveries were received then; drop --from or --to to see all")
		return nil
	case shown == 0:
		a.hint("no deliveries yet — %s", noDataHint)
		return nil
	}
	if truncated {
		a.hint("showing the newest %d; more are stored, --limit 0 shows all", opts.limit)
	}
	return nil
}

// deliveriesPage is how many rows deliveries list reads forward answers for
// at once.
const deliveriesPage = 256

// statusCell is the status calwatch answered, "-" when not known (rows
// stored before calwatch kept it).
func statusCell(code int) string {
	if code == 0 {
		return "-"
	}
	return strconv.Itoa(code)
}

// latencyCell is how long a request took to answer, in milliseconds: "39",
// "0.4", "1204"; "-" when not known.
func latencyCell(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
	}
	return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10)
}
