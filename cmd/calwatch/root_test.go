package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestUnknownCommandIsAUsageError(t *testing.T) {
	r := runCLI(t, nil, "evnets", "list").wantExit(t, exitUsage)
	r.wantOneLineError(t, `unknown command "evnets"`, `did you mean "events"?`, "calwatch --help")
	runCLI(t, nil, "frobnicate").wantExit(t, exitUsage).wantOneLineError(t, `unknown command "frobnicate"`, "calwatch --help")
}

func TestDBFlagLeavesAnExistingFolderAlone(t *testing.T) {
	shared := t.TempDir()
	if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	runCLI(t, nil, "--db", filepath.Join(shared, "x.db"), "events", "list", "--json").wantExit(t, exitOK)
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
	runCLI(t, nil, "--db", filepath.Join(dir, "x.db"), "events", "list", "--json").wantExit(t, exitOK)
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("created folder: %v, mode %v; want 0700", err, info.Mode().Perm())
	}
}

func TestHomeIsMadePrivate(t *testing.T) {
	home := t.TempDir()
	if err := os.Chmod(home, 0o755); err != nil {
		t.Fatal(err)
	}
	runCLI(t, nil, "--home", home, "events", "list", "--json").wantExit(t, exitOK)
	if info, err := os.Stat(home); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("--home folder: %v, mode %v; want 0700", err, info.Mode().Perm())
	}
}
