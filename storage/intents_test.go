package storage

import (
	"context"
	"testing"
	"time"
)

func TestSubscriptionIntentsAreRecordedRenewedAndForgotten(t *testing.T) {
	ctx := context.Background()
	s := openTestStore(t)
	at := time.Date(2026, 6, 18, 12, 0, 0, 0, time.UTC)
	if err := s.RecordSubscriptionIntent(ctx, SubscriptionIntent{}); err == nil {
		t.Error("an intent without a callback URL was recorded")
	}
	for _, in := range []SubscriptionIntent{
		{CallbackURL: "https://a.example/h", Scope: "user", Owner: "u", At: at},
		{CallbackURL: "https://b.example/h", Scope: "organization", Owner: "o", At: at.Add(time.Minute)},
		{CallbackURL: "https://a.example/h", Scope: "user", Owner: "u", At: at.Add(2 * time.Minute)}, // renewed
	} {
		if err := s.RecordSubscriptionIntent(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SubscriptionIntents(ctx)
	if err != nil || len(got) != 2 || got[0].CallbackURL != "https://b.example/h" || !got[1].At.Equal(at.Add(2*time.Minute)) {
		t.Fatalf("intents = %+v, %v; want b, then a renewed", got, err)
	}
	if err := s.ForgetSubscriptionIntent(ctx, "https://a.example/h"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SubscriptionIntents(ctx); err != nil || len(got) != 1 || got[0].Owner != "o" {
		t.Errorf("after forgetting a: %+v, %v", got, err)
	}
}
