package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
)

type deliveriesPruneOptions struct {
	olderThan time.Duration
	json      bool
}

// ageFlag is a --older-than value: a Go duration (36h, 90m) or whole days (30d).
type ageFlag struct{ d *time.Duration }

func (f ageFlag) String() string { return formatAge(*f.d) }
func (f ageFlag) Type() string   { return "DURATION" }
func (f ageFlag) Set(s string) error {
	d, err := parseAge(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

// maxAgeDays keeps a parsed age inside time.Duration (about 292 years).
const maxAgeDays = 100_000

// parseAge reads an age: whole days ("30d") or a Go duration ("36h",
// "1h30m"), zero or more.
func parseAge(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok && days != "" && strings.Trim(days, "0123456789") == "" {
		n, err := strconv.Atoi(days)
		if err != nil || n > maxAgeDays {
			return 0, fmt.Errorf("%q is too long an age; at most %d days", s, maxAgeDays)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not an age; use days (30d) or a duration (36h, 90m)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("%q is negative; an age is 0 or more", s)
	}
	return d, nil
}

// formatAge shows whole days as days, anything else as a Go duration.
func formatAge(d time.Duration) string {
	if day := 24 * time.Hour; d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

func newDeliveriesPruneCmd(a *app) *cobra.Command {
	opts := &deliveriesPruneOptions{olderThan: storage.DefaultDeliveryRetention}
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove old deliveries from the log and say what was removed",
		Long: "Remove every delivery-log row received more than --older-than ago (applied, duplicate,\n" +
			"failed and refused alike; the bookings they brought stay) and trim the refused requests\n" +
			"to their cap. A running listener keeps receiving meanwhile. The listener does the same on\n" +
			"its own with the default age, " + formatAge(storage.DefaultDeliveryRetention) + ".",
		Example: "  calwatch deliveries prune --older-than 7d\n  calwatch deliveries prune --older-than 0 --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return deliveriesPruneRun(cmd.Context(), a, opts)
		},
	}
	cmd.Flags().Var(ageFlag{&opts.olderThan}, "older-than", "remove deliveries received more than `DURATION` ago (30d, 36h; 0: all)")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print what was removed as one JSON object")
	return cmd
}

// pruneJSON is `deliveries prune --json`.
type pruneJSON struct {
	Before time.Time `json:"before"`
	storage.PruneReport
}

func deliveriesPruneRun(ctx context.Context, a *app, opts *deliveriesPruneOptions) error {
	before := time.Now().Add(-opts.olderThan).UTC()
	var report storage.PruneReport
	if err := a.errIfNoDatabase(); errors.Is(err, errNoDatabase) {
		if !opts.json {
			a.hint("%v", err)
			return nil
		}
	} else {
		store, err := a.openStore(ctx)
		if err != nil {
			return err
		}
		defer store.Close()
		if report, err = store.PruneDeliveries(ctx, before); err != nil {
			return err
		}
	}
	if opts.json {
		b, err := json.Marshal(pruneJSON{Before: before, PruneReport: report})
		if err != nil {
			return err
		}
		_, err = a.out.Write(append(b, '\n'))
		return err
	}
	_, err := fmt.Fprintln(a.out, describePrune(report, before))
	return err
}

// describePrune says in one line what a prune removed.
func describePrune(r storage.PruneReport, before time.Time) string {
	var b strings.Builder
	if r.Deliveries == 0 {
		fmt.Fprintf(&b, "No deliveries received before %s to remove", localTime(before))
	} else {
		fmt.Fprintf(&b, "Removed %s (%d refused, %s of bodies and headers) received before %s",
			plural(r.Deliveries, "delivery", "deliveries"), r.Refused, byteSize(r.Bytes), localTime(before))
	}
	b.WriteString(".")
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func byteSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
}
