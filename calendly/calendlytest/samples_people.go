package calendlytest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// The building blocks of realistic sample data: people with the names people
// really have (accents, other scripts), hosts, meeting places and booking
// answers. Every function draws from rnd only, so a seed gives the same data.

// apiBase is the origin of every URI in sample data, as in real deliveries.
const apiBase = "https://api.calendly.com"

// Person is someone who books: a display name, an email and an IANA zone.
type Person struct {
	Name     string
	Email    string
	Timezone string
}

// samplePeople mix scripts and accents on purpose: a consumer that mangles
// UTF-8 or re-escapes it shows up at once. Emails stay ASCII, as most are.
var samplePeople = []struct{ name, mailbox, timezone string }{
	{"Zoë Müller", "zoe.mueller", "Europe/Berlin"},
	{"José Álvarez", "jose.alvarez", "America/Mexico_City"},
	{"Søren Kierkegaard", "soren.k", "Europe/Copenhagen"},
	{"Łukasz Wiśniewski", "lukasz.wisniewski", "Europe/Warsaw"},
	{"山田 太郎", "taro.yamada", "Asia/Tokyo"},
	{"Ngozi Okonkwo", "ngozi.okonkwo", "Africa/Lagos"},
	{"Aroha Ngata", "aroha", "Pacific/Auckland"},
	{"Nguyễn Thị Anh", "anh.nguyen", "Asia/Ho_Chi_Minh"},
	{"Priya Raghunathan", "priya.r", "Asia/Kolkata"},
	{"Jane O'Neill", "jane.oneill", "America/New_York"},
	{"François Lefèvre", "f.lefevre", "Europe/Paris"},
	{"Олена Коваленко", "olena.kovalenko", "Europe/Kyiv"},
	{"Mateus Gonçalves", "mateus.goncalves", "America/Sao_Paulo"},
	{"Sam Taylor", "sam", "America/Los_Angeles"},
	{"Fatima Al-Sayed", "fatima.alsayed", "Asia/Dubai"},
	{"Björk Guðmundsdóttir", "bjork.g", "Atlantic/Reykjavik"},
}

// sampleDomains are reserved for examples (RFC 2606): nobody gets mail.
var sampleDomains = []string{"example.com", "example.org", "example.net"}

// RandomPerson picks a person to book a meeting.
func RandomPerson(rnd *rand.Rand) Person {
	p := samplePeople[rnd.IntN(len(samplePeople))]
	return Person{
		Name:     p.name,
		Email:    p.mailbox + "@" + sampleDomains[rnd.IntN(len(sampleDomains))],
		Timezone: p.timezone,
	}
}

// Host is a Calendly user who owns event types and hosts meetings.
type Host struct {
	URI   string // https://api.calendly.com/users/<uuid>
	Name  string
	Email string
}

var sampleHosts = []struct{ name, email string }{
	{"Acme Sales", "sales@acme.example.com"},
	{"Dr. Ana Lúcia Prado", "ana.prado@clinic.example.org"},
	{"Kenji Watanabe", "kenji@studio.example.net"},
	{"Marta Fernández", "marta@consulting.example.com"},
}

// RandomHost picks a host with a fresh user URI.
func RandomHost(rnd *rand.Rand) Host {
	h := sampleHosts[rnd.IntN(len(sampleHosts))]
	return Host{URI: apiBase + "/users/" + RandomUUID(rnd), Name: h.name, Email: h.email}
}

