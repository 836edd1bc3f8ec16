package main

import (
	"os"
	"strings"
	"testing"
)

func TestStatsCountsWhatIsStoredAndItsSize(t *testing.T) {
	bk := newBookings(t)
	st := decodeJSON[map[string]any](t, bk.cli(t, "stats", "--json").wantExit(t, exitOK))
	wantKeys(t, "stats", st, "path", "events", "contacts", "deliveries", "database_bytes", "wal_bytes", "free_bytes")
	info, err := os.Stat(bk.db)
	if err != nil {
		t.Fatal(err)
	}
	if st["events"] != 3.0 || st["contacts"] != 3.0 || st["deliveries"] != float64(len(bk.sent)+1) || st["path"] != bk.db {
		t.Errorf("stats = %v, want 3 events, 3 contacts, %d deliveries (one refused) in %s", st, len(bk.sent)+1, bk.db)
	}
	if st["database_bytes"] != float64(info.Size()) {
		t.Errorf("database_bytes = %v, want the file's %d", st["database_bytes"], info.Size())
	}
	r := bk.cli(t, "stats").wantExit(t, exitOK)
	for _, want := range []string{"events      3\n", "contacts    3\n", "on disk     ", bk.db} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stats printed\n%s\nwant %q in it", r.stdout, want)
		}
	}
}

func TestStatsWithoutADatabaseSaysSo(t *testing.T) {
	home := t.TempDir()
	r := runCLI(t, nil, "--home", home, "stats").wantExit(t, exitOK)
	if r.stdout != "" || !strings.Contains(r.stderr, "no database") {
		t.Errorf("stdout %q stderr %q, want only a hint that nothing is stored", r.stdout, r.stderr)
	}
	st := decodeJSON[map[string]any](t, runCLI(t, nil, "--home", home, "stats", "--json").wantExit(t, exitOK))
	if st["events"] != 0.0 || st["database_bytes"] != 0.0 {
		t.Errorf("stats --json = %v, want zeros", st)
	}
	if _, err := os.Stat(home + "/calwatch.db"); err == nil {
		t.Error("stats created a database")
	}
}
