package calendly

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header Calendly signs every delivery with.
const SignatureHeader = "Calendly-Webhook-Signature"

// DefaultTolerance is how far a signature's timestamp may be from now.
const DefaultTolerance = 180 * time.Second

// maxSignatureHeader bounds the header we are willing to parse.
const maxSignatureHeader = 4096

// maxTimestampDigits bounds t: unix seconds fit in 11 digits until the
// year 5138, so 12 leaves room and refuses nothing Calendly sends.
const maxTimestampDigits = 12

// Sign returns the Calendly-Webhook-Signature value for body signed with key
// at t: "t=<unix seconds>,v1=<hex HMAC-SHA256(key, t + "." + body)>".
func Sign(key []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signatureMAC(key, ts, body))
}

func signatureMAC(key []byte, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// Why a signature was refused. Every error Verify returns wraps exactly one
// of these, so callers can tell the cases apart with errors.Is.
var (
	ErrSignatureMissing   = errors.New("signature header is missing")
	ErrSignatureMalformed = errors.New("signature header is malformed")
	ErrSignatureMismatch  = errors.New("signature does not match the body")
	ErrSignatureStale     = errors.New("signature timestamp is outside the tolerance")
)

// SignatureError says why a delivery's signature was refused. It never
// contains the key or the expected MAC.
type SignatureError struct {
	Err    error  // one of the ErrSignature* values
	Detail string // what exactly was wrong, safe to show
}

func (e *SignatureError) Error() string {
	if e.Detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Detail
}

func (e *SignatureError) Unwrap() error { return e.Err }

func sigErr(err error, format string, args ...any) *SignatureError {
	return &SignatureError{Err: err, Detail: fmt.Sprintf(format, args...)}
}

// ParsedSignature is a Calendly-Webhook-Signature header taken apart.
type ParsedSignature struct {
	Timestamp time.Time
	V1        [][]byte // every v1 MAC, decoded
	Matched   []byte   // after Verify: the v1 MAC that matched
	// timestampText is t exactly as the header wrote it: what the MAC
	// covers.
	timestampText string
}

// ReplayKey identifies one signed delivery: its timestamp and the v1 MAC
// that matched. Calendly's retries are signed anew; an exact repeat is not.
func (p ParsedSignature) ReplayKey() string {
	return strconv.FormatInt(p.Timestamp.Unix(), 10) + "." + hex.EncodeToString(p.Matched)
}

// ParseSignature reads "t=<unix>,v1=<hex>[,v1=<hex>…]". Unknown key=value
// parts are ignored; anything else is refused with a *SignatureError.
func ParseSignature(header string) (ParsedSignature, error) {
	var p ParsedSignature
	header = strings.TrimSpace(header)
	if header == "" {
		return p, &SignatureError{Err: ErrSignatureMissing}
	}
	if len(header) > maxSignatureHeader {
		return p, sigErr(ErrSignatureMalformed, "header is longer than %d bytes", maxSignatureHeader)
	}
	haveT := false
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" {
			return p, sigErr(ErrSignatureMalformed, "part %q is not key=value", truncate(part, 20))
		}
		switch k {
		case "t":
			if haveT {
				return p, sigErr(ErrSignatureMalformed, "more than one t=")
			}
			secs, ok := parseCanonicalSeconds(v)
			if !ok {
				return p, sigErr(ErrSignatureMalformed, "t=%q is not unix seconds in plain decimal (no sign, no leading zeros, at most %d digits)", truncate(v, 20), maxTimestampDigits)
			}
			p.Timestamp, p.timestampText, haveT = time.Unix(secs, 0), v, true
		case "v1":
			mac, err := hex.DecodeString(v)
			if err != nil || len(mac) != sha256.Size {
				return p, sigErr(ErrSignatureMalformed, "v1 is not a 64-digit hex HMAC-SHA256")
			}
			p.V1 = append(p.V1, mac)
		}
	}
	if !haveT {
		return p, sigErr(ErrSignatureMalformed, "no t= timestamp")
	}
	if len(p.V1) == 0 {
		return p, sigErr(ErrSignatureMalformed, "no v1= signature")
	}
	return p, nil
}

// Verify checks header against the raw body: the header parses, one of its
// v1 MACs equals HMAC-SHA256(key, t + "." + body) (compared in constant
// time), and |now − t| ≤ tolerance. A tolerance ≤ 0 means DefaultTolerance.
// It returns the parsed header so callers can deduplicate on (t, v1).
func Verify(header string, body, key []byte, now time.Time, tolerance time.Duration) (ParsedSignature, error) {
	p, err := ParseSignature(header)
	if err != nil {
		return p, err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	want := signatureMAC(key, p.timestampText, body)
	for _, got := range p.V1 {
		if hmac.Equal(got, want) {
			p.Matched = got
		}
	}
	if p.Matched == nil {
		return p, &SignatureError{Err: ErrSignatureMismatch}
	}
	if skew := now.Sub(p.Timestamp); skew > tolerance || skew < -tolerance {
		return p, sigErr(ErrSignatureStale, "timestamp is %s from now, tolerance %s", skew.Round(time.Second), tolerance)
	}
	return p, nil
}

// parseCanonicalSeconds reads t the one way Calendly writes it: decimal
// digits, no sign, no leading zero, bounded length. Any other spelling of
// the same number ("+1750000000", "01750000000") is refused, so a MAC
// never covers text other than what was parsed.
func parseCanonicalSeconds(v string) (int64, bool) {
	if v == "" || len(v) > maxTimestampDigits || (v[0] == '0' && len(v) > 1) {
		return 0, false
	}
	var secs int64
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		secs = secs*10 + int64(c-'0')
	}
	return secs, true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
