package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/home"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes: a contract with scripts.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

type streams struct {
	in     io.Reader
	out    io.Writer // data (tables, JSON) only
	errOut io.Writer // human messages
}

// app carries what every subcommand shares: the streams and the global flags.
type app struct {
	*streams
	home   string // --home or CALWATCH_HOME; "" means XDG locations
	dbFile string // --db; "" means the default under the data dir
}

// usageError marks a mistake in how calwatch was called (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// run executes calwatch with args and returns the process exit code.
func run(ctx context.Context, args []string, s *streams) int {
	a := &app{streams: s}
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	if msg := err.Error(); strings.HasPrefix(msg, "unknown command ") {
		err = unknownCommand(msg)
	}
	// Errors quote what they could not use: a name, a URL, an answer.
	fmt.Fprintln(s.errOut, "Error:", safetext.Line(err.Error()))
	if errors.As(err, new(usageError)) {
		return exitUsage
	}
	return exitFailure
}

// unknownCommand rewrites cobra's multi-line "unknown command" error as
// one line, keeping its suggestion.
func unknownCommand(msg string) error {
	first, rest, _ := strings.Cut(msg, "\n")
	hint := ""
	if words := strings.Fields(strings.TrimPrefix(strings.TrimSpace(rest), "Did you mean this?")); len(words) > 0 {
		hint = fmt.Sprintf("; did you mean %q?", words[0])
	}
	return usageErrorf("%s%s (see 'calwatch --help')", first, hint)
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:           "calwatch",
		Short:         "Watch Calendly bookings live, from the terminal",
		Long:          "calwatch verifies and stores Calendly webhook deliveries, shows bookings, and carries a Calendly emulator for offline work.",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if a.home == "" {
				a.home = os.Getenv("CALWATCH_HOME")
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.home, "home", "", "keep config, data and logs under `DIR` (env CALWATCH_HOME)")
	root.PersistentFlags().StringVar(&a.dbFile, "db", "", "use the database `FILE` instead of the default")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see '%s --help')", err, cmd.CommandPath())}
	})
	addTUI(root, a)
	root.AddCommand(
		newListenCmd(a),
		newStatusCmd(a),
		newEventsCmd(a),
		newContactsCmd(a),
		newDeliveriesCmd(a),
		newStatsCmd(a),
		newTriggerCmd(a),
		newAuditCmd(a),
		newScenarioCmd(a),
		newEmulatorCmd(a),
		newLoginCmd(a),
		newLogoutCmd(a),
		newSubscriptionsCmd(a),
		newExportCmd(a),
	)
	for _, c := range root.Commands() {
		c.SilenceUsage, c.SilenceErrors = true, true
	}
	return root
}

// noArgs is cobra.NoArgs as a usage error.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// exactArgs is cobra.ExactArgs as a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s takes %d argument(s), got %d (see '%s --help')", cmd.CommandPath(), n, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// paths resolves --home, CALWATCH_HOME and --db to calwatch's files.
func (a *app) paths() home.Home { return home.Resolve(a.home, a.dbFile) }

func (a *app) dbPath() string { return a.paths().DatabasePath() }

// errNoDatabase says the database file does not exist yet.
var errNoDatabase = errors.New("no database")

// errIfNoDatabase says where the database was looked for when it does
// not exist (a mistyped --db, or nothing received yet).
func (a *app) errIfNoDatabase() error {
	if _, err := os.Stat(a.dbPath()); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w at %s yet; check --db/--home, or %s", errNoDatabase, a.dbPath(), noDataHint)
	}
	return nil
}

// openExistingStore opens the database read-only for a command that only
// reads it: it creates, migrates and chmods nothing, so it works on
// read-only media and beside a running (even older) listener.
func (a *app) openExistingStore(ctx context.Context) (*storage.Store, error) {
	if err := a.errIfNoDatabase(); err != nil {
		return nil, err
	}
	return storage.OpenReadOnly(ctx, a.dbPath())
}

// openStoreIfExists opens the database for writing, but only when there is
// one (logout has nothing to do where nothing was ever stored).
func (a *app) openStoreIfExists(ctx context.Context) (*storage.Store, error) {
	if err := a.errIfNoDatabase(); err != nil {
		return nil, err
	}
	return a.openStore(ctx)
}

// openForReading opens the database for a list command. Where there is
// none yet it answers for the command — an empty JSON array, or the reason
// on stderr — and returns ok=false.
func openForReading(ctx context.Context, a *app, asJSON bool) (store *storage.Store, ok bool, err error) {
	store, err = a.openExistingStore(ctx)
	if errors.Is(err, errNoDatabase) {
		if asJSON {
			return nil, false, writeJSON(a.out, []struct{}{})
		}
		a.hint("%v", err)
		return nil, false, nil
	}
	return store, err == nil, err
}

// openStore opens (creating if needed) the database, saying on stderr when
// it first upgrades one an older calwatch made, which can take seconds.
func (a *app) openStore(ctx context.Context, opts ...storage.Option) (*storage.Store, error) {
	paths := a.paths()
	if err := paths.EnsureDatabaseDir(); err != nil {
		return nil, err
	}
	path := paths.DatabasePath()
	announce := storage.OnUpgrade(func(from, to int) {
		a.hint("upgrading %s for this calwatch (schema %d to %d); a large store takes a few seconds", path, from, to)
	})
	return storage.Open(ctx, path, append(opts, announce)...)
}
