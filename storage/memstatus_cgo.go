//go:build cgo

package storage

/*
// SQLite's own functions, linked in by github.com/mattn/go-sqlite3.
extern int sqlite3_config(int, ...);

// SQLITE_CONFIG_MEMSTATUS is 9 in sqlite3.h.
static int sqliteMemstatusOff(void) { return sqlite3_config(9, 0); }
*/
import "C"

// SQLite counts every allocation under one process-wide mutex unless told
// not to, before its first use; calwatch never reads those counts.
var memstatusOff = C.sqliteMemstatusOff()
