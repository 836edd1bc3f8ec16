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
	from, to dateFlag
	status   choiceFlag
	json     bool
}

func newEventsListCmd(a *app) *cobra.Command {
	opts := &eventsListOptions{status: choiceFlag{choices: []string{calendly.StatusActive, calendly.StatusCanceled}}}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List stored events, earliest first",
		Long: "List the scheduled events calwatch has stored, earliest start first.\n\n" +
			"DATE is YYYY-MM-DD (local midnight; as --to it includes that whole day) or RFC 3339.\n" +
			"Without --from and --to, every stored event is listed.",
		Example: "  calwatch events list --from 2026-06-01 --to 2026-06-30\n  calwatch events list --status canceled --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return eventsListRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().Var(&opts.from, "from", "only events starting at or after `DATE`")
	cmd.Flags().Var(&opts.to, "to", "only events starting before `DATE` (a day counts whole)")
	cmd.Flags().Var(&opts.status, "status", "only events whose status is `active|canceled`")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print a JSON array")
	return cmd
}

func eventsListRun(ctx context.Context, a *app, opts *eventsListOptions) error {
	filter := storage.EventFilter{From: opts.from.start(), To: opts.to.end(), Status: opts.status.value}
	if !filter.From.IsZero() && !filter.To.IsZero() && !filter.From.Before(filter.To) {
		return usageErrorf("--from %s is not before --to %s: nothing can match; swap them", opts.from.raw, opts.to.raw)
	}
	events, ok, err := readList(ctx, a, opts.json, func(s *storage.Store) ([]storage.EventView, error) {
		return s.ListEvents(ctx, filter)
	})
	if !ok {
		return err
	}
	if opts.json {
		return writeJSON(a.out, events)
	}
	if len(events) == 0 {
		if filter == (storage.EventFilter{}) {
			a.hint("no events yet — %s", noDataHint)
		} else {
			a.hint("no events match; drop --from, --to or --status to see all")
		}
		return nil
	}
	rows := make([][]string, 0, len(events))
	for _, e := range events {
		rows = append(rows, []string{
			localTimePtr(e.StartTime),
			duration(e.StartTime, e.EndTime),
			e.Status,
			cell(e.Name),
			cell(inviteeNames(e.Invitees)),
			locationCell(e.Location),
		})
	}
	return writeTable(a.out, []string{"START", "LENGTH", "STATUS", "EVENT", "INVITEES", "LOCATION"}, rows)
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
