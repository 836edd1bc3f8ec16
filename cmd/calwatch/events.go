package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// noDataHint is what to do when the store holds nothing yet.
const noDataHint = "run `calwatch listen --no-tunnel --signing-key KEY` and send it a delivery (e.g. with `calwatch trigger`)"

// groupCmd makes a command that only holds subcommands: alone it prints its
// help, with an unknown word it is a usage error.
func groupCmd(use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q for %q (see '%s --help')", args[0], cmd.CommandPath(), cmd.CommandPath())
			}
			return cmd.Help()
		},
	}
}

func newEventsCmd(a *app) *cobra.Command {
	cmd := groupCmd("events", "Show stored scheduled events")
	cmd.AddCommand(newEventsListCmd(a))
	return cmd
}

type eventsListOptions struct {
	from, to    dateFlag
	status      choiceFlag
	limit       int
	json, jsonl bool
}

func newEventsListCmd(a *app) *cobra.Command {
	opts := &eventsListOptions{status: choiceFlag{choices: []string{calendly.StatusActive, calendly.StatusCanceled}}}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List stored events, earliest first",
		Long: "List the scheduled events calwatch has stored, earliest start first.\n\n" +
			"DATE is YYYY-MM-DD (local midnight; as --to it includes that whole day) or RFC 3339.\n" +
			"Without --from and --to, every stored event is listed. Rows print as they are read,\n" +
			"so a long list starts at once; --jsonl prints one JSON object per line, for pipes.",
		Example: "  calwatch events list --from 2026-06-01 --to 2026-06-30\n  calwatch events list --status canceled --json\n" +
			"  calwatch events list --jsonl | jq -c 'select(.invitees | length > 1)'",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListFlags(opts.limit, opts.json, opts.jsonl); err != nil {
				return err
			}
			return eventsListRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().Var(&opts.from, "from", "only events starting at or after `DATE`")
	cmd.Flags().Var(&opts.to, "to", "only events starting before `DATE` (a day counts whole)")
	cmd.Flags().Var(&opts.status, "status", "only events whose status is `active|canceled`")
	cmd.Flags().IntVar(&opts.limit, "limit", 0, "show at most `N` events (0: all)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print a JSON array")
	cmd.Flags().BoolVar(&opts.jsonl, "jsonl", false, "print one JSON object per line")
	return cmd
}

// checkListFlags refuses what every list command refuses.
func checkListFlags(limit int, asJSON, asJSONL bool) error {
	if limit < 0 {
		return usageErrorf("--limit must be 0 (all) or more, got %d", limit)
	}
	if asJSON && asJSONL {
		return usageErrorf("--json and --jsonl are two forms of the same list; pick one")
	}
	return nil
}

func eventsListRun(ctx context.Context, a *app, opts *eventsListOptions) error {
	filter := storage.EventFilter{From: opts.from.start(), To: opts.to.end(), Status: opts.status.value}
	if !filter.From.IsZero() && !filter.To.IsZero() && !filter.From.Before(filter.To) {
		return usageErrorf("--from %s is not before --to %s: nothing can match; swap them", opts.from.raw, opts.to.raw)
	}
	store, ok, err := openForReading(ctx, a, opts.json)
	if !ok {
		return err
	}
	defer store.Close()
	if opts.limit > 0 {
		filter.Limit = opts.limit + 1 // one more tells whether the list goes on
	}
	out := newListOutput(a.out, opts.json, opts.jsonl, []string{"START", "LENGTH", "STATUS", "EVENT", "INVITEES", "LOCATION"})
	truncated := false
	for e, err := range store.Events(ctx, filter) {
		if err != nil {
			return err
		}
		if opts.limit > 0 && out.n == opts.limit {
			truncated = true
			break
		}
		err := out.add(eventJSON{&e}, func() []string {
			return []string{
				localTimePtr(e.StartTime),
				duration(e.StartTime, e.EndTime),
				e.Status,
				cell(e.Name),
				cell(inviteeNames(e.Invitees)),
				locationCell(e.Location),
			}
		})
		if err != nil {
			return err
		}
	}
	if err := out.close(); err != nil {
		return err
	}
	switch {
	case opts.json || opts.jsonl:
	case out.n == 0 && filter == (storage.EventFilter{}):
		a.hint("no events yet — %s", noDataHint)
	case out.n == 0:
		a.hint("no events match; drop --from, --to or --status to see all")
	case truncated:
		a.hint("showing the first %d; more match, --limit 0 shows all", opts.limit)
	}
	return nil
}

// duration is how long an event lasts, like "30m" or "1h30m".
func duration(start, end *time.Time) string {
	if start == nil || end == nil || end.Before(*start) {
		return "-"
	}
	d := end.Sub(*start).Round(time.Minute)
	s := strings.TrimSuffix(d.String(), "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0m"
	}
	return s
}

// locationCell names a video call by its kind (the link is in --json) and
// shows an address or a phone number as it is.
func locationCell(l *calendly.Location) string {
	if l != nil && l.JoinURL != "" {
		return l.Type
	}
	return cell(l.Summary())
}

// inviteeNames lists who booked, marking no-shows and cancellations.
func inviteeNames(invitees []storage.InviteeView) string {
	names := make([]string, 0, len(invitees))
	for _, inv := range invitees {
		name := inv.Name
		if name == "" {
			name = inv.Email
		}
		switch {
		case inv.NoShow:
			name += " (no-show)"
		case inv.RescheduledTo != nil:
			name += " (rescheduled)"
		case inv.Status == calendly.StatusCanceled:
			name += " (canceled)"
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}
