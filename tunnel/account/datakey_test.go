package account

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"
)

// warnings collects what a KeyStore warns.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) add(msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msgs...)
}

// sealRoundTrip proves two KeyStores hold the same key.
func sealRoundTrip(t *testing.T, made, loaded *KeyStore) {
	t.Helper()
	ctx := context.Background()
	a, err := made.EnsureSealer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := a.Seal([]byte("secret"), "x")
	if err != nil {
		t.Fatal(err)
	}
	b, err := loaded.Sealer(ctx)
	if err != nil {
		t.Fatalf("loading the key made before: %v", err)
	}
	if got, err := b.Open(sealed, "x"); err != nil || string(got) != "secret" {
		t.Fatalf("the loaded key does not open what the made key sealed: %q, %v", got, err)
	}
}

func TestDataKeyLivesInTheKeyring(t *testing.T) {
	keyring.MockInit()
	dir := t.TempDir()
	var w warnings
	sealRoundTrip(t, &KeyStore{Dir: dir, Warn: w.add}, &KeyStore{Dir: dir, Warn: w.add})
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a key file was written although the keyring answered: %v", err)
	}
	if len(w.all()) != 0 {
		t.Errorf("warned with a working keyring: %q", w.all())
	}
	if _, err := (&KeyStore{Dir: t.TempDir()}).Sealer(context.Background()); !errors.Is(err, ErrNoDataKey) {
		t.Errorf("another home shares the key: err = %v, want ErrNoDataKey", err)
	}
	ks := &KeyStore{Dir: dir}
	if err := ks.Delete(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Sealer(context.Background()); !errors.Is(err, ErrNoDataKey) {
		t.Errorf("after Delete: err = %v, want ErrNoDataKey", err)
	}
}

// hangingKeyring never answers, like a D-Bus secret service that is not
// running.
type hangingKeyring struct{ release chan struct{} }

func (h hangingKeyring) Get(string, string) (string, error) {
	<-h.release
	return "", errors.New("late")
}
func (h hangingKeyring) Set(string, string, string) error { <-h.release; return errors.New("late") }
func (h hangingKeyring) Delete(string, string) error      { <-h.release; return errors.New("late") }

func TestDataKeyFallsBackToAFileWhenTheKeyringHangs(t *testing.T) {
	hang := hangingKeyring{release: make(chan struct{})}
	defer close(hang.release)
	dir := t.TempDir()
	var w warnings
	ks := &KeyStore{Dir: dir, Keyring: hang, Timeout: 50 * time.Millisecond, Warn: w.add}
	start := time.Now()
	sealRoundTrip(t, ks, &KeyStore{Dir: dir, Keyring: hang, Timeout: 50 * time.Millisecond})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v with a hung keyring; each call must be bounded", took)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v; want a 0600 file", err, info.Mode().Perm())
	}
	msgs := w.all()
	if len(msgs) != 1 || strings.Contains(msgs[0], "\n") || !strings.Contains(msgs[0], filepath.Join(dir, KeyFileName)) || !strings.Contains(msgs[0], "did not answer") {
		t.Errorf("warnings %q: want one line naming the file and why", msgs)
	}
}

func TestDataKeyFallsBackToAFileWhenTheKeyringFails(t *testing.T) {
	keyring.MockInitWithError(errors.New("org.freedesktop.secrets was not provided"))
	t.Cleanup(keyring.MockInit)
	dir := t.TempDir()
	var w warnings
	sealRoundTrip(t, &KeyStore{Dir: dir, Warn: w.add}, &KeyStore{Dir: dir})
	if msgs := w.all(); len(msgs) != 1 || !strings.Contains(msgs[0], "org.freedesktop.secrets") {
		t.Errorf("warnings %q: want the keyring's reason", msgs)
	}
}

// refusingKeyring fails the test when used.
type refusingKeyring struct{ t *testing.T }

func (r refusingKeyring) Get(string, string) (string, error) {
	r.t.Error("keyring used")
	return "", errors.New("no")
}
func (r refusingKeyring) Set(string, string, string) error {
	r.t.Error("keyring used")
	return errors.New("no")
}
func (r refusingKeyring) Delete(string, string) error {
	r.t.Error("keyring used")
	return errors.New("no")
}

func TestDataKeyFileModeNeverTouchesTheKeyring(t *testing.T) {
	dir := t.TempDir()
	ks := &KeyStore{Dir: dir, Mode: "file", Keyring: refusingKeyring{t}}
	sealRoundTrip(t, ks, &KeyStore{Dir: dir, Mode: "file", Keyring: refusingKeyring{t}})
	if err := ks.Delete(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key file left after Delete: %v", err)
	}
}

func TestKeyFileIsMadePrivateAndDamageIsExplained(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFileName)
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)) + "\n"
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readKeyFile(path); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v after reading; want 0600", info.Mode().Perm())
	}
	os.WriteFile(path, []byte("not a key\n"), 0o600)
	_, err := readKeyFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "log in again") || strings.Contains(err.Error(), "not a key") {
		t.Errorf("damaged file: %v; want the path and what to do, not the content", err)
	}
}

// FuzzParseKey: a key file's content is accepted only as one line of
// base64 for 32 bytes.
func FuzzParseKey(f *testing.F) {
	f.Add([]byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)) + "\n"))
	f.Add([]byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32)) + "\r\n"))
	f.Add([]byte(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 31))))
	f.Add([]byte(""))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		key, err := parseKey(b)
		if err != nil {
			return
		}
		if len(key) != 32 {
			t.Fatalf("accepted a %d-byte key from %q", len(key), b)
		}
		if again := base64.StdEncoding.EncodeToString(key); !bytes.HasPrefix(b, []byte(again)) || len(b) > len(again)+2 {
			t.Fatalf("accepted %q, which is not just the key %q", b, again)
		}
	})
}
