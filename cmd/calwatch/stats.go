package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
)

func newStatsCmd(a *app) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show how many events, contacts and deliveries are stored, and the size on disk",
		Long: "Show how many events, contacts and deliveries the database holds and how much room it\n" +
			"takes on disk: the database file and its write-ahead log (folded back into the file\n" +
			"as SQLite checkpoints it).",
		Example: "  calwatch stats\n  calwatch stats --json | jq .database_bytes",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return statsRun(cmd.Context(), a, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON object")
	return cmd
}

func statsRun(ctx context.Context, a *app, asJSON bool) error {
	store, err := a.openExistingStore(ctx)
	if errors.Is(err, errNoDatabase) {
		if asJSON { // nothing is stored: every count and size is 0
			return writeJSON(a.out, storage.Stats{Path: a.dbPath()})
		}
		a.hint("%v", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer store.Close()
	st, err := store.Stats(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.out, st)
	}
	fmt.Fprintf(a.out, "events      %d\ncontacts    %d\ndeliveries  %d\n", st.Events, st.Contacts, st.Deliveries)
	fmt.Fprintf(a.out, "on disk     %s (database %s, write-ahead log %s)\n",
		byteSize(st.DatabaseBytes+st.WALBytes), byteSize(st.DatabaseBytes), byteSize(st.WALBytes))
	if st.FreeBytes > 0 {
		fmt.Fprintf(a.out, "free        %s of it holds nothing and is reused before the file grows (with calwatch stopped, sqlite3 FILE VACUUM returns it)\n", byteSize(st.FreeBytes))
	}
	fmt.Fprintf(a.out, "file        %s\n", safetext.Line(st.Path))
	return nil
}
