package calendlytest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/calwatch/calwatch/calendly"
)

func TestNoShowLifecycleOverTheAPI(t *testing.T) {
	s, outbox := startEmulator(t, Options{})
	subscribe(t, s, userSubscription(s, "https://hooks.example.com/n",
		calendly.EventInviteeNoShowCreated, calendly.EventInviteeNoShowDeleted))
	booked := mustBook(t, s, BookRequest{Email: "ada@example.com", Name: "Ada"})

	var made resource[calendly.InviteeNoShow]
	call(t, http.MethodPost, s.URL+"/invitee_no_shows", testPAT, jsonText(t, map[string]string{"invitee": booked.Invitee})).
		want(t, http.StatusCreated, &made)
	ns := made.Resource
	id, ok := strings.CutPrefix(ns.URI, s.URL+"/invitee_no_shows/")
	if !ok || !uuidV4.MatchString(id) || ns.Invitee != booked.Invitee || ns.CreatedAt.IsZero() {
		t.Fatalf("no-show %+v", ns)
	}
	var got resource[calendly.InviteeNoShow]
	call(t, http.MethodGet, ns.URI, testPAT, "").want(t, http.StatusOK, &got)
	if got.Resource != ns {
		t.Errorf("GET gave %+v, want %+v", got.Resource, ns)
	}
	if inv := getInviteeByURI(t, s, booked.Invitee); inv.NoShow == nil || inv.NoShow.URI != ns.URI {
		t.Errorf("invitee no_show %+v, want %s", inv.NoShow, ns.URI)
	}
	call(t, http.MethodPost, s.URL+"/invitee_no_shows", testPAT, jsonText(t, map[string]string{"invitee": booked.Invitee})).
		wantDetail(t, "invitee")

	a := call(t, http.MethodDelete, ns.URI, testPAT, "")
	if a.status != http.StatusNoContent {
		t.Fatalf("DELETE answered %d %s", a.status, a.body)
	}
	call(t, http.MethodGet, ns.URI, testPAT, "").wantError(t, http.StatusNotFound, "Resource Not Found")
	call(t, http.MethodDelete, ns.URI, testPAT, "").wantError(t, http.StatusNotFound, "Resource Not Found")
	if inv := getInviteeByURI(t, s, booked.Invitee); inv.NoShow != nil {
		t.Errorf("invitee still has no_show %+v", inv.NoShow)
	}

	sent := outbox.all()
	if len(sent) != 2 {
		t.Fatalf("%d deliveries, want no-show created and deleted", len(sent))
	}
	created, err := calendly.ParseDelivery(sent[0].body)
	if err != nil {
		t.Fatal(err)
	}
	deleted, err := calendly.ParseDelivery(sent[1].body)
	if err != nil {
		t.Fatal(err)
	}
	if created.Event != calendly.EventInviteeNoShowCreated || created.Invitee.NoShow == nil || created.Invitee.NoShow.URI != ns.URI {
		t.Errorf("created delivery %s", sent[0].body)
	}
	if deleted.Event != calendly.EventInviteeNoShowDeleted || deleted.Invitee.NoShow != nil || !strings.Contains(string(deleted.Payload), `"no_show":null`) {
		t.Errorf("deleted delivery %s", sent[1].body)
	}
}

func TestNoShowAPIRefusals(t *testing.T) {
	s, _ := startEmulator(t, Options{})
	post := func(body string) answer {
		return call(t, http.MethodPost, s.URL+"/invitee_no_shows", testPAT, body)
	}
	post(`{}`).wantDetail(t, "invitee")
	post(`{"invitee":42}`).wantDetail(t, "invitee")
	post(`[`).wantError(t, http.StatusBadRequest, "Invalid Argument")
	post(jsonText(t, map[string]string{"invitee": s.URL + "/scheduled_events/" + newUUID() + "/invitees/" + newUUID()})).
		wantError(t, http.StatusNotFound, "Resource Not Found")
	apiGet(t, s, "/invitee_no_shows/"+newUUID()).wantError(t, http.StatusNotFound, "Resource Not Found")
}
