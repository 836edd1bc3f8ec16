package listener

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// Keys are the signing keys a handler accepts. A session sets them as it
// subscribes (a personal-access-token subscription gets a fresh key of its
// own; a new tunnel URL, a new subscription and key), while the handler
// serves; a key given on the command line stays accepted throughout.
type Keys struct {
	mu      sync.Mutex
	kept    [][]byte                 // always accepted (--signing-key)
	session [][]byte                 // what the session set last
	loaded  atomic.Pointer[[][]byte] // kept and session, read per request
}

// NewKeys returns a key set accepting keys.
func NewKeys(keys ...[]byte) *Keys {
	k := &Keys{}
	k.Set(keys...)
	return k
}

// Set replaces the keys a session set (not the kept ones).
func (k *Keys) Set(keys ...[]byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.session = k.session[:0]
	for _, key := range keys {
		if len(key) > 0 {
			k.session = append(k.session, slices.Clone(key))
		}
	}
	k.publish()
}

// Add accepts key too, beside the keys set before, until the next Set:
// the key of a subscription being created, whose first delivery may come
// before the session confirms it.
func (k *Keys) Add(key []byte) {
	if len(key) == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.session = append(k.session, slices.Clone(key))
	k.publish()
}

// keep adds a key that Set never removes.
func (k *Keys) keep(key []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.kept = append(k.kept, slices.Clone(key))
	k.publish()
}

// publish makes kept and session what requests verify against; k.mu is held.
func (k *Keys) publish() {
	all := slices.Clone(k.kept)
	for _, key := range k.session {
		if !slices.ContainsFunc(all, func(have []byte) bool { return string(have) == string(key) }) {
			all = append(all, key)
		}
	}
	k.loaded.Store(&all)
}

// Current are the keys accepted now.
func (k *Keys) Current() [][]byte {
	if p := k.loaded.Load(); p != nil {
		return *p
	}
	return nil
}

// verifyAny verifies header against each key in turn; the first refusal
// is the one reported when none matches.
func verifyAny(header string, body []byte, keys [][]byte, now time.Time, tolerance time.Duration) (calendly.ParsedSignature, error) {
	var first error
	for _, key := range keys {
		sig, err := calendly.Verify(header, body, key, now, tolerance)
		if err == nil {
			return sig, nil
		}
		if first == nil {
			first = err
		}
	}
	return calendly.ParsedSignature{}, first
}
