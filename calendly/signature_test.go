package calendly

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignThenVerify(t *testing.T) {
	key := []byte("whsec-test-key")
	body := []byte(`{"event":"invitee.created","payload":{"name":"Zoë \u00e9"}}`)
	now := time.Unix(1_750_000_000, 0)
	header := Sign(key, now, body)
	if !strings.HasPrefix(header, "t=1750000000,v1=") || len(header) != len("t=1750000000,v1=")+64 {
		t.Fatalf("Sign = %q, want t=<unix>,v1=<64 hex>", header)
	}
	p, err := Verify(header, body, key, now.Add(time.Minute), 0)
	if err != nil {
		t.Fatalf("Verify(own signature) = %v", err)
	}
	if !p.Timestamp.Equal(now) {
		t.Errorf("timestamp = %v, want %v", p.Timestamp, now)
	}
	if p.ReplayKey() != "1750000000."+strings.TrimPrefix(header, "t=1750000000,v1=") {
		t.Errorf("ReplayKey = %q does not name t and the matched v1", p.ReplayKey())
	}
}

// A vector computed independently of this code:
// printf '1492774577.{"a":1}' | openssl dgst -sha256 -hmac key
func TestSignKnownVector(t *testing.T) {
	const want = "t=1492774577,v1=b47ff869cac67fa42e024f96a1ad404e1177fcf4e269d3a187ec6fac93f041ae"
	if got := Sign([]byte("key"), time.Unix(1492774577, 0), []byte(`{"a":1}`)); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
	if _, err := Verify(want, []byte(`{"a":1}`), []byte("key"), time.Unix(1492774600, 0), 0); err != nil {
		t.Fatalf("Verify(openssl vector) = %v", err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	key := []byte("k1")
	body := []byte(`{"event":"invitee.created"}`)
	now := time.Unix(1_750_000_000, 0)
	good := Sign(key, now, body)
	goodMAC := strings.TrimPrefix(good, fmt.Sprintf("t=%d,v1=", now.Unix()))
	other := strings.TrimPrefix(Sign([]byte("k2"), now, body), fmt.Sprintf("t=%d,", now.Unix()))

	tests := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		want   error
	}{
		{"empty header", "", body, now, ErrSignatureMissing},
		{"blank header", "   ", body, now, ErrSignatureMissing},
		{"no t", "v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"no v1", "t=1750000000", body, now, ErrSignatureMalformed},
		{"t not a number", "t=yesterday,v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"negative t", "t=-5,v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"t with a plus sign", "t=+1750000000,v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"t with leading zeros", "t=0001750000000,v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"t with one leading zero", "t=01750000000,v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"t with underscores", "t=1_750_000_000,v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"t empty", "t=,v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"t too long", "t=" + strings.Repeat("9", 13) + ",v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"t in exponent form", "t=1.75e9,v1=" + goodMAC, body, now, ErrSignatureMalformed},
		{"two t", good + ",t=1750000000", body, now, ErrSignatureMalformed},
		{"v1 not hex", "t=1750000000,v1=zz" + goodMAC[2:], body, now, ErrSignatureMalformed},
		{"v1 too short", "t=1750000000,v1=" + goodMAC[:40], body, now, ErrSignatureMalformed},
		{"part without =", good + ",garbage", body, now, ErrSignatureMalformed},
		{"too long", good + strings.Repeat(",x=y", 2000), body, now, ErrSignatureMalformed},
		{"wrong key", "t=1750000000," + other, body, now, ErrSignatureMismatch},
		{"body changed", good, []byte(`{"event":"invitee.canceled"}`), now, ErrSignatureMismatch},
		{"body re-serialised", good, []byte(`{"event": "invitee.created"}`), now, ErrSignatureMismatch},
		{"timestamp changed", strings.Replace(good, "t=1750000000", "t=1750000001", 1), body, now, ErrSignatureMismatch},
		{"too old", good, body, now.Add(181 * time.Second), ErrSignatureStale},
		{"from the future", good, body, now.Add(-181 * time.Second), ErrSignatureStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.header, tt.body, key, tt.now, 0)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			var sigErr *SignatureError
			if !errors.As(err, &sigErr) {
				t.Fatalf("error %T is not a *SignatureError", err)
			}
			if strings.Contains(err.Error(), "k1") || strings.Contains(err.Error(), goodMAC) {
				t.Errorf("error %q reveals the key or the expected MAC", err)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	key := []byte("k1")
	body := []byte(`{}`)
	now := time.Unix(1_750_000_000, 0)
	good := Sign(key, now, body)
	mac := strings.TrimPrefix(good, "t=1750000000,")
	wrong := strings.TrimPrefix(Sign([]byte("old"), now, body), "t=1750000000,")
	tests := []struct {
		name   string
		header string
		now    time.Time
	}{
		{"exact", good, now},
		{"at the tolerance edge", good, now.Add(180 * time.Second)},
		{"clock behind by the tolerance", good, now.Add(-180 * time.Second)},
		{"several v1, second matches", "t=1750000000," + wrong + "," + mac, now},
		{"unknown parts ignored", "t=1750000000,v0=abc," + mac + ",scheme=x", now},
		{"spaces around parts", " t=1750000000 , " + mac + " ", now},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Verify(tt.header, body, key, tt.now, 0)
			if err != nil {
				t.Fatalf("Verify = %v", err)
			}
			if p.ReplayKey() != "1750000000."+strings.TrimPrefix(mac, "v1=") {
				t.Errorf("ReplayKey = %q, want the matched v1", p.ReplayKey())
			}
		})
	}
}

func TestVerifyCustomTolerance(t *testing.T) {
	key, body, now := []byte("k"), []byte("{}"), time.Unix(1_750_000_000, 0)
	h := Sign(key, now, body)
	if _, err := Verify(h, body, key, now.Add(10*time.Minute), 15*time.Minute); err != nil {
		t.Errorf("15m tolerance refused a 10m old signature: %v", err)
	}
	if _, err := Verify(h, body, key, now.Add(10*time.Second), 5*time.Second); !errors.Is(err, ErrSignatureStale) {
		t.Errorf("5s tolerance accepted a 10s old signature: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	key := []byte("fuzz-key")
	now := time.Unix(1_750_000_000, 0)
	f.Add(Sign(key, now, []byte("{}")), []byte("{}"))
	f.Add("t=1,v1=00", []byte("x"))
	f.Add("t=1750000000,v1=,v1=", []byte(""))
	f.Add(",,,=,", []byte("{}"))
	f.Add(strings.Replace(Sign(key, now, []byte("{}")), "t=", "t=+", 1), []byte("{}"))
	f.Add(strings.Replace(Sign(key, now, []byte("{}")), "t=", "t=000", 1), []byte("{}"))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		p, err := Verify(header, body, key, now, 0)
		if err != nil {
			if !errors.Is(err, ErrSignatureMissing) && !errors.Is(err, ErrSignatureMalformed) &&
				!errors.Is(err, ErrSignatureMismatch) && !errors.Is(err, ErrSignatureStale) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Accepted: the matched MAC is exactly ours for this body and t, and t is fresh.
		want := Sign(key, p.Timestamp, body)
		if !strings.HasSuffix(want, ",v1="+hex.EncodeToString(p.Matched)) {
			t.Fatalf("accepted %q over %q without our MAC", header, body)
		}
		// ...and the header spelled t exactly as Sign does: no other
		// spelling of the same second verifies.
		canonical := "t=" + strconv.FormatInt(p.Timestamp.Unix(), 10)
		if !containsTrimmed(header, canonical) {
			t.Fatalf("accepted %q whose t is not written %q", header, canonical)
		}
		if d := now.Sub(p.Timestamp); d > DefaultTolerance || d < -DefaultTolerance {
			t.Fatalf("accepted a stale timestamp %v", p.Timestamp)
		}
	})
}

// containsTrimmed says whether one comma-separated part of header, trimmed
// of spaces as ParseSignature trims it, is part.
func containsTrimmed(header, part string) bool {
	for p := range strings.SplitSeq(header, ",") {
		if strings.TrimSpace(p) == part {
			return true
		}
	}
	return false
}
