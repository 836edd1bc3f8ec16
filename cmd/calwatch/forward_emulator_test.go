package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// TestForwardedBodiesHashEqualToWhatTheEmulatorSent: the emulator delivers
// a booking and its cancellation to listen, which forwards both to the app,
// in order, byte for byte (the emulator's own body_sha256), re-signed with
// the forward key.
func TestForwardedBodiesHashEqualToWhatTheEmulatorSent(t *testing.T) {
	const pat = "emulator-forward-pat"
	emu := calendlytest.NewServer(calendlytest.Options{Tokens: []string{pat}})
	t.Cleanup(emu.Close)
	appURL, got := newTestApp(t, func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) })
	t.Setenv(forwardSigningKeyEnv, "")
	l := startListen(t, t.TempDir(), "--no-tunnel", "--signing-key", listenTestKey,
		"--forward-to", appURL, "--forward-signing-key", forwardTestKey)

	ctx := context.Background()
	client, err := calendly.NewClient(calendly.StaticToken(pat), calendly.WithBaseURL(emu.URL))
	if err != nil {
		t.Fatal(err)
	}
	me, _, err := client.Users.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.WebhookSubscriptions.Create(ctx, calendly.CreateWebhookSubscriptionRequest{
		URL: l.webhookURL, Events: []string{calendly.EventInviteeCreated, calendly.EventInviteeCanceled},
		Organization: emu.Organization(), User: me.URI, Scope: calendly.ScopeUser, SigningKey: listenTestKey,
	}); err != nil {
		t.Fatal(err)
	}
	booked, err := emu.Book(calendlytest.BookRequest{Email: "ada@example.com", Name: "Ada Lovelace",
		StartTime: time.Now().Add(48 * time.Hour).Truncate(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Cancel(calendlytest.CancelRequest{Invitee: booked.Invitee}); err != nil {
		t.Fatal(err)
	}

	forwarded := []appRequest{nextAppRequest(t, got), nextAppRequest(t, got)}
	// The app may get a forward before the emulator has logged the answer
	// to its attempt (listen answers first, then forwards).
	var attempts []calendlytest.DeliveryAttempt
	waitFor(t, "the emulator's log of both attempts", func() bool {
		resp, err := http.Get(emu.URL + "/_emulator/deliveries")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		attempts = nil
		if err := json.NewDecoder(resp.Body).Decode(&attempts); err != nil {
			t.Fatal(err)
		}
		return len(attempts) == 2 && attempts[0].Status != 0 && attempts[1].Status != 0
	})
	for i, a := range attempts {
		sum := sha256.Sum256(forwarded[i].body)
		if a.Status != http.StatusOK || a.BodySHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("forward %d: the app got bytes hashing %x; the emulator sent %s (%s, answered %d)",
				i+1, sum, a.BodySHA256, a.Event, a.Status)
		}
		if _, err := calendly.Verify(forwarded[i].signature, forwarded[i].body, []byte(forwardTestKey), time.Now(), calendly.DefaultTolerance); err != nil {
			t.Errorf("forward %d does not verify with the forward key: %v", i+1, err)
		}
	}
	if attempts[0].Event != calendly.EventInviteeCreated || attempts[1].Event != calendly.EventInviteeCanceled {
		t.Errorf("attempts %s, %s; want created then canceled", attempts[0].Event, attempts[1].Event)
	}
}
