package session

import (
	"errors"
	"testing"
	"time"

	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/home"
)

func TestReachSaysHowCalendlyReachesCalwatch(t *testing.T) {
	for _, tc := range []struct {
		ev       Event
		state    string
		url, why string
		says     bool
	}{
		{Tunnel{tunnel.Online{URL: "https://a.ngrok.app/"}}, home.TunnelOnline, "https://a.ngrok.app/webhooks/calendly", "", true},
		{Tunnel{tunnel.URLChanged{Old: "https://a.ngrok.app", New: "https://b.ngrok.app"}}, home.TunnelOnline, "https://b.ngrok.app/webhooks/calendly", "", true},
		{Tunnel{tunnel.Offline{Err: errors.New("session closed")}}, home.TunnelReconnecting, "", "session closed", true},
		{Tunnel{tunnel.Stuck{Err: errors.New("authtoken revoked")}}, home.TunnelOffline, "", "authtoken revoked", true},
		{Subscribed{URI: "u", CallbackURL: "https://c.example/h"}, home.TunnelOnline, "https://c.example/h", "", true},
		{Polling{Interval: time.Minute, Why: errors.New("a free plan has no webhooks")}, home.TunnelPolling, "", "a free plan has no webhooks", true},
		{Connecting{Step: "tunnel"}, "", "", "", false},
		{Degraded{Err: errors.New("x")}, "", "", "", false},
	} {
		st, ok := Reach(tc.ev, "/webhooks/calendly")
		if ok != tc.says || st.State != tc.state || st.URL != tc.url || st.Reason != tc.why {
			t.Errorf("Reach(%s) = %+v, %v; want %s %q %q, %v", tc.ev, st, ok, tc.state, tc.url, tc.why, tc.says)
		}
	}
}
