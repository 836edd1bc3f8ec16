package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnknownCommandIsAUsageError(t *testing.T) {
	r := runCLI(t, nil, "evnets", "list").wantExit(t, exitUsage)
	r.wantOneLineError(t, `unknown command "evnets"`, `did you mean "events"?`, "calwatch --help")
	runCLI(t, nil, "frobnicate").wantExit(t, exitUsage).wantOneLineError(t, `unknown command "frobnicate"`, "calwatch --help")
}

// openAppStore opens the database as listen does, for the app a.
func openAppStore(t *testing.T, a *app) {
	t.Helper()
	store, err := a.openStore(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDBFlagLeavesAnExistingFolderAlone(t *testing.T) {
	shared := t.TempDir()
	if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	openAppStore(t, &app{dbFile: filepath.Join(shared, "x.db")})
	info, err := os.Stat(shared)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode() & (os.ModePerm | os.ModeSticky); got != 0o777|os.ModeSticky {
		t.Errorf("--db changed the mode of the folder it names from 1777 to %v", got)
	}
	if info, err := os.Stat(filepath.Join(shared, "x.db")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("database file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
}

func TestDBFlagCreatesAMissingFolderPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "place")
	openAppStore(t, &app{dbFile: filepath.Join(dir, "x.db")})
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("created folder: %v, mode %v; want 0700", err, info.Mode().Perm())
	}
}

// TestHomeFolderIsLeftAloneWhenItExists: `--home .` or `--home /tmp` must
// not chmod the user's folder (as root, /tmp would turn 0700); a home that
// does not exist yet is created private.
func TestHomeFolderIsLeftAloneWhenItExists(t *testing.T) {
	home := t.TempDir()
	if err := os.Chmod(home, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	openAppStore(t, &app{home: home})
	if info, err := os.Stat(home); err != nil || info.Mode()&(os.ModePerm|os.ModeSticky) != os.ModeSticky|0o777 {
		t.Errorf("--home folder: %v, mode %v; want it left at 1777", err, info.Mode())
	}
	t.Setenv("CALWATCH_HOME", home)
	openAppStore(t, &app{})
	if info, err := os.Stat(home); err != nil || info.Mode()&(os.ModePerm|os.ModeSticky) != os.ModeSticky|0o777 {
		t.Errorf("CALWATCH_HOME folder: %v, mode %v; want it left at 1777", err, info.Mode())
	}

	fresh := filepath.Join(t.TempDir(), "new-home")
	openAppStore(t, &app{home: fresh})
	if info, err := os.Stat(fresh); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("new --home folder: %v, mode %v; want 0700", err, info.Mode().Perm())
	}
}

func TestReadCommandsDoNotCreateADatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "typo.db")
	for _, cmd := range [][]string{{"events", "list"}, {"contacts", "list"}, {"deliveries", "list"}} {
		r := runCLI(t, nil, append([]string{"--db", db}, cmd...)...).wantExit(t, exitOK)
		if r.stdout != "" || !strings.Contains(r.stderr, "no database at "+db) {
			t.Errorf("%v without a database: stdout %q stderr %q, want a hint naming the path", cmd, r.stdout, r.stderr)
		}
	}
	runCLI(t, nil, "--db", db, "contacts", "show", "a@example.com").wantExit(t, exitFailure).
		wantOneLineError(t, `no contact with email "a@example.com"`, "no database at "+db)
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a read command created %s (stat: %v)", db, err)
	}
}