// RandomUUID is a version 4 UUID drawn from rnd, as Calendly's ids are.
func RandomUUID(rnd *rand.Rand) string {
	hi, lo := rnd.Uint64(), rnd.Uint64()
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x",
		hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// ScheduledEventURI is https://api.calendly.com/scheduled_events/<uuid>.
func ScheduledEventURI(eventUUID string) string {
	return apiBase + "/scheduled_events/" + eventUUID
}

// InviteeURI is https://api.calendly.com/scheduled_events/<uuid>/invitees/<uuid>.
func InviteeURI(eventUUID, inviteeUUID string) string {
	return ScheduledEventURI(eventUUID) + "/invitees/" + inviteeUUID
}

// LocationKinds are the location types RandomLocation produces.
var LocationKinds = []string{"zoom", "google_conference", "physical", "outbound_call", "inbound_call", "custom"}

var samplePlaces = []struct{ place, info string }{
	{"Calle de Alcalá 42, 28014 Madrid", "Ring «Oficina 3B» at the street door."},
	{"Friedrichstraße 68, 10117 Berlin", "Reception on the 2nd floor."},
	{"1 Market St, Suite 300, San Francisco, CA 94105", ""},
	{"東京都渋谷区神南1-2-3", "受付でお名前をお伝えください。"},
}

var samplePhones = []string{"+1 202-555-0143", "+44 7700 900123", "+49 30 901820", "+81 3-1234-5678", "+55 11 91234-5678"}

// RandomLocation is where a meeting happens, shaped like each provider's
// real location object (zoom carries its data block, google_conference its
// Calendly join link).
func RandomLocation(rnd *rand.Rand, eventUUID string) *calendly.Location {
	switch LocationKinds[rnd.IntN(len(LocationKinds))] {
	case "zoom":
		id := 80000000000 + rnd.Int64N(9999999999)
		password := randomString(rnd, "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", 6)
		return &calendly.Location{
			Type:    "zoom",
			Status:  "pushed",
			JoinURL: fmt.Sprintf("https://us06web.zoom.us/j/%d?pwd=%s", id, randomString(rnd, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32)),
			Data:    fmt.Appendf(nil, `{"id":%d,"settings":{"global_dial_in_numbers":[{"number":"+1 646 558 8656","country":"US","type":"toll","city":"New York","country_name":"US"}]},"password":%q,"extra":{"intl_numbers_url":"https://us06web.zoom.us/u/kdXyZ"}}`, id, password),
		}
	case "google_conference":
		status := []string{"processing", "pushed"}[rnd.IntN(2)]
		return &calendly.Location{Type: "google_conference", Status: status, JoinURL: "https://calendly.com/events/" + eventUUID + "/google_meet"}
	case "physical":
		p := samplePlaces[rnd.IntN(len(samplePlaces))]
		return &calendly.Location{Type: "physical", Location: p.place, AdditionalInfo: p.info}
	case "outbound_call":
		return &calendly.Location{Type: "outbound_call", Location: samplePhones[rnd.IntN(len(samplePhones))]}
	case "inbound_call":
		return &calendly.Location{Type: "inbound_call", Location: samplePhones[rnd.IntN(len(samplePhones))], AdditionalInfo: "Call at the start time; ask for the host."}
	default:
		return &calendly.Location{Type: "custom", Location: "We'll meet in the #bookings Slack huddle"}
	}
}

var sampleQuestions = []struct{ question, answers string }{
	{"Please share anything that will help prepare for our meeting.", "We'd like to talk about pricing & the API.|Agenda:\n1. intro\n2. demo|Nada especial, ¡gracias!"},
	{"Company name", "Müller & Söhne GmbH|Acme \"Rockets\" Inc.|株式会社サンプル"},
	{"How did you hear about us?", "A friend|Conference talk|Search"},
	{"Phone number", "+1 202-555-0143|+44 7700 900123"},
}

// RandomAnswers are the booking form's answers: none to a few, numbered by
// position, with the quotes, ampersands, newlines and non-ASCII that real
// forms carry.
func RandomAnswers(rnd *rand.Rand) []calendly.QuestionAnswer {
	n := rnd.IntN(len(sampleQuestions) + 1)
	answers := make([]calendly.QuestionAnswer, 0, n)
	for i, q := range sampleQuestions[:n] {
		choices := strings.Split(q.answers, "|")
		answers = append(answers, calendly.QuestionAnswer{Question: q.question, Answer: choices[rnd.IntN(len(choices))], Position: i})
	}
	return answers
}

var sampleEventNames = []struct {
	name    string
	minutes int
}{
	{"15 Minute Meeting", 15}, {"30 Minute Meeting", 30}, {"Discovery Call", 30},
	{"Product demo — Q&A", 45}, {"Beratungsgespräch", 60}, {"Intro ☕", 20},
}

// RandomEventName is an event type's name and length.
func RandomEventName(rnd *rand.Rand) (name string, length time.Duration) {
	e := sampleEventNames[rnd.IntN(len(sampleEventNames))]
	return e.name, time.Duration(e.minutes) * time.Minute
}

// randomMicros is a duration of up to max with microsecond detail, so sample
// times carry all six fractional digits as Calendly's do.
func randomMicros(rnd *rand.Rand, max time.Duration) time.Duration {
	return time.Duration(rnd.Int64N(int64(max/time.Microsecond)+1)) * time.Microsecond
}

func randomString(rnd *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rnd.IntN(len(alphabet))]
	}
	return string(b)
}
