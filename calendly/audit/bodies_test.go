package audit

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

func decodeAny(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, b)
	}
	return v
}

// Every body but the oversized one holds Calendly's value in other bytes:
// that is what makes a re-serialising endpoint fail and a correct one pass.
func TestBodiesKeepTheValueButChangeTheBytes(t *testing.T) {
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	for _, kind := range []Body{BodyEscapedSlash, BodyPretty, BodyKeyOrder, BodySpaced} {
		base, _ := BuildBody(BodyCalendly, calendly.EventInviteeCreated, now, rand.New(rand.NewPCG(1, 2)))
		got, err := BuildBody(kind, calendly.EventInviteeCreated, now, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(base, got) {
			t.Errorf("%s: the bytes are Calendly's", kind)
		}
		if !reflect.DeepEqual(decodeAny(t, base), decodeAny(t, got)) {
			t.Errorf("%s: the value changed", kind)
		}
	}
	for kind, want := range map[Body]string{BodyHTMLEscapes: `\u003cLovelace\u003e \u0026 Co.`, BodyUnicodeEscape: `Zo\u00eb`, BodyFloatNumbers: `"amount":25.0`} {
		got, err := BuildBody(kind, calendly.EventInviteeCreated, now, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("%s: no %s in the body", kind, want)
		}
		if _, err := calendly.ParseDelivery(got); err != nil {
			t.Errorf("%s: calendly cannot read it: %v", kind, err)
		}
	}
}

func FuzzRewritesKeepTheValue(f *testing.F) {
	f.Add([]byte(`{"a":"x/y","b":[1,2.50,{"c":"Zoë 😀 <&>"}],"d":null,"e":true}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`"\ud83d\ude00"`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var want any
		if json.Unmarshal(in, &want) != nil {
			return
		}
		outs := [][]byte{EscapeNonASCII(in)}
		for _, s := range []Style{{KeysDescending: true}, {Spaced: true}} {
			out, err := Rewrite(in, s)
			if err != nil {
				t.Fatalf("Rewrite(%q, %+v): %v", in, s, err)
			}
			outs = append(outs, out)
		}
		for i, out := range outs {
			var got any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("rewrite %d of %q is not JSON: %v: %q", i, in, err, out)
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("rewrite %d of %q changed the value: %q", i, in, out)
			}
		}
	})
}
