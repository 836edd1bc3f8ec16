package storage

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func testSealer(t testing.TB, fill byte) *Sealer {
	t.Helper()
	s, err := NewSealer(bytes.Repeat([]byte{fill}, SealKeySize))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpensOnlyWithTheSameKeyAndIdentity(t *testing.T) {
	s := testSealer(t, 1)
	secret := []byte("refresh-token-that-must-stay-secret")
	sealed, err := s.Seal(secret, "integration/refresh_token")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed value contains the plaintext")
	}
	got, err := s.Open(sealed, "integration/refresh_token")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want the secret back", got, err)
	}
	if _, err := s.Open(sealed, "integration/access_token"); !errors.Is(err, ErrCannotOpen) {
		t.Errorf("moved to another row: err = %v, want ErrCannotOpen", err)
	}
	if _, err := testSealer(t, 2).Open(sealed, "integration/refresh_token"); !errors.Is(err, ErrCannotOpen) {
		t.Errorf("another key: err = %v, want ErrCannotOpen", err)
	}
	for i := range sealed {
		bent := bytes.Clone(sealed)
		bent[i] ^= 0x40
		if _, err := s.Open(bent, "integration/refresh_token"); !errors.Is(err, ErrCannotOpen) {
			t.Fatalf("byte %d changed: err = %v, want ErrCannotOpen", i, err)
		}
	}
}

func TestSealUsesAFreshNoncePerValue(t *testing.T) {
	s := testSealer(t, 1)
	a, _ := s.Seal([]byte("same"), "x")
	b, _ := s.Seal([]byte("same"), "x")
	if bytes.Equal(a, b) {
		t.Error("sealing the same value twice gave the same bytes: the nonce is not random")
	}
	if a[0] != sealVersion || b[0] != sealVersion {
		t.Errorf("version bytes %d, %d; want %d", a[0], b[0], sealVersion)
	}
}

func TestSealerRefusesBadKeysAndNoIdentity(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := NewSealer(make([]byte, n)); err == nil {
			t.Errorf("a %d-byte key was accepted", n)
		}
	}
	if _, err := testSealer(t, 1).Seal([]byte("x"), ""); err == nil {
		t.Error("sealed without an identity")
	}
	if s := fmt.Sprintf("%v %+v %#v", testSealer(t, 7), testSealer(t, 7), testSealer(t, 7)); bytes.Contains([]byte(s), bytes.Repeat([]byte{7}, 4)) {
		t.Errorf("printing a Sealer shows its key: %q", s)
	}
}

// FuzzSealOpen: whatever bytes are in a secret column, Open never panics
// and opens only what was sealed for that identity.
func FuzzSealOpen(f *testing.F) {
	s := testSealer(f, 3)
	good, _ := s.Seal([]byte("token"), "integration/access_token")
	f.Add(good, "integration/access_token")
	f.Add(good[:len(good)-1], "integration/access_token")
	f.Add([]byte{}, "x")
	f.Add([]byte{2, 0, 0}, "x")
	f.Fuzz(func(t *testing.T, sealed []byte, identity string) {
		plain, err := s.Open(sealed, identity)
		if err == nil && (identity != "integration/access_token" || string(plain) != "token") {
			t.Fatalf("opened %x for %q as %q", sealed, identity, plain)
		}
		if err != nil && !errors.Is(err, ErrCannotOpen) {
			t.Fatalf("error %v is not ErrCannotOpen", err)
		}
	})
}
