package storage

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// sealVersion is the first byte of every sealed value: AES-256-GCM with a
// 96-bit random nonce, the version byte and the identity as associated data.
const sealVersion byte = 1

// SealKeySize is the length of a data key: AES-256.
const SealKeySize = 32

// ErrCannotOpen means a sealed value did not open: the data key changed
// (deleted from the keyring, another machine), the value was damaged, or it
// was moved to a row whose identity it was not sealed for.
var ErrCannotOpen = errors.New("storage: a stored secret does not open with this data key; run calwatch login again")

// Sealer encrypts secrets before they reach the database. It is safe for
// concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer makes a Sealer from a 32-byte data key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("storage: the data key must be %d bytes, got %d", SealKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("storage: the data key is unusable: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("storage: the data key is unusable: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// String and GoString keep the key out of anything printed.
func (s *Sealer) String() string   { return "storage.Sealer" }
func (s *Sealer) GoString() string { return s.String() }

// Seal encrypts plaintext for the row named by identity (for example
// "integration/access_token" or "subscription/<uri>/signing_key"): the
// result opens only with the same key and the same identity.
func (s *Sealer) Seal(plaintext []byte, identity string) ([]byte, error) {
	if identity == "" {
		return nil, errors.New("storage: sealing needs the identity of the row it is for")
	}
	nonceSize := s.aead.NonceSize()
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("storage: no randomness for a nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:], plaintext, associatedData(identity)), nil
}

// Open decrypts what Seal made for identity. Anything else (another key,
// another identity, a changed byte, an unknown version) is ErrCannotOpen.
func (s *Sealer) Open(sealed []byte, identity string) ([]byte, error) {
	nonceSize := s.aead.NonceSize()
	if len(sealed) < 1+nonceSize+s.aead.Overhead() {
		return nil, fmt.Errorf("%w (the value is %d bytes, too short to be sealed)", ErrCannotOpen, len(sealed))
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w (it was sealed by format %d; this calwatch knows %d)", ErrCannotOpen, sealed[0], sealVersion)
	}
	plain, err := s.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], associatedData(identity))
	if err != nil {
		return nil, ErrCannotOpen
	}
	return plain, nil
}

// associatedData binds the version and the identity to the ciphertext.
func associatedData(identity string) []byte {
	return append([]byte{sealVersion}, identity...)
}
