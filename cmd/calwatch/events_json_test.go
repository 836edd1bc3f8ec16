package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// encodeBothWays writes events through jsonArrayWriter or jsonLinesWriter
// twice: as encoding/json sees them (the old way) and as eventJSON writes
// them.
func encodeBothWays(t testing.TB, events []storage.EventView, lines bool) (old, own []byte, oldErr, ownErr error) {
	t.Helper()
	write := func(wrap func(*storage.EventView) any) ([]byte, error) {
		var out bytes.Buffer
		var list interface {
			add(any) error
			close() error
		}
		if lines {
			list = newJSONLinesWriter(&out)
		} else {
			list = newJSONArrayWriter(&out)
		}
		for i := range events {
			if err := list.add(wrap(&events[i])); err != nil {
				return nil, err
			}
		}
		return out.Bytes(), list.close()
	}
	old, oldErr = write(func(e *storage.EventView) any { return *e })
	own, ownErr = write(func(e *storage.EventView) any { return eventJSON{e} })
	return old, own, oldErr, ownErr
}

// recordRealistic stores n loadgen.Realistic deliveries (bookings,
// cancellations, reschedules, no-shows; guests, answers, every location
// kind) through storage's write path.
func recordRealistic(t *testing.T, db string, n int) {
	t.Helper()
	ctx := context.Background()
	store, err := storage.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	key := []byte("realistic-signing-key")
	at := time.Now().UTC()
	for _, d := range loadgen.Realistic("eventsjson", n) {
		header := calendly.Sign(key, at, d.Body)
		sig, err := calendly.Verify(header, d.Body, key, at, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := calendly.ParseDelivery(d.Body)
		if err != nil {
			t.Fatal(err)
		}
		in := storage.IncomingDelivery{ReceivedAt: at, SignatureHeader: header, ReplayKey: sig.ReplayKey(), Body: d.Body, Parsed: parsed}
		if _, err := store.RecordDelivery(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
}

func readEvents(t *testing.T, db string) []storage.EventView {
	t.Helper()
	store, err := storage.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var events []storage.EventView
	for e, err := range store.Events(context.Background(), storage.EventFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	return events
}

// TestEventJSONMatchesEncodingJSONOverStores: `events list --json` and
// `--jsonl` print, byte for byte, what they printed through encoding/json,
// over the CLI's fixture store and a store of realistic deliveries.
func TestEventJSONMatchesEncodingJSONOverStores(t *testing.T) {
	realistic := filepath.Join(t.TempDir(), "realistic.db")
	recordRealistic(t, realistic, 600)
	for name, events := range map[string][]storage.EventView{
		"fixture":   readEvents(t, newBookings(t).db),
		"realistic": readEvents(t, realistic),
	} {
		if len(events) < 3 {
			t.Fatalf("%s: only %d events stored", name, len(events))
		}
		var canceled, located, answered bool
		for _, e := range events {
			canceled = canceled || e.Cancellation != nil
			located = located || e.Location != nil
			for _, inv := range e.Invitees {
				answered = answered || len(inv.QuestionsAndAnswers) > 0
			}
		}
		if !canceled || !located || !answered {
			t.Fatalf("%s: the store lacks a cancellation (%v), a location (%v) or answers (%v)", name, canceled, located, answered)
		}
		for _, lines := range []bool{false, true} {
			old, own, oldErr, ownErr := encodeBothWays(t, events, lines)
			if oldErr != nil || ownErr != nil {
				t.Fatalf("%s (lines %v): errors %v / %v", name, lines, oldErr, ownErr)
			}
			if !bytes.Equal(old, own) {
				at := firstDifference(old, own)
				t.Errorf("%s (lines %v): output differs at byte %d:\nencoding/json: %q\neventJSON:     %q", name, lines, at,
					old[max(0, at-80):min(len(old), at+80)], own[max(0, at-80):min(len(own), at+80)])
			}
		}
	}
}

func firstDifference(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// FuzzEventJSON: for any text in an event's fields (control characters,
// invalid UTF-8, C1 controls, bidirectional overrides, U+2028), any
// location data and any times, eventJSON writes what encoding/json and
// escapeSteering write, pretty and compact, and refuses what they refuse.
func FuzzEventJSON(f *testing.F) {
	f.Add("Zoë \"Z\" <Müller> & co", "zoe@example.com", "line\nbreak\t\x00\x1f\x7f", []byte(`{"a": [1, {"b": "\u00e9"}], "c": {}}`), int64(1781000000), int64(123456000), true)
	f.Add("\x1b]52;c;aGk=\x07", "bad\xffutf8\xc2", "\u202e\u2066\u0085\u2028\u2029", []byte(`[]`), int64(-62135596800), int64(0), false)
	f.Add("", "", "", []byte(`not json`), int64(253402300800), int64(1), true)
	f.Add("x", "y", "z", []byte(" { \"k\" : \"\u009b\" } "), int64(0), int64(999999999), false)
	f.Fuzz(func(t *testing.T, name, email, text string, data []byte, sec, nsec int64, canceled bool) {
		start := time.Unix(sec, nsec).UTC()
		end := start.Add(30 * time.Minute)
		reason := text
		ev := storage.EventView{
			URI: "https://api.calendly.com/scheduled_events/" + email, Name: name, StartTime: &start, EndTime: &end, Status: text,
			Location: &calendly.Location{Type: name, Location: text, JoinURL: email, Data: json.RawMessage(data)},
			Hosts:    []storage.HostView{{Name: name, Email: email, URI: text}},
			Invitees: []storage.InviteeView{
				{URI: email, Name: name, Email: email, Status: text, Timezone: text, NoShow: canceled, RescheduledTo: &reason,
					QuestionsAndAnswers: []calendly.QuestionAnswer{{Question: name, Answer: text, Position: int(nsec % 1000)}}},
				{URI: text, QuestionsAndAnswers: []calendly.QuestionAnswer{}},
			},
			Guests: []storage.GuestView{},
		}
		if canceled {
			ev.Cancellation = &calendly.Cancellation{CanceledBy: name, Reason: &reason, CancelerType: text, CreatedAt: calendly.Time{Time: start}}
			ev.Hosts, ev.Guests, ev.Location = nil, []storage.GuestView{{Email: email}}, nil
		}
		events := []storage.EventView{ev, {URI: name}}
		for _, lines := range []bool{false, true} {
			old, own, oldErr, ownErr := encodeBothWays(t, events, lines)
			if (oldErr != nil) != (ownErr != nil) {
				t.Fatalf("lines %v: encoding/json error %v, eventJSON error %v", lines, oldErr, ownErr)
			}
			if oldErr == nil && !bytes.Equal(old, own) {
				t.Fatalf("lines %v:\nencoding/json %q\neventJSON     %q", lines, old, own)
			}
		}
	})
}
