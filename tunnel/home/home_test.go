package home

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/adrg/xdg"
)

func TestResolveFlagBeatsEnvironment(t *testing.T) {
	t.Setenv(EnvHome, "/from/env")
	if h := Resolve("", ""); h.Dir != "/from/env" {
		t.Errorf("without --home: Dir %q, want $%s", h.Dir, EnvHome)
	}
	if h := Resolve("/from/flag", "x.db"); h.Dir != "/from/flag" || h.DatabasePath() != "x.db" {
		t.Errorf("with --home and --db: %+v, database %q", h, h.DatabasePath())
	}
}

func TestHomeHoldsEverything(t *testing.T) {
	dir := t.TempDir()
	h := Home{Dir: dir}
	d := h.Dirs()
	if d.Config != dir || d.Data != dir || d.State != dir || d.Logs != filepath.Join(dir, "logs") {
		t.Errorf("dirs %+v: want all in %s, logs in its logs folder", d, dir)
	}
	if h.DatabasePath() != filepath.Join(dir, "calwatch.db") || h.StatePath() != filepath.Join(dir, "listen.json") {
		t.Errorf("database %q, state %q", h.DatabasePath(), h.StatePath())
	}
}

func TestXDGLocationsWithoutHome(t *testing.T) {
	base := t.TempDir()
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"} {
		t.Setenv(v, filepath.Join(base, v))
	}
	xdg.Reload()
	t.Cleanup(xdg.Reload)
	d := Home{}.Dirs()
	want := Dirs{
		Config: filepath.Join(base, "XDG_CONFIG_HOME", "calwatch"),
		Data:   filepath.Join(base, "XDG_DATA_HOME", "calwatch"),
		State:  filepath.Join(base, "XDG_STATE_HOME", "calwatch"),
		Logs:   filepath.Join(base, "XDG_STATE_HOME", "calwatch", "logs"),
	}
	if d != want {
		t.Errorf("dirs %+v, want %+v", d, want)
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode() & (os.ModePerm | os.ModeSticky)
}

// TestEnsureDirLeavesAFolderTheUserNamedAlone: `--home .` or `--home /tmp`
// must not chmod the user's folder (as root, /tmp would become 0700).
func TestEnsureDirLeavesAFolderTheUserNamedAlone(t *testing.T) {
	shared := t.TempDir()
	if err := os.Chmod(shared, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	for _, h := range []Home{{Dir: shared}, {DBFile: filepath.Join(shared, "x.db")}} {
		if err := h.EnsureDatabaseDir(); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, shared); got != os.ModeSticky|0o777 {
			t.Errorf("%+v changed the folder's mode from 1777 to %v", h, got)
		}
	}
}

func TestEnsureDirCreatesMissingFoldersPrivate(t *testing.T) {
	base := t.TempDir()
	home := filepath.Join(base, "new", "home")
	h := Home{Dir: home}
	for _, dir := range []string{home, h.Dirs().Logs} {
		if err := h.EnsureDir(dir); err != nil {
			t.Fatal(err)
		}
		if got := mode(t, dir); got != 0o700 {
			t.Errorf("created %s with mode %v, want 0700", dir, got)
		}
	}
}

func TestEnsureDirTightensCalwatchsOwnFolder(t *testing.T) {
	home := t.TempDir()
	logs := filepath.Join(home, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := (Home{Dir: home}).EnsureDir(logs); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, logs); got != 0o700 {
		t.Errorf("calwatch's own folder left at %v, want 0700", got)
	}
}
