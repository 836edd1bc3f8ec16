package calendlytest

import (
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// state is everything the emulator knows. Server.mu guards it. Every map is
// keyed by the resource's URI, which is absolute on the emulator's origin.
type state struct {
	origin        string
	organization  string // URI of the one organization
	users         []*calendly.User
	memberships   []*calendly.OrganizationMembership
	subscriptions map[string]*subscription
	subOrder      []string // subscription URIs, oldest first
	events        map[string]*calendly.ScheduledEvent
	eventOrder    []string // event URIs, oldest first
	invitees      map[string]*calendly.Invitee
	eventInvitees map[string][]string // event URI → invitee URIs, oldest first
	hosts         map[string]string   // event URI → host user URI
	noShows       map[string]*calendly.InviteeNoShow
	eventTypes    map[string]string // host URI + "\x00" + event name → event type URI
	// ids is where the change being made draws its ids from: a seeded
	// source for the generator's history, nil (crypto/rand) otherwise.
	ids *mrand.Rand
}

// subscription is a webhook subscription and the key its deliveries are
// signed with, which Calendly never returns.
type subscription struct {
	resource   calendly.WebhookSubscription
	signingKey []byte
}

// teammate describes one seeded member of the organization.
type teammate struct{ name, slug, email, timezone, role string }

// The organization the emulator starts with: the default user (the owner,
// whom personal access tokens belong to) and two teammates, so user and
// organization filters have something to tell apart.
var seedTeam = []teammate{
	{"Avery Emulator", "avery-emulator", "avery@calwatch.test", "America/New_York", "owner"},
	{"Blake Teammate", "blake-teammate", "blake@calwatch.test", "Europe/Berlin", "user"},
	{"Casey Teammate", "casey-teammate", "casey@calwatch.test", "Asia/Tokyo", "admin"},
}

// newState makes the organization and its members. With a seed (not 0)
// their ids come from it, so a seeded emulator is the same account every
// run; otherwise they are random.
func newState(origin string, now time.Time, seed int64) *state {
	st := &state{
		origin:        origin,
		subscriptions: map[string]*subscription{},
		events:        map[string]*calendly.ScheduledEvent{},
		invitees:      map[string]*calendly.Invitee{},
		eventInvitees: map[string][]string{},
		hosts:         map[string]string{},
		noShows:       map[string]*calendly.InviteeNoShow{},
		eventTypes:    map[string]string{},
	}
	if seed != 0 {
		st.ids = mrand.New(mrand.NewPCG(uint64(seed), worldStream))
		defer func() { st.ids = nil }()
	}
	st.organization = origin + "/organizations/" + st.newUUID()
	joined := calendly.NewTime(now.Add(-90 * 24 * time.Hour))
	for _, m := range seedTeam {
		u := &calendly.User{
			URI:                 origin + "/users/" + st.newUUID(),
			Name:                m.name,
			Slug:                m.slug,
			Email:               m.email,
			SchedulingURL:       origin + "/" + m.slug,
			Timezone:            m.timezone,
			AvatarURL:           nil,
			CreatedAt:           joined,
			UpdatedAt:           joined,
			CurrentOrganization: st.organization,
			ResourceType:        "User",
			Locale:              "en",
		}
		st.users = append(st.users, u)
		st.memberships = append(st.memberships, &calendly.OrganizationMembership{
			URI:          origin + "/organization_memberships/" + st.newUUID(),
			Role:         m.role,
			User:         *u,
			Organization: st.organization,
			CreatedAt:    joined,
			UpdatedAt:    joined,
		})
	}
	return st
}

func (st *state) defaultUser() *calendly.User { return st.users[0] }

func (st *state) user(uri string) *calendly.User {
	for _, u := range st.users {
		if u.URI == uri {
			return u
		}
	}
	return nil
}

// userByRef finds an organization member by URI or (case-insensitive) email.
func (st *state) userByRef(ref string) *calendly.User {
	for _, u := range st.users {
		if u.URI == ref || strings.EqualFold(u.Email, ref) {
			return u
		}
	}
	return nil
}

// eventType returns the URI of host's event type called name, making one up
// the first time, as a host's booking page would have.
func (st *state) eventType(host, name string) string {
	key := host + "\x00" + name
	if uri, ok := st.eventTypes[key]; ok {
		return uri
	}
	uri := st.origin + "/event_types/" + st.newUUID()
	st.eventTypes[key] = uri
	return uri
}

// activeSubscriptions are the subscriptions that want event about something
// hosted by host: user-scope ones for that host, organization-scope ones for
// the organization. Oldest first.
func (st *state) activeSubscriptions(event, host string) []*subscription {
	var out []*subscription
	for _, uri := range st.subOrder {
		sub := st.subscriptions[uri]
		res := sub.resource
		if res.State != calendly.StateActive || !slices.Contains(res.Events, event) {
			continue
		}
		switch res.Scope {
		case calendly.ScopeUser:
			if calendly.Str(res.User) == host {
				out = append(out, sub)
			}
		case calendly.ScopeOrganization:
			if res.Organization == st.organization {
				out = append(out, sub)
			}
		}
	}
	return out
}

func (st *state) removeSubscription(uri string) bool {
	if _, ok := st.subscriptions[uri]; !ok {
		return false
	}
	delete(st.subscriptions, uri)
	for i, u := range st.subOrder {
		if u == uri {
			st.subOrder = append(st.subOrder[:i:i], st.subOrder[i+1:]...)
			break
		}
	}
	return true
}

// The PCG streams a seed feeds: the organization, the generator's choices
// and the generator's ids are drawn apart, so one never shifts another.
const (
	worldStream     = 0x776f726c64       // "world"
	generatorStream = 0x63616c7761746368 // "calwatch"
	idStream        = 0x696473           // "ids"
)

// newUUID is a version 4 UUID from the change's id source.
func (st *state) newUUID() string {
	if st.ids != nil {
		return RandomUUID(st.ids)
	}
	return newUUID()
}

// newUUID returns a random version 4 UUID in lower case, as Calendly's
// resource identifiers are.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
