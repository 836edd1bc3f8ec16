// Package home is where calwatch keeps its files. It resolves --home and
// CALWATCH_HOME against the XDG locations (config, data, state and logs
// folders, the database path, --db), creates calwatch's folders private,
// and holds the one-listener lock and the running listener's state file
// that `calwatch status` and the TUI read. Both faces of calwatch, the CLI
// and the TUI, find their files through it.
package home

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/adrg/xdg"
)

// EnvHome names the environment variable that stands for --home.
const EnvHome = "CALWATCH_HOME"

// databaseFile is the database's name inside the data folder.
const databaseFile = "calwatch.db"

// Home is one resolved set of calwatch locations.
type Home struct {
	// Dir holds config, data, state and logs when set (--home or
	// CALWATCH_HOME); "" means the XDG locations.
	Dir string
	// DBFile is the database the user named (--db); "" means calwatch.db
	// in the data folder.
	DBFile string
}

// Resolve makes the Home for the flags --home dir and --db dbFile: an
// empty dir falls back to $CALWATCH_HOME, then to the XDG locations.
func Resolve(dir, dbFile string) Home {
	if dir == "" {
		dir = os.Getenv(EnvHome)
	}
	return Home{Dir: dir, DBFile: dbFile}
}

// Dirs are the folders calwatch uses.
type Dirs struct {
	Config string // settings and, where no keyring answers, the data key
	Data   string // the database
	State  string // the running listener's lock and state file
	Logs   string // log files, so nothing but the UI reaches the terminal
}

// Dirs returns the folders for h: all of them in Dir (logs in Dir/logs)
// when it is set, else calwatch's folders under the XDG base directories.
func (h Home) Dirs() Dirs {
	if h.Dir != "" {
		return Dirs{Config: h.Dir, Data: h.Dir, State: h.Dir, Logs: filepath.Join(h.Dir, "logs")}
	}
	state := filepath.Join(xdg.StateHome, "calwatch")
	return Dirs{
		Config: filepath.Join(xdg.ConfigHome, "calwatch"),
		Data:   filepath.Join(xdg.DataHome, "calwatch"),
		State:  state,
		Logs:   filepath.Join(state, "logs"),
	}
}

// DatabasePath is the database file: --db, or calwatch.db in the data folder.
func (h Home) DatabasePath() string {
	if h.DBFile != "" {
		return h.DBFile
	}
	return filepath.Join(h.Dirs().Data, databaseFile)
}

// EnsureDir makes sure dir exists. A missing folder is created 0700. An
// existing folder the user named (--home itself, the folder of --db) is
// left as it is: it may be anybody's, /tmp or the current folder included.
// An existing folder calwatch made for itself (under the XDG locations, or
// inside --home) is tightened to 0700 if it is looser.
func (h Home) EnsureDir(dir string) error {
	if h.namedByUser(dir) {
		if _, err := os.Stat(dir); err == nil {
			return nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("cannot make %s private (0700): %w", dir, err)
	}
	return nil
}

// EnsureDatabaseDir makes sure the database's folder exists (see EnsureDir).
func (h Home) EnsureDatabaseDir() error {
	return h.EnsureDir(filepath.Dir(h.DatabasePath()))
}

// namedByUser reports whether dir is a folder the user chose rather than
// one calwatch made for itself.
func (h Home) namedByUser(dir string) bool {
	dir = filepath.Clean(dir)
	if h.Dir != "" && dir == filepath.Clean(h.Dir) {
		return true
	}
	return h.DBFile != "" && dir == filepath.Dir(filepath.Clean(h.DBFile))
}
