package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

// storeKey signs the deliveries the read-back tests store.
const storeKey = "whsec_read-back-test-key"

// bookings is a small history, stored through the real storage path:
//
//	C  2026-06-05 10:00Z  Zoë booked, then marked a no-show
//	A  2026-06-15 09:00Z  Zoë booked, with a guest
//	B  2026-06-20 14:00Z  José booked, then canceled
//
// and one refused request, recorded last.
type bookings struct {
	db                  string
	eventA, eventB, evC string
	inviteeC            string
	sent                [][]byte // every accepted body, in order
	headers             []string // their signature headers
}

var (
	zoe  = calendlytest.Person{Name: "Zoë Müller", Email: "Zoe.Mueller@Example.com", Timezone: "Europe/Berlin"}
	jose = calendlytest.Person{Name: "José Álvarez", Email: "jose@example.org", Timezone: "America/Mexico_City"}
)

const guestEmail = "guest@example.net"

const refusedReason = "signature does not match the body"

func newBookings(t *testing.T) *bookings {
	t.Helper()
	rnd := rand.New(rand.NewPCG(11, 12))
	host := calendlytest.Host{URI: "https://api.calendly.com/users/" + calendlytest.RandomUUID(rnd), Name: "Acme Sales", Email: "sales@acme.example.com"}
	booked := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	a := calendlytest.SampleInvitee(rnd, booked, host, zoe, time.Date(2026, 6, 15, 9, 0, 0, 0, time.UTC))
	b := calendlytest.SampleInvitee(rnd, booked.Add(time.Hour), host, jose, time.Date(2026, 6, 20, 14, 0, 0, 0, time.UTC))
	c := calendlytest.SampleInvitee(rnd, booked.Add(2*time.Hour), host, zoe, time.Date(2026, 6, 5, 10, 0, 0, 0, time.UTC))
	for _, inv := range []*calendly.Invitee{a, b, c} {
		inv.ScheduledEvent.EventGuests = []calendly.Guest{}
	}
	a.ScheduledEvent.EventGuests = []calendly.Guest{{Email: guestEmail, CreatedAt: calendly.NewTime(booked), UpdatedAt: calendly.NewTime(booked)}}
	bk := &bookings{db: filepath.Join(t.TempDir(), "calwatch.db"), eventA: a.Event, eventB: b.Event, evC: c.Event, inviteeC: c.URI}

	cancel := `{"canceled_by":"José Álvarez","canceler_type":"invitee","created_at":"2026-06-03T12:00:00.000000Z","reason":"Terminkonflikt"}`
	bodies := [][]byte{
		encodeSample(t, calendly.EventInviteeCreated, booked, host, a),
		encodeSample(t, calendly.EventInviteeCreated, booked, host, b),
		encodeSample(t, calendly.EventInviteeCreated, booked, host, c),
		editSample(t, encodeSample(t, calendly.EventInviteeCanceled, booked, host, b),
			"payload.status=canceled", "payload.cancellation="+cancel, "payload.updated_at=2026-06-03T12:00:00.000100Z",
			"payload.scheduled_event.status=canceled", "payload.scheduled_event.cancellation="+cancel),
		editSample(t, encodeSample(t, calendly.EventInviteeNoShowCreated, booked, host, c),
			`payload.no_show={"uri":"https://api.calendly.com/invitee_no_shows/1","created_at":"2026-06-05T10:40:00.000000Z"}`,
			"payload.updated_at=2026-06-05T10:40:00.000100Z"),
	}
	ctx := context.Background()
	store, err := storage.Open(ctx, bk.db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, body := range bodies {
		now := time.Now()
		header := calendly.Sign([]byte(storeKey), now, body)
		sig, err := calendly.Verify(header, body, []byte(storeKey), now, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := calendly.ParseDelivery(body)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := store.RecordDelivery(ctx, storage.IncomingDelivery{ReceivedAt: now, SignatureHeader: header, ReplayKey: sig.ReplayKey(), Body: body, Parsed: parsed})
		if err != nil || rec.Outcome != storage.OutcomeApplied {
			t.Fatalf("recording %s: %v, outcome %q", parsed.Event, err, rec.Outcome)
		}
		bk.sent, bk.headers = append(bk.sent, body), append(bk.headers, header)
	}
	if _, err := store.RecordRefused(ctx, storage.RefusedDelivery{ReceivedAt: time.Now(), SignatureHeader: "t=1,v1=00", Body: []byte(`{"event":"forged"}`), Reason: refusedReason}); err != nil {
		t.Fatal(err)
	}
	return bk
}

func encodeSample(t *testing.T, event string, at time.Time, host calendlytest.Host, inv *calendly.Invitee) []byte {
	t.Helper()
	body, err := calendlytest.EncodeDelivery(event, at, host.URI, inv)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func editSample(t *testing.T, body []byte, sets ...string) []byte {
	t.Helper()
	edits := make([]jsonEdit, 0, len(sets))
	for _, s := range sets {
		e, err := parseJSONEdit(s)
		if err != nil {
			t.Fatal(err)
		}
		edits = append(edits, e)
	}
	out, err := applyJSONEdits(body, edits)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cli runs calwatch against the bookings' database.
func (bk *bookings) cli(t *testing.T, args ...string) cliResult {
	t.Helper()
	return runCLI(t, nil, append([]string{"--db", bk.db}, args...)...)
}

// decodeJSON decodes stdout, which must be JSON and nothing else.
func decodeJSON[T any](t *testing.T, r cliResult) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("stdout is not the JSON expected: %v\n%s", err, r.stdout)
	}
	return v
}

// wantKeys fails unless obj has exactly the keys of the contract.
func wantKeys(t *testing.T, what string, obj map[string]any, keys ...string) {
	t.Helper()
	got := make([]string, 0, len(obj))
	for k := range obj {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("%s keys\n got %v\nwant %v", what, got, keys)
	}
}

// resend records the i-th accepted body again with its own signature, as
// a replay would, and returns the duplicate's record.
func (bk *bookings) resend(t *testing.T, store *storage.Store, i int) storage.DeliveryRecord {
	t.Helper()
	sig, err := calendly.Verify(bk.headers[i], bk.sent[i], []byte(storeKey), time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := calendly.ParseDelivery(bk.sent[i])
	if err != nil {
		t.Fatal(err)
	}
	rec, err := store.RecordDelivery(context.Background(), storage.IncomingDelivery{ReceivedAt: time.Now(), SignatureHeader: bk.headers[i], ReplayKey: sig.ReplayKey(), Body: bk.sent[i], Parsed: parsed})
	if err != nil || rec.Outcome != storage.OutcomeDuplicate {
		t.Fatalf("replaying delivery %d: %v, outcome %q", i, err, rec.Outcome)
	}
	return rec
}
