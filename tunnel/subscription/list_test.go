package subscription

import (
	"context"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// TestListMarksOurs: every subscription on the account, ours marked, with
// its state.
func TestListMarksOurs(t *testing.T) {
	f := newFixture(t, calendlytest.Options{})
	ctx := context.Background()
	url, _ := receiver(t)
	ours, err := f.life.Ensure(ctx, Request{CallbackURL: url})
	if err != nil {
		t.Fatal(err)
	}
	foreign := f.createForeign(t, url+"/other")
	listed, err := f.life.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	got := map[string]Listed{}
	for _, l := range listed {
		got[l.URI] = l
	}
	if len(listed) != 2 || !got[ours.URI].Ours || got[foreign.URI].Ours || got[ours.URI].State != calendly.StateActive {
		t.Errorf("listed %+v; want ours marked and active, the foreign one unmarked", listed)
	}
}

// TestPruneRemovesOurStaleOnesOnly: ours that Calendly lost, disabled, or
// that no running calwatch serves go; the one in use and foreign ones stay.
func TestPruneRemovesOurStaleOnesOnly(t *testing.T) {
	f := newFixture(t, calendlytest.Options{RetryBase: time.Millisecond, RetryWindow: 20 * time.Millisecond})
	ctx := context.Background()
	inUse, _ := receiver(t)
	unused, _ := receiver(t)
	keep, err := f.life.Ensure(ctx, Request{CallbackURL: inUse})
	if err != nil {
		t.Fatal(err)
	}
	stale, err := f.life.Ensure(ctx, Request{CallbackURL: unused})
	if err != nil {
		t.Fatal(err)
	}
	lost, err := f.life.Ensure(ctx, Request{CallbackURL: unused + "/lost"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.WebhookSubscriptions.Delete(ctx, lost.URI); err != nil {
		t.Fatal(err)
	}
	dead, err := f.life.Ensure(ctx, Request{CallbackURL: closedURL(t), Events: []string{calendly.EventInviteeCreated}})
	if err != nil {
		t.Fatal(err)
	}
	foreign := f.createForeign(t, unused+"/foreign")
	if _, err := f.emu.Book(calendlytest.BookRequest{Email: "ann@example.com", Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Calendly to disable the dead subscription", func() bool { return f.state(t, dead.URI) == calendly.StateDisabled })

	pruned, err := f.life.Prune(ctx, inUse)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	reasons := map[string]string{}
	for _, p := range pruned {
		reasons[p.URI] = p.Reason
	}
	want := map[string]string{stale.URI: "unused", lost.URI: "gone", dead.URI: "disabled"}
	if len(reasons) != len(want) {
		t.Errorf("pruned %+v, want %v", pruned, want)
	}
	for uri, reason := range want {
		if reasons[uri] != reason {
			t.Errorf("%s pruned as %q, want %q", uri, reasons[uri], reason)
		}
		if st := f.state(t, uri); st != "gone" {
			t.Errorf("%s is %s after prune", uri, st)
		}
	}
	if f.state(t, keep.URI) != calendly.StateActive || f.state(t, foreign.URI) != calendly.StateActive {
		t.Error("prune touched the subscription in use or a foreign one")
	}
	subs, _ := f.store.Subscriptions(ctx)
	if len(subs) != 1 || subs[0].URI != keep.URI {
		t.Errorf("remembered after prune: %+v, want only %s", subs, keep.URI)
	}
}

// TestRestartOnANewURLLeavesOneOfOurs: calwatch was killed (no cleanup)
// and restarts on a new tunnel URL; Ensure then Prune with the new URL in
// use, as the session does, leaves exactly one subscription of ours.
func TestRestartOnANewURLLeavesOneOfOurs(t *testing.T) {
	f := newFixture(t, calendlytest.Options{})
	ctx := context.Background()
	before, _ := receiver(t)
	after, _ := receiver(t)
	killed, err := f.life.Ensure(ctx, Request{CallbackURL: before})
	if err != nil {
		t.Fatal(err)
	}
	restarted := f.lifecycle(t, f.store)
	active, err := restarted.Ensure(ctx, Request{CallbackURL: after})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := restarted.Prune(ctx, active.CallbackURL); err != nil {
		t.Fatal(err)
	}
	listed, err := restarted.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].URI != active.URI || !listed[0].Ours {
		t.Errorf("after restart: %+v; want only %s (the killed run's %s deleted)", listed, active.URI, killed.URI)
	}
}
