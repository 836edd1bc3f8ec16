package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
)

func newContactsCmd(a *app) *cobra.Command {
	cmd := groupCmd("contacts", "Show the people who booked, canceled or did not show")
	cmd.AddCommand(newContactsListCmd(a), newContactsShowCmd(a))
	return cmd
}

type contactsListOptions struct {
	search      string
	from, to    dateFlag
	limit       int
	json, jsonl bool
}

func newContactsListCmd(a *app) *cobra.Command {
	opts := &contactsListOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List contacts, most recently active first",
		Long: "List the people calwatch has seen, most recently active first.\n\n" +
			"--search keeps those whose name or email starts with TEXT (A to Z in either case); --from and\n" +
			"--to keep those with some activity in that range. DATE is YYYY-MM-DD (local midnight; as\n" +
			"--to it includes that whole day) or RFC 3339.",
		Example: "  calwatch contacts list --search ana\n  calwatch contacts list --from 2026-06-01 --limit 20 --jsonl",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListFlags(opts.limit, opts.json, opts.jsonl); err != nil {
				return err
			}
			return contactsListRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().StringVar(&opts.search, "search", "", "only contacts whose name or email starts with `TEXT`")
	cmd.Flags().Var(&opts.from, "from", "only contacts active at or after `DATE`")
	cmd.Flags().Var(&opts.to, "to", "only contacts active before `DATE` (a day counts whole)")
	cmd.Flags().IntVar(&opts.limit, "limit", 0, "show at most `N` contacts (0: all)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print a JSON array")
	cmd.Flags().BoolVar(&opts.jsonl, "jsonl", false, "print one JSON object per line")
	return cmd
}

func contactsListRun(ctx context.Context, a *app, opts *contactsListOptions) error {
	filter := storage.ContactFilter{Search: opts.search, From: opts.from.start(), To: opts.to.end()}
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
	out := newListOutput(a.out, opts.json, opts.jsonl, []string{"EMAIL", "NAME", "BOOKINGS", "CANCELED", "NO-SHOWS", "LAST ACTIVITY"})
	truncated := false
	for c, err := range store.Contacts(ctx, filter) {
		if err != nil {
			return err
		}
		if opts.limit > 0 && out.n == opts.limit {
			truncated = true
			break
		}
		err := out.add(c, func() []string {
			return []string{
				cell(c.Email),
				cell(c.Name),
				strconv.Itoa(c.Bookings),
				strconv.Itoa(c.Cancellations),
				strconv.Itoa(c.NoShows),
				localTimePtr(c.LastActivityAt),
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
	case out.n == 0 && filter == (storage.ContactFilter{}):
		a.hint("no contacts yet — %s", noDataHint)
	case out.n == 0:
		a.hint("no contacts match; drop --search, --from or --to to see all")
	case truncated:
		a.hint("showing the %d most recently active; more match, --limit 0 shows all", opts.limit)
	}
	return nil
}

func newContactsShowCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "show EMAIL",
		Short:   "Show one contact and their history, newest first",
		Example: "  calwatch contacts show jane@example.com --json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return contactsShowRun(cmd.Context(), a, args[0], asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

func contactsShowRun(ctx context.Context, a *app, email string, asJSON bool) error {
	email = strings.TrimSpace(email)
	if email == "" {
		return usageErrorf("EMAIL is empty: pass the address as shown by `calwatch contacts list`")
	}
	store, err := a.openExistingStore(ctx)
	if errors.Is(err, errNoDatabase) {
		return fmt.Errorf("no contact with email %q: %w", email, err)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	contact, err := store.Contact(ctx, email)
	if errors.Is(err, storage.ErrNotFound) {
		return fmt.Errorf("no contact with email %q; `calwatch contacts list` shows who is known", email)
	}
	if err != nil {
		return err
	}
	if asJSON {
		if contact.Activity == nil {
			contact.Activity = []storage.ActivityView{}
		}
		return writeJSON(a.out, contact)
	}
	fmt.Fprintf(a.out, "%s <%s>\n", safetext.Line(orDash(contact.Name)), safetext.Line(contact.Email))
	fmt.Fprintf(a.out, "timezone: %s\n", safetext.Line(orDash(contact.Timezone)))
	fmt.Fprintf(a.out, "bookings: %d   canceled: %d   no-shows: %d   last activity: %s\n\n",
		contact.Bookings, contact.Cancellations, contact.NoShows, localTimePtr(contact.LastActivityAt))
	if len(contact.Activity) == 0 {
		a.hint("no activity recorded for %s", contact.Email)
		return nil
	}
	rows := make([][]string, 0, len(contact.Activity))
	for _, act := range contact.Activity {
		rows = append(rows, []string{localTimePtr(act.At), act.Kind, orDash(act.EventURI)})
	}
	return writeTable(a.out, []string{"WHEN", "WHAT", "EVENT"}, rows)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
