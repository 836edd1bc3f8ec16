package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/calendly/calendlytest/story"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
)

func newScenarioCmd(a *app) *cobra.Command {
	cmd := groupCmd("scenario", "Play booking stories with delivery quirks against your endpoint")
	cmd.AddCommand(newScenarioListCmd(a), newScenarioNewCmd(a), newScenarioRunCmd(a))
	return cmd
}

func newScenarioListCmd(a *app) *cobra.Command {
	asJSON := false
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the scenarios that ship with calwatch",
		Example: "  calwatch scenario list\n  calwatch scenario run reschedule-reversed --to http://127.0.0.1:3000/hooks",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := story.Shipped()
			if err != nil {
				return err
			}
			type entry struct {
				Name        string `json:"name"`
				Description string `json:"description"`
				Steps       int    `json:"steps"`
			}
			list := make([]entry, 0, len(all))
			rows := make([][]string, 0, len(all))
			for _, sc := range all {
				list = append(list, entry{sc.Name, sc.Description, len(sc.Steps)})
				rows = append(rows, []string{sc.Name, fmt.Sprint(len(sc.Steps)), sc.Description})
			}
			if asJSON {
				return writeJSON(a.out, list)
			}
			return writeTable(a.out, []string{"NAME", "STEPS", "STORY"}, rows)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array")
	return cmd
}

var scenarioName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func newScenarioNewCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "new NAME",
		Short: "Write NAME.yaml, a commented scenario to start from",
		Long: "Write NAME.yaml in the current directory: a commented scenario that shows every step,\n" +
			"quirk and check. An existing file is never overwritten.",
		Example: "  calwatch scenario new double-booking && calwatch scenario run double-booking.yaml --to http://127.0.0.1:3000/hooks",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.TrimSuffix(args[0], ".yaml")
			if !scenarioName.MatchString(name) {
				return usageErrorf("scenario name %q: use letters, digits, - and _ (at most 64)", truncateForError(args[0]))
			}
			path := name + ".yaml"
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s exists already; pick another name or edit it", path)
			}
			if err != nil {
				return fmt.Errorf("cannot write %s: %v", path, err)
			}
			if _, err := f.Write(story.Starter(name)); err != nil {
				f.Close()
				return fmt.Errorf("cannot write %s: %v", path, err)
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("cannot write %s: %v", path, err)
			}
			a.hint("wrote %s; run it with: calwatch scenario run %s --to URL --signing-key KEY", path, path)
			return nil
		},
	}
}

type scenarioRunOptions struct {
	to, status, signingKey string
	json                   bool
}

func newScenarioRunCmd(a *app) *cobra.Command {
	opts := &scenarioRunOptions{}
	cmd := &cobra.Command{
		Use:   "run FILE|NAME... [--to URL] [--status URL] [--json]",
		Short: "Play scenarios against an endpoint and check what it answered and stored",
		Long: "Play each scenario through the built-in emulator, send its deliveries (Calendly's exact bytes,\n" +
			"signed with KEY) with the story's quirks to URL, and check that each was answered 2xx and\n" +
			"that the status endpoint's JSON holds the expected values. A NAME from 'calwatch scenario list'\n" +
			"runs a shipped scenario.\n\n" +
			"Without --to the deliveries go to the running 'calwatch listen' on this machine, and checks\n" +
			"read its stored events (the JSON of 'calwatch events list --json'). --status URL (or the\n" +
			"file's status_url) is where your app answers GET with its own JSON; without one, checks are\n" +
			"skipped. The key comes from --signing-key or $" + signingKeyEnv + ". Exit code 0 when every\n" +
			"scenario passes, 1 otherwise.",
		Example: "  calwatch scenario run reschedule-reversed late-and-lost --signing-key \"$KEY\"\n" +
			"  calwatch scenario run my-story.yaml --to http://127.0.0.1:3000/hooks --status http://127.0.0.1:3000/debug/bookings --json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("scenario run needs a FILE or a shipped NAME (see 'calwatch scenario list')")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return scenarioRun(cmd.Context(), a, opts, args)
		},
	}
	cmd.Flags().StringVar(&opts.to, "to", "", "send deliveries to `URL` (default: the running listener)")
	cmd.Flags().StringVar(&opts.status, "status", "", "read the endpoint's status JSON from `URL` for checks")
	cmd.Flags().StringVar(&opts.signingKey, "signing-key", "", "sign with `KEY` (default $"+signingKeyEnv+")")
	cmd.Flags().BoolVar(&opts.json, "json", false, "print one JSON object per scenario")
	return cmd
}

