package calendlytest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
)

func TestUsersMeIsTheDefaultUserOnTheEmulatorsOrigin(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	var got resource[calendly.User]
	a := apiGet(t, s, "/users/me")
	a.want(t, http.StatusOK, &got)
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	me := got.Resource
	if me != s.DefaultUser() {
		t.Errorf("/users/me %+v, want DefaultUser %+v", me, s.DefaultUser())
	}
	id, ok := strings.CutPrefix(me.URI, s.URL+"/users/")
	if !ok || !uuidV4.MatchString(id) {
		t.Errorf("user URI %q is not %s/users/<uuid v4>", me.URI, s.URL)
	}
	if me.CurrentOrganization != s.Organization() || !strings.HasPrefix(me.CurrentOrganization, s.URL+"/organizations/") {
		t.Errorf("current_organization %q, want %q on the origin", me.CurrentOrganization, s.Organization())
	}
	if me.Email == "" || me.Name == "" || me.Timezone == "" || me.CreatedAt.IsZero() {
		t.Errorf("user lacks fields a client shows: %+v", me)
	}
}

func TestUserByUUIDAndUnknownUser(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	me := s.DefaultUser()
	var got resource[calendly.User]
	call(t, http.MethodGet, me.URI, testPAT, "").want(t, http.StatusOK, &got)
	if got.Resource.URI != me.URI {
		t.Errorf("GET %s gave %s", me.URI, got.Resource.URI)
	}
	e := apiGet(t, s, "/users/"+newUUID()).wantError(t, http.StatusNotFound, "Resource Not Found")
	if e.Message != "The server could not find the requested resource." {
		t.Errorf("404 message %q", e.Message)
	}
}

func TestAPIRefusesRequestsWithoutAValidToken(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	for _, token := range []string{"", "not-a-token"} {
		call(t, http.MethodGet, s.URL+"/users/me", token, "").wantError(t, http.StatusUnauthorized, "Unauthenticated")
	}
}

func TestUnknownPathIsCalendlys404(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	apiGet(t, s, "/no_such_endpoint").wantError(t, http.StatusNotFound, "Resource Not Found")
}

func TestOrganizationMembershipsPageOneByOne(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	org := url.QueryEscape(s.Organization())
	rows, pages := walk[calendly.OrganizationMembership](t, s, "/organization_memberships?count=1&organization="+org)
	if len(rows) != len(seedTeam) || len(pages) != len(seedTeam) {
		t.Fatalf("%d rows on %d pages, want %d members one per page", len(rows), len(pages), len(seedTeam))
	}
	seen := map[string]bool{}
	for _, m := range rows {
		if seen[m.User.URI] || m.Organization != s.Organization() || m.Role == "" {
			t.Errorf("membership %+v is a repeat or lacks its organization or role", m)
		}
		seen[m.User.URI] = true
	}
	first, last := pages[0], pages[len(pages)-1]
	if first.Count != 1 || first.PreviousPageToken != nil || first.NextPageToken == nil {
		t.Errorf("first page pagination %+v", first)
	}
	next, err := url.Parse(*first.NextPage)
	if err != nil || !strings.HasPrefix(*first.NextPage, s.URL+"/organization_memberships?") ||
		next.Query().Get("organization") != s.Organization() || next.Query().Get("count") != "1" ||
		next.Query().Get("page_token") != *first.NextPageToken {
		t.Errorf("next_page %q does not repeat the query with the page token on the origin", *first.NextPage)
	}
	if last.NextPage != nil || last.NextPageToken != nil || last.PreviousPageToken == nil {
		t.Errorf("last page pagination %+v", last)
	}

	var byUser list[calendly.OrganizationMembership]
	apiGet(t, s, "/organization_memberships?user="+url.QueryEscape(s.DefaultUser().URI)).want(t, http.StatusOK, &byUser)
	if len(byUser.Collection) != 1 || byUser.Collection[0].User.URI != s.DefaultUser().URI || byUser.Collection[0].Role != "owner" {
		t.Errorf("user filter gave %+v", byUser.Collection)
	}
}

func TestOrganizationMembershipsRefusesBadQueries(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	org := url.QueryEscape(s.Organization())
	for query, parameter := range map[string]string{
		"":                                    "organization",
		"?organization=" + org + "&count=0":   "count",
		"?organization=" + org + "&count=101": "count",
		"?organization=" + org + "&count=ten": "count",
		"?organization=" + org + "&page_token=garbage": "page_token",
	} {
		apiGet(t, s, "/organization_memberships"+query).wantDetail(t, parameter)
	}
	apiGet(t, s, "/organization_memberships?organization="+url.QueryEscape(s.URL+"/organizations/"+newUUID())).
		wantError(t, http.StatusForbidden, "Permission Denied")
}
