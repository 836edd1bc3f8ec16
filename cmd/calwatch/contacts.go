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

func newContactsListCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List contacts, most recently active first",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return contactsListRun(cmd.Context(), a, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

func contactsListRun(ctx context.Context, a *app, asJSON bool) error {
	contacts, ok, err := readList(ctx, a, asJSON, func(s *storage.Store) ([]storage.ContactView, error) {
		return s.ListContacts(ctx)
	})
	if !ok {
		return err
	}
	if asJSON {
		return writeJSON(a.out, contacts)
	}
	if len(contacts) == 0 {
		a.hint("no contacts yet — %s", noDataHint)
		return nil
	}
	rows := make([][]string, 0, len(contacts))
	for _, c := range contacts {
		rows = append(rows, []string{
			cell(c.Email),
			cell(c.Name),
			strconv.Itoa(c.Bookings),
			strconv.Itoa(c.Cancellations),
			strconv.Itoa(c.NoShows),
			localTimePtr(c.LastActivityAt),
		})
	}
	return writeTable(a.out, []string{"EMAIL", "NAME", "BOOKINGS", "CANCELED", "NO-SHOWS", "LAST ACTIVITY"}, rows)
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
