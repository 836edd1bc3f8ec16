package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/storage"
)

func TestDeliveriesPruneSaysWhatItRemoved(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "deliveries", "prune").wantExit(t, exitOK)
	if !strings.HasPrefix(r.stdout, "No deliveries received before") {
		t.Errorf("prune at the default age of a fresh log: %q, want nothing removed", r.stdout)
	}
	if log := decodeJSON[[]map[string]any](t, bk.cli(t, "deliveries", "list", "--json")); len(log) != 6 {
		t.Fatalf("%d deliveries after a prune at the default age, want all 6", len(log))
	}

	r = bk.cli(t, "deliveries", "prune", "--older-than", "0", "--json").wantExit(t, exitOK)
	got := decodeJSON[map[string]any](t, r)
	if got["deliveries"] != float64(6) || got["refused"] != float64(1) || got["bytes"].(float64) <= 0 || got["before"] == nil {
		t.Errorf("prune --older-than 0 --json = %v, want 6 deliveries (1 refused) and their bytes", got)
	}
	if log := decodeJSON[[]map[string]any](t, bk.cli(t, "deliveries", "list", "--json")); len(log) != 0 {
		t.Errorf("%d deliveries left after pruning all", len(log))
	}
	if evs := decodeJSON[[]map[string]any](t, bk.cli(t, "events", "list", "--json")); len(evs) != 3 {
		t.Errorf("%d events after pruning the log, want the 3 bookings kept", len(evs))
	}
}

func TestDeliveriesPruneHumanLine(t *testing.T) {
	bk := newBookings(t)
	r := bk.cli(t, "deliveries", "prune", "--older-than", "0s").wantExit(t, exitOK)
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "Removed 6 deliveries (1 refused, ") {
		t.Errorf("prune said %q, want one line naming 6 deliveries, 1 refused", r.stdout)
	}
}

func TestDeliveriesPruneFlags(t *testing.T) {
	bk := newBookings(t)
	for _, bad := range []string{"-1h", "ten", "3w", "d", "999999999d"} {
		bk.cli(t, "deliveries", "prune", "--older-than", bad).wantExit(t, exitUsage).wantOneLineError(t, "--older-than")
	}
	missing := filepath.Join(t.TempDir(), "none.db")
	r := runCLI(t, nil, "--db", missing, "deliveries", "prune", "--json").wantExit(t, exitOK)
	if got := decodeJSON[map[string]any](t, r); got["deliveries"] != float64(0) {
		t.Errorf("prune without a database = %v, want nothing removed", got)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "0d": 0, "36h": 36 * time.Hour, "1h30m": 90 * time.Minute, "0": 0} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if formatAge(storage.DefaultDeliveryRetention) != "30d" || formatAge(90*time.Minute) != "1h30m0s" {
		t.Errorf("formatAge: %q, %q", formatAge(storage.DefaultDeliveryRetention), formatAge(90*time.Minute))
	}
}

// FuzzParseAge: any text is either refused or an age of zero or more.
func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"30d", "36h", "1h30m", "-1h", "d", "999999999999d", "1e5d", "+5d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseAge(s)
		if err == nil && d < 0 {
			t.Fatalf("parseAge(%q) = %v, a negative age", s, d)
		}
		if err != nil && (d != 0 || strings.Contains(err.Error(), "\n")) {
			t.Fatalf("parseAge(%q): %v with %v; want one line and no value", s, err, d)
		}
	})
}

// TestReadCommandsLeaveAnOlderDatabaseAlone: a database an older calwatch
// wrote (an older listener may be running on it) is not upgraded by a read
// command; the command says in one line what to do.
func TestReadCommandsLeaveAnOlderDatabaseAlone(t *testing.T) {
	bk := newBookings(t)
	db, err := sql.Open("sqlite3", bk.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("PRAGMA user_version = 1"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"events", "list"}, {"contacts", "list", "--json"}, {"deliveries", "list"}, {"contacts", "show", zoe.Email}} {
		bk.cli(t, args...).wantExit(t, exitFailure).wantOneLineError(t, "older calwatch", "listen")
	}
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != 1 {
		t.Errorf("user_version = %d, %v after the read commands; want 1, untouched", version, err)
	}
}

// TestAWriteCommandSaysItUpgradesAnOlderDatabase: the first write command
// on a database an older calwatch made says on stderr that it upgrades it,
// and to which schema, since a large store takes seconds; the next run
// says nothing, and --json output stays clean.
func TestAWriteCommandSaysItUpgradesAnOlderDatabase(t *testing.T) {
	scripts, err := filepath.Glob(filepath.Join("..", "..", "storage", "migrations", "*.sql"))
	if err != nil || len(scripts) < 2 {
		t.Fatalf("the storage migrations: %v, %v", scripts, err)
	}
	path := filepath.Join(t.TempDir(), "calwatch.db")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	older := len(scripts) - 1
	for _, name := range scripts[:older] {
		script, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(script)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", older)); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "--db", path, "deliveries", "prune", "--json").wantExit(t, exitOK)
	want := fmt.Sprintf("upgrading %s for this calwatch (schema %d to %d)", path, older, len(scripts))
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q, want it to say %q", r.stderr, want)
	}
	decodeJSON[map[string]any](t, r)
	r = runCLI(t, nil, "--db", path, "deliveries", "prune").wantExit(t, exitOK)
	if strings.Contains(r.stderr, "upgrading") {
		t.Errorf("the second run says %q; the database was upgraded already", r.stderr)
	}
}
