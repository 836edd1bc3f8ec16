//go:build cgo

package storage

import "testing"

// TestSQLiteAllocationCountingIsOff: the setting only takes before SQLite's
// first use, so an init that opened a database earlier would lose it
// (SQLITE_MISUSE, 21) without a word.
func TestSQLiteAllocationCountingIsOff(t *testing.T) {
	if memstatusOff != 0 {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) = %d, want SQLITE_OK", memstatusOff)
	}
}
