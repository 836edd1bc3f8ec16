// Package audit grades a developer's Calendly webhook endpoint: it sends a
// battery of deliveries (probes), signed right and wrong, and checks that
// the endpoint accepts what Calendly sends, refuses what Calendly never
// sends, and never answers in a way that makes Calendly delete or give up
// on the subscription. The probes are plain data (Probes); the bodies are
// the emulator's samples (calendlytest.SampleDelivery), signed with
// calendly.Sign. Timing attacks are out of scope: latency is reported, but
// a non-constant-time comparison cannot be told apart over a network.
package audit

import (
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// Must is what a probe requires of the endpoint.
type Must string

const (
	// MustAccept: every request of the probe is answered 2xx.
	MustAccept Must = "accept"
	// MustRefuse: the request is answered with anything but 2xx.
	MustRefuse Must = "refuse"
	// MustNever: a check over every accept probe's answers (no 410, no
	// redirect), not a request of its own.
	MustNever Must = "never"
)

// Body says how a probe's body is written. Every one but BodyCalendly
// holds the same JSON value as Calendly's bytes but written differently:
// an endpoint that verifies a re-serialisation (JSON.stringify(req.body),
// json.Marshal of a decoded map) computes the MAC over other bytes.
type Body string

const (
	BodyCalendly      Body = "calendly"        // exactly as Calendly writes it
	BodyHTMLEscapes   Body = "html-escapes"    // names with & < >, written \u0026 \u003c \u003e
	BodyEscapedSlash  Body = "escaped-slashes" // every / in a string written \/
	BodyUnicodeEscape Body = "unicode-escapes" // every non-ASCII character written \uXXXX
	BodyPretty        Body = "pretty"          // indented with two spaces
	BodyKeyOrder      Body = "key-order"       // keys not in alphabetical order
	BodyFloatNumbers  Body = "float-numbers"   // a paid amount written 25.0
	BodySpaced        Body = "spaced"          // ", " and ": " between tokens
	BodyOversized     Body = "oversized"       // padded past any sane limit
)

// Signing says how a probe's Calendly-Webhook-Signature is made.
type Signing string

const (
	SignGood      Signing = "good"       // t=now, v1 over t + "." + body with the key
	SignNone      Signing = "none"       // no header at all
	SignMalformed Signing = "malformed"  // a header that is not t=…,v1=…
	SignNoT       Signing = "no-t"       // v1 only, no timestamp
	SignWrongKey  Signing = "wrong-key"  // signed with another key
	SignOtherBody Signing = "other-body" // a good signature of a different delivery
	SignNoPrefix  Signing = "no-prefix"  // v1 over the body alone, without "t."
	SignRotated   Signing = "rotated"    // two v1 values: an old key's, then the right one
)

// Repeat says whether a probe sends its delivery again.
type Repeat string

const (
	RepeatNone  Repeat = ""      // once
	RepeatExact Repeat = "exact" // the same bytes and header again (a duplicate)
	RepeatRetry Repeat = "retry" // the same body, signed anew a second later (Calendly's retry)
)

// Probe is one test of the endpoint.
type Probe struct {
	Name  string
	Must  Must
	Event string // the delivery's event type
	Body  Body
	Sign  Signing
	// Skew moves the signature's t from now (negative: in the past).
	Skew   time.Duration
	Repeat Repeat
	// Why says what an endpoint that fails this probe gets wrong.
	Why string
}

// reserialised names the JSON re-serialisation family in the grade.
const reserialisedWhy = "it verifies a re-serialisation of the JSON (like JSON.stringify(req.body)) instead of the raw body bytes"

// Probes is the battery, in the order it is sent. Add one for every bug
// found in the wild.
var Probes = []Probe{
	{Name: "invitee.created", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignGood, Why: "it refuses a correctly signed delivery"},
	{Name: "invitee.canceled", Must: MustAccept, Event: calendly.EventInviteeCanceled, Body: BodyCalendly, Sign: SignGood, Why: "it refuses a correctly signed delivery"},
	{Name: "invitee_no_show.created", Must: MustAccept, Event: calendly.EventInviteeNoShowCreated, Body: BodyCalendly, Sign: SignGood, Why: "it refuses a correctly signed delivery"},
	{Name: "invitee_no_show.deleted", Must: MustAccept, Event: calendly.EventInviteeNoShowDeleted, Body: BodyCalendly, Sign: SignGood, Why: "it refuses a correctly signed delivery"},
	{Name: "routing_form_submission.created", Must: MustAccept, Event: calendly.EventRoutingFormSubmission, Body: BodyCalendly, Sign: SignGood, Why: "it refuses a correctly signed delivery"},
	{Name: "event_type.created", Must: MustAccept, Event: calendly.EventEventTypeCreated, Body: BodyCalendly, Sign: SignGood, Why: "it refuses a correctly signed delivery"},
	{Name: "event_type.updated", Must: MustAccept, Event: calendly.EventEventTypeUpdated, Body: BodyCalendly, Sign: SignGood, Why: "it refuses a correctly signed delivery"},
	{Name: "event_type.deleted", Must: MustAccept, Event: calendly.EventEventTypeDeleted, Body: BodyCalendly, Sign: SignGood, Why: "it refuses a correctly signed delivery"},

	{Name: "json: html escapes", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyHTMLEscapes, Sign: SignGood, Why: reserialisedWhy},
	{Name: "json: escaped slashes", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyEscapedSlash, Sign: SignGood, Why: reserialisedWhy},
	{Name: "json: unicode escapes", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyUnicodeEscape, Sign: SignGood, Why: reserialisedWhy},
	{Name: "json: pretty-printed", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyPretty, Sign: SignGood, Why: reserialisedWhy},
	{Name: "json: key order", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyKeyOrder, Sign: SignGood, Why: reserialisedWhy},
	{Name: "json: 25.0-style amount", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyFloatNumbers, Sign: SignGood, Why: reserialisedWhy},
	{Name: "json: spaced separators", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodySpaced, Sign: SignGood, Why: reserialisedWhy},

	{Name: "retry with a new t", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignGood, Repeat: RepeatRetry, Why: "it refuses Calendly's retry of a delivery it has seen (signed anew)"},
	{Name: "exact repeat", Must: MustAccept, Event: calendly.EventInviteeCanceled, Body: BodyCalendly, Sign: SignGood, Repeat: RepeatExact, Why: "it refuses a duplicate; answer 2xx and change nothing"},
	{Name: "key rotation: two v1", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignRotated, Why: "it reads only the first v1 value; any v1 may match"},
	{Name: "t a minute old", Must: MustAccept, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignGood, Skew: -time.Minute, Why: "its timestamp tolerance is tighter than Calendly's 3 minutes"},

	{Name: "no signature header", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignNone, Why: "it accepts unsigned requests: anyone can forge bookings"},
	{Name: "malformed header", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignMalformed, Why: "it accepts a header it cannot read"},
	{Name: "header without t", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignNoT, Why: "it accepts a signature with no timestamp"},
	{Name: "wrong key", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignWrongKey, Why: "it does not check the MAC against your signing key"},
	{Name: "signature of another body", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignOtherBody, Why: "it does not check that the MAC covers this body"},
	{Name: "MAC without the t. prefix", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignNoPrefix, Why: "it signs the body alone, so a captured MAC replays with any t"},
	{Name: "stale t: 5 minutes old", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignGood, Skew: -5 * time.Minute, Why: "it does not check the timestamp: captured deliveries replay forever"},
	{Name: "stale t: 5 minutes ahead", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyCalendly, Sign: SignGood, Skew: 5 * time.Minute, Why: "it does not refuse timestamps from the future"},
	{Name: "oversized body", Must: MustRefuse, Event: calendly.EventInviteeCreated, Body: BodyOversized, Sign: SignGood, Why: "it reads a body of any size: a memory exhaustion risk"},
}
