package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/calwatch/calwatch/storage"
)

// KeyFileName is the data key's file in the config dir, used where no OS
// keyring answers or CALWATCH_KEYRING=file asks for it.
const KeyFileName = "data.key"

// keyringService names calwatch's entries in the OS keyring.
const keyringService = "calwatch"

// defaultKeyringTimeout bounds each keyring call: a D-Bus secret service
// that is not running may never answer.
const defaultKeyringTimeout = 3 * time.Second

// ErrNoDataKey means no data key exists yet: nothing was ever sealed here
// (or logout deleted it).
var ErrNoDataKey = errors.New("no calwatch data key exists (run calwatch login)")

// errKeyringUnavailable marks a keyring that failed or did not answer.
var errKeyringUnavailable = errors.New("the OS keyring is unavailable")

// Keyring is the part of an OS keyring calwatch uses; OSKeyring is the real
// one, through github.com/zalando/go-keyring (whose keyring.MockInit tests
// use).
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// OSKeyring is the operating system's keyring (macOS Keychain, Windows
// Credential Manager, the Secret Service on Linux).
type OSKeyring struct{}

func (OSKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (OSKeyring) Set(service, user, secret string) error   { return keyring.Set(service, user, secret) }
func (OSKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// KeyStore finds, makes and deletes the data key that seals calwatch's
// secrets at rest: in the OS keyring, or a 0600 file in Dir when no keyring
// answers (with a warning) or Mode is "file".
type KeyStore struct {
	Dir     string        // the config dir; the key file lives here
	Mode    string        // "" (keyring first) or "file" (CALWATCH_KEYRING=file)
	Keyring Keyring       // nil: OSKeyring
	Timeout time.Duration // per keyring call; 0: 3 s
	Warn    func(string)  // one-line warnings; nil: dropped

	warnOnce sync.Once
}

// Sealer returns a Sealer with the existing data key, or ErrNoDataKey.
func (k *KeyStore) Sealer(ctx context.Context) (*storage.Sealer, error) {
	key, err := k.load(ctx)
	if err != nil {
		return nil, err
	}
	return storage.NewSealer(key)
}

// EnsureSealer returns a Sealer with the data key, making the key first if
// there is none or no keyring answers (at login, which seals everything
// anew).
func (k *KeyStore) EnsureSealer(ctx context.Context) (*storage.Sealer, error) {
	key, err := k.load(ctx)
	if errors.Is(err, ErrNoDataKey) || errors.Is(err, errKeyringUnavailable) {
		key, err = k.create(ctx)
	}
	if err != nil {
		return nil, err
	}
	return storage.NewSealer(key)
}

// Delete removes the data key from the keyring and the key file (logout).
// Whatever it sealed can no longer be opened.
func (k *KeyStore) Delete(ctx context.Context) error {
	var errs []error
	if err := os.Remove(k.file()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		errs = append(errs, fmt.Errorf("cannot delete the key file %s: %w", k.file(), err))
	}
	if k.Mode != "file" {
		err := k.call(ctx, func(kr Keyring) error { return kr.Delete(keyringService, k.user()) })
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			errs = append(errs, fmt.Errorf("cannot delete the data key from the OS keyring: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (k *KeyStore) file() string { return filepath.Join(k.Dir, KeyFileName) }

// user is the keyring entry's name: one key per calwatch home.
func (k *KeyStore) user() string {
	dir, err := filepath.Abs(k.Dir)
	if err != nil {
		dir = k.Dir
	}
	return "data-key:" + dir
}

// load prefers the key file when there is one (it was chosen when the key
// was made), then the keyring.
func (k *KeyStore) load(ctx context.Context) ([]byte, error) {
	key, err := readKeyFile(k.file())
	if err == nil {
		k.warn(fmt.Sprintf("warning: calwatch's data key is in the file %s, not an OS keyring; keep that file private", k.file()))
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if k.Mode == "file" {
		return nil, ErrNoDataKey
	}
	var encoded string
	err = k.call(ctx, func(kr Keyring) (err error) {
		encoded, err = kr.Get(keyringService, k.user())
		return err
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return nil, ErrNoDataKey
	}
	if err != nil {
		return nil, fmt.Errorf("%w: cannot read calwatch's data key from it (%w); unlock the keyring, or log in again with CALWATCH_KEYRING=file", errKeyringUnavailable, err)
	}
	key, err = parseKey([]byte(encoded))
	if err != nil {
		return nil, fmt.Errorf("the data key in the OS keyring is damaged (%w); run calwatch logout, then login", err)
	}
	return key, nil
}

// create makes a new key and keeps it in the keyring, or in the file when
// Mode is "file" or no keyring answers.
func (k *KeyStore) create(ctx context.Context) ([]byte, error) {
	key := make([]byte, storage.SealKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("no randomness for a data key: %w", err)
	}
	encoded := base64.StdEncoding.EncodeToString(key)
	if k.Mode != "file" {
		err := k.call(ctx, func(kr Keyring) error { return kr.Set(keyringService, k.user(), encoded) })
		if err == nil {
			return key, nil
		}
		k.warn(fmt.Sprintf("warning: no OS keyring answered (%v); calwatch's data key goes in the file %s (0600)", err, k.file()))
	}
	return writeKeyFile(k.file(), key)
}

// call runs one keyring call, giving up after the timeout. A call that
// never returns (a hung D-Bus) leaves its goroutine behind: there is no way
// to cancel it.
func (k *KeyStore) call(ctx context.Context, fn func(Keyring) error) error {
	kr := k.Keyring
	if kr == nil {
		kr = OSKeyring{}
	}
	timeout := k.Timeout
	if timeout <= 0 {
		timeout = defaultKeyringTimeout
	}
	done := make(chan error, 1)
	go func() { done <- fn(kr) }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("the OS keyring did not answer within %v", timeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (k *KeyStore) warn(msg string) {
	if k.Warn != nil {
		k.warnOnce.Do(func() { k.Warn(msg) })
	}
}
