package home

import (
	"os"
	"testing"
	"time"
)

// published reads the state file as status does.
func published(t *testing.T, h Home) ListenerState {
	t.Helper()
	s, running, err := h.Listener()
	if err != nil || !running {
		t.Fatalf("Listener() = %+v, %v, %v; want a running listener", s, running, err)
	}
	return s
}

func TestStatePublisherWritesTheTunnelAtMostOnceAGapAndNeverLosesTheLast(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	lock, err := h.LockListener()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	pub, err := lock.Publisher(sampleState(os.Getpid()), time.Hour, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	if s := published(t, h); s.Tunnel != nil {
		t.Fatalf("the first state has a tunnel: %+v", s.Tunnel)
	}
	pub.SetTunnel(TunnelStatus{State: TunnelOnline, URL: "https://a.ngrok.app/webhooks/calendly"})
	pub.SetTunnel(TunnelStatus{State: TunnelReconnecting, Reason: "ngrok: session closed"})
	if s := published(t, h); s.Tunnel != nil {
		t.Errorf("written within the gap: %+v", s.Tunnel)
	}
	pub.Close()
	got := published(t, h).Tunnel
	if got == nil || got.State != TunnelReconnecting || got.URL != "https://a.ngrok.app/webhooks/calendly" || got.Reason == "" || got.Since.IsZero() {
		t.Errorf("after Close the file says %+v; want the last state, reconnecting at the URL it had", got)
	}
	pub.SetTunnel(TunnelStatus{State: TunnelOffline})
	if s := published(t, h); s.Tunnel.State != TunnelReconnecting {
		t.Errorf("a closed publisher wrote %+v", s.Tunnel)
	}
}

func TestStatePublisherKeepsSinceWhileTheStateStays(t *testing.T) {
	h := Home{Dir: t.TempDir()}
	lock, err := h.LockListener()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	pub, err := lock.Publisher(sampleState(os.Getpid()), time.Nanosecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	since := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	pub.SetTunnel(TunnelStatus{State: TunnelOnline, URL: "https://a.example/h", Since: since})
	pub.SetTunnel(TunnelStatus{State: TunnelOnline, URL: "https://b.example/h"}) // the URL moved
	pub.Update(func(s *ListenerState) { s.WebhookURL = "https://b.example/h" })
	waitState(t, h, func(s ListenerState) bool { return s.WebhookURL == "https://b.example/h" })
	if got := published(t, h).Tunnel; got.URL != "https://b.example/h" || !got.Since.Equal(since) {
		t.Errorf("tunnel %+v; want online at the new URL since %s", got, since)
	}
	pub.SetTunnel(TunnelStatus{State: TunnelPolling, Reason: "no tunnel"})
	waitState(t, h, func(s ListenerState) bool { return s.Tunnel.State == TunnelPolling })
	if got := published(t, h).Tunnel; got.URL != "" || got.Since.Equal(since) {
		t.Errorf("polling %+v; want no URL and a new since", got)
	}
}

// waitState polls the state file until cond holds (a write owed after the
// gap comes from a timer).
func waitState(t *testing.T, h Home, cond func(ListenerState) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond(published(t, h)) {
		if time.Now().After(deadline) {
			t.Fatalf("the state file never got there: %+v", published(t, h))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAStateFileWithAnUnknownTunnelStateIsRefused(t *testing.T) {
	b := []byte(`{"pid":12,"addr":"a","webhook_url":"u","tunnel":{"state":"sideways"}}`)
	if _, err := ParseListenerState(b); err == nil {
		t.Error("an unknown tunnel state was accepted")
	}
}
