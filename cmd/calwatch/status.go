package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/account"
	"github.com/calwatch/calwatch/tunnel/home"
)

// statusReport is `calwatch status --json`.
type statusReport struct {
	Listening  bool       `json:"listening"`
	WebhookURL string     `json:"webhook_url,omitempty"`
	Addr       string     `json:"addr,omitempty"`
	PID        int        `json:"pid,omitempty"`
	Database   string     `json:"database,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	// Tunnel is how Calendly reaches the running calwatch: its state
	// (online, reconnecting, offline, polling, local), URL and since when.
	Tunnel *home.TunnelStatus `json:"tunnel,omitempty"`
	// Account is the stored Calendly login; absent when there is none.
	Account *account.Account `json:"account,omitempty"`
	// AccountError says why the account could not be read (a database a
	// starting listener is still preparing, or one of another version);
	// the rest of the report stands.
	AccountError string `json:"account_error,omitempty"`
	// Subscriptions are the webhook subscriptions calwatch made (and will
	// delete); LastSync is when it last caught up with Calendly's API,
	// LastDelivery when it last took a delivery.
	Subscriptions []storage.Subscription `json:"subscriptions,omitempty"`
	LastSync      *time.Time             `json:"last_sync,omitempty"`
	LastDelivery  *time.Time             `json:"last_delivery,omitempty"`
}

func newStatusCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the Calendly account, and whether calwatch listen (or the TUI) is running and how Calendly reaches it",
		Long: `Show the Calendly account this --home is logged in to (user, organization,
scopes, when its access token expires), and whether 'calwatch listen' or the TUI
is running, and if so its tunnel (online, reconnecting, offline, polling or
local, with its public URL and since when), webhook URL, address, process id
and database. Exits 0 either way.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return statusRun(cmd.Context(), a, asJSON) },
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as one JSON object")
	return cmd
}

func statusRun(ctx context.Context, a *app, asJSON bool) error {
	state, running, err := a.paths().Listener()
	if err != nil {
		return err
	}
	report := statusReport{Listening: running}
	if running {
		report.WebhookURL, report.Addr, report.PID, report.Database = state.WebhookURL, state.Addr, state.PID, state.Database
		report.StartedAt, report.Tunnel = &state.StartedAt, state.Tunnel
	}
	stored, err := a.storedStatus(ctx)
	if err != nil {
		report.AccountError = err.Error()
	}
	report.Account, report.Subscriptions, report.LastSync, report.LastDelivery = stored.Account, stored.Subscriptions, stored.LastSync, stored.LastDelivery
	if asJSON {
		b, err := json.Marshal(report)
		if err != nil {
			return err
		}
		_, err = a.out.Write(append(b, '\n'))
		return err
	}
	if report.AccountError != "" {
		if _, err := fmt.Fprintln(a.out, "Calendly account unknown:", safetext.Line(report.AccountError)); err != nil {
			return err
		}
	} else if err := writeAccountStatus(a.out, report.Account); err != nil {
		return err
	}
	if err := writeStoredStatus(a.out, stored); err != nil {
		return err
	}
	if !running {
		_, err := fmt.Fprintln(a.out, "Not running: no calwatch listen or TUI is listening for this home. Start one with: calwatch listen (or calwatch)")
		return err
	}
	if _, err := fmt.Fprintf(a.out, "Listening since %s (pid %d)\n", state.StartedAt.Local().Format("2006-01-02 15:04:05 MST"), state.PID); err != nil {
		return err
	}
	if state.Tunnel != nil {
		if _, err := fmt.Fprintf(a.out, "  tunnel       %s\n", tunnelLine(state.Tunnel)); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(a.out, "  webhook URL  %s\n  address      %s\n  database     %s\n",
		safetext.Line(state.WebhookURL), safetext.Line(state.Addr), safetext.Line(state.Database))
	return err
}
