package forward

import (
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func TestFreshTimeNeverRepeatsTheStoredSignaturesSecond(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC)
	stored := calendly.Sign(calendlyKey, t0, []byte("{}"))
	for _, c := range []struct {
		now, want time.Time
		header    string
	}{
		{t0.Add(500 * time.Millisecond), t0.Add(time.Second), stored}, // same second: the next one
		{t0.Add(-time.Minute), t0.Add(time.Second), stored},           // a clock behind the sender's
		{t0.Add(time.Minute), t0.Add(time.Minute), stored},            // later: now
		{t0, t0, ""},            // nothing to avoid
		{t0, t0, "t=abc,v1=zz"}, // unreadable: now
	} {
		if got := freshTime(c.now, c.header); !got.Equal(c.want) {
			t.Errorf("freshTime(%v, %q) = %v, want %v", c.now, c.header, got, c.want)
		}
	}
}