// loadScenario reads a scenario file, or a shipped one by name.
func loadScenario(arg string) (*story.Scenario, error) {
	f, err := os.Open(arg)
	if errors.Is(err, fs.ErrNotExist) {
		if data, ok := story.ShippedFile(arg); ok {
			return story.Parse(arg, data)
		}
		return nil, usageErrorf("no file %s and no shipped scenario of that name (see 'calwatch scenario list')", truncateForError(arg))
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", arg, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, story.MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", arg, err)
	}
	return story.Parse(arg, data)
}

func scenarioRun(ctx context.Context, a *app, opts *scenarioRunOptions, args []string) error {
	key := opts.signingKey
	if key == "" {
		key = os.Getenv(signingKeyEnv)
	}
	if key == "" {
		return usageErrorf("scenario run needs a signing key: pass --signing-key KEY or set $%s", signingKeyEnv)
	}
	var scenarios []*story.Scenario
	for _, arg := range args {
		sc, err := loadScenario(arg)
		if err != nil {
			return err
		}
		scenarios = append(scenarios, sc)
	}
	runOpts := story.Options{SigningKey: []byte(key)}
	if opts.status != "" {
		u, err := url.Parse(opts.status)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageErrorf("--status %q is not an http(s) URL", truncateForError(opts.status))
		}
		runOpts.StatusURL = opts.status
	}
	if opts.to != "" {
		target, err := parseEndpointURL(opts.to)
		if err != nil {
			return err
		}
		runOpts.To = target.String()
	} else {
		target, _, err := resendTarget(a, &resendOptions{signingKey: key})
		if err != nil {
			return err
		}
		runOpts.To = target.String()
		runOpts.Status = func(ctx context.Context) (any, error) { return storedEvents(ctx, a) }
	}
	warnIfShortKey(a, []byte(key))
	failed := 0
	for _, sc := range scenarios {
		res, err := story.Run(ctx, sc, runOpts)
		if err != nil {
			return err
		}
		if !res.Pass {
			failed++
		}
		if opts.json {
			err = writeJSON(a.out, res)
		} else {
			err = writeScenarioResult(a.out, res)
		}
		if err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d scenarios failed; each failing step is listed above with what was expected and what came back", failed, len(scenarios))
	}
	return nil
}

// storedEvents is what 'calwatch events list --json' prints, as JSON.
func storedEvents(ctx context.Context, a *app) (any, error) {
	events := []storage.EventView{}
	store, err := a.openExistingStore(ctx)
	switch {
	case errors.Is(err, errNoDatabase): // nothing stored yet: []
	case err != nil:
		return nil, err
	default:
		defer store.Close()
		for e, err := range store.Events(ctx, storage.EventFilter{}) {
			if err != nil {
				return nil, err
			}
			events = append(events, e)
		}
	}
	raw, err := json.Marshal(events)
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if doc == nil {
		doc = []any{}
	}
	return doc, nil
}

func writeScenarioResult(w io.Writer, res *story.Result) error {
	var b strings.Builder
	verdict := "PASS"
	if !res.Pass {
		verdict = "FAIL"
	}
	answered, dropped := 0, 0
	for _, s := range res.Sent {
		switch {
		case s.Status == -1:
			dropped++
		case s.Status >= 200 && s.Status <= 299:
			answered++
		}
	}
	fmt.Fprintf(&b, "%s %s (%s): %d of %d deliveries answered 2xx", verdict, res.Scenario, res.File, answered, len(res.Sent)-dropped)
	if dropped > 0 {
		fmt.Fprintf(&b, ", %d dropped on purpose", dropped)
	}
	fmt.Fprintf(&b, ", %d checks hold", res.Checks)
	if res.Skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped (no status endpoint: pass --status URL)", res.Skipped)
	}
	line := b.String()
	b.Reset()
	// The scenario's name and file name come from the file.
	b.WriteString(safetext.Line(line) + "\n")
	for _, f := range res.Failures {
		// Expected and got quote the endpoint's JSON.
		fmt.Fprintf(&b, "  %s\n", safetext.Line(f.String()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
