package calendly

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeWritesCalendlyLayout(t *testing.T) {
	in := time.Date(2026, 6, 10, 8, 30, 0, 123456789, time.FixedZone("CEST", 2*3600))
	b, err := json.Marshal(NewTime(in))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `"2026-06-10T06:30:00.123456Z"` {
		t.Errorf("marshal = %s, want UTC with microseconds", b)
	}
	if b, _ := json.Marshal(Time{}); string(b) != "null" {
		t.Errorf("zero time = %s, want null", b)
	}
}

func TestTimeReads(t *testing.T) {
	for in, want := range map[string]string{
		`"2026-06-10T06:30:00.000000Z"`: "2026-06-10T06:30:00.000000Z",
		`"2022-05-15T03:04:05.678Z"`:    "2022-05-15T03:04:05.678000Z",
		`"2019-08-24T14:15:22Z"`:        "2019-08-24T14:15:22.000000Z",
		`"2026-01-01T01:00:00.5+01:00"`: "2026-01-01T00:00:00.500000Z",
		`null`:                          "",
	} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("unmarshal %s: %v", in, err)
			continue
		}
		if got.String() != want {
			t.Errorf("unmarshal %s = %q, want %q", in, got.String(), want)
		}
	}
	for _, bad := range []string{`"yesterday"`, `1750000000`, `"2026-13-01T00:00:00Z"`, `""`, `"2026-06-10"`} {
		var got Time
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("unmarshal %s accepted as %v", bad, got)
		}
	}
}

func FuzzTime(f *testing.F) {
	f.Add([]byte(`"2026-06-10T06:30:00.000000Z"`))
	f.Add([]byte(`null`))
	f.Add([]byte(`"2026-06-10T06:30:00.1234567+05:45"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var first Time
		if err := first.UnmarshalJSON(b); err != nil {
			return
		}
		out, err := first.MarshalJSON()
		if err != nil {
			t.Fatalf("cannot write back %v: %v", first, err)
		}
		var second Time
		if err := second.UnmarshalJSON(out); err != nil {
			t.Fatalf("cannot read back own output %s: %v", out, err)
		}
		if !second.Equal(first.Time.Truncate(time.Microsecond)) && !(first.IsZero() && second.IsZero()) {
			t.Fatalf("round trip %s → %s changed the instant", b, out)
		}
	})
}
