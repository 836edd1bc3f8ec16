package account

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/calwatch/calwatch/storage"
)

// maxKeyFileBytes bounds what is read from a key file: the key is 44
// base64 characters and a newline.
const maxKeyFileBytes = 256

// parseKey reads a data key: one line of standard base64 for exactly 32
// bytes, with at most a trailing newline.
func parseKey(b []byte) ([]byte, error) {
	line := bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	if len(line) == 0 {
		return nil, errors.New("it is empty")
	}
	// The decoder skips line breaks inside its input: refuse them here, so
	// only one line of base64 is ever a key.
	if bytes.ContainsAny(line, "\r\n") {
		return nil, errors.New("it is not one line of base64")
	}
	key := make([]byte, base64.StdEncoding.DecodedLen(len(line)))
	n, err := base64.StdEncoding.Strict().Decode(key, line)
	if err != nil {
		return nil, errors.New("it is not one line of base64")
	}
	if n != storage.SealKeySize {
		return nil, fmt.Errorf("it holds %d bytes, not %d", n, storage.SealKeySize)
	}
	return key[:n], nil
}

// readKeyFile reads the key file at path, making it private again if
// something loosened its mode. A missing file is fs.ErrNotExist.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("cannot read the data key file %s: %w", path, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(path, 0o600); err != nil {
			return nil, fmt.Errorf("the data key file %s is readable by others and cannot be made private: %w", path, err)
		}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the data key file %s: %w", path, err)
	}
	if len(b) > maxKeyFileBytes {
		return nil, fmt.Errorf("the data key file %s is larger than a key; delete it and log in again", path)
	}
	key, err := parseKey(b)
	if err != nil {
		return nil, fmt.Errorf("the data key file %s is damaged (%v); delete it and log in again", path, err)
	}
	return key, nil
}

// writeKeyFile stores key in a new 0600 file at path, whole or not at all.
// If another calwatch made the file first, its key is returned instead.
func writeKeyFile(path string, key []byte) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create %s for the data key: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".data.key.*")
	if err != nil {
		return nil, fmt.Errorf("cannot write the data key file in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot write the data key file %s: %w", path, err)
	}
	return key, nil
}
