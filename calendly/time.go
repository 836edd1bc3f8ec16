package calendly

import (
	"bytes"
	"fmt"
	"time"
)

// TimeLayout is how Calendly writes instants: RFC 3339 in UTC with microseconds.
const TimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// Time is an instant as Calendly writes it. It reads any RFC 3339 time (and
// null, as the zero time) and writes UTC with six fractional digits, so values
// the emulator serves look exactly like Calendly's.
type Time struct{ time.Time }

// NewTime wraps t, truncated to the microsecond as Calendly stores it.
func NewTime(t time.Time) Time { return Time{t.UTC().Truncate(time.Microsecond)} }

// MarshalJSON writes the time in Calendly's layout, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON reads an RFC 3339 string or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		t.Time = time.Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("calendly: time must be an RFC 3339 string, got %.40s", b)
	}
	parsed, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return fmt.Errorf("calendly: time %.40s is not RFC 3339", b)
	}
	t.Time = parsed.UTC()
	return nil
}

// String is the Calendly layout, or "" for the zero time.
func (t Time) String() string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeLayout)
}
