package listener

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// TestKeysChangeWhileServing: a handler over Keys answers 503 until it
// knows a key, then accepts what each key set signs; a key given on the
// command line stays accepted when the session's key changes.
func TestKeysChangeWhileServing(t *testing.T) {
	store := newFakeStore()
	keys := NewKeys()
	h, err := NewHandler(Config{Keys: keys, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile("testdata/invitee_created.json")
	if err != nil {
		t.Fatal(err)
	}
	post := func(key string) int {
		req := httptest.NewRequest(http.MethodPost, DefaultPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(calendly.SignatureHeader, calendly.Sign([]byte(key), time.Now(), body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := post("first-subscription-key"); code != http.StatusServiceUnavailable {
		t.Fatalf("before any key: %d, want 503 (Calendly retries)", code)
	}
	keys.Set([]byte("first-subscription-key"))
	if code := post("first-subscription-key"); code != http.StatusOK {
		t.Errorf("with the key set: %d, want it verified", code)
	}
	keys.Set([]byte("second-subscription-key"))
	if code := post("first-subscription-key"); code != http.StatusUnauthorized {
		t.Errorf("a replaced key: %d, want 401", code)
	}
	// A subscription being created: its key is accepted beside the one in
	// use until the session sets the keys again.
	keys.Add([]byte("pending-key"))
	for _, key := range []string{"second-subscription-key", "pending-key"} {
		if code := post(key); code != http.StatusOK {
			t.Errorf("after Add, %s: %d, want it verified", key, code)
		}
	}
	keys.Set([]byte("second-subscription-key"))
	if code := post("pending-key"); code != http.StatusUnauthorized {
		t.Errorf("an added key after the next Set: %d, want 401", code)
	}

	kept := NewKeys()
	h, err = NewHandler(Config{SigningKey: []byte("command-line-key"), Keys: kept, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	kept.Set([]byte("session-key"))
	for _, key := range []string{"command-line-key", "session-key"} {
		if code := post(key); code != http.StatusOK {
			t.Errorf("%s: %d, want it verified", key, code)
		}
	}
}
