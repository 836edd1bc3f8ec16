package session

import (
	"strings"

	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/home"
)

// Reach is what ev says of how Calendly reaches calwatch now, for the
// running listener's state file (calwatch status reads it); ok is false
// for events that say nothing of it. path is the webhook path, added to a
// tunnel's origin.
func Reach(ev Event, path string) (st home.TunnelStatus, ok bool) {
	webhook := func(origin string) string { return strings.TrimSuffix(origin, "/") + path }
	switch ev := ev.(type) {
	case Tunnel:
		switch te := ev.Event.(type) {
		case tunnel.Online:
			return home.TunnelStatus{State: home.TunnelOnline, URL: webhook(te.URL)}, true
		case tunnel.URLChanged:
			return home.TunnelStatus{State: home.TunnelOnline, URL: webhook(te.New)}, true
		case tunnel.Offline:
			return home.TunnelStatus{State: home.TunnelReconnecting, Reason: errText(te.Err, "reconnecting")}, true
		case tunnel.Stuck:
			return home.TunnelStatus{State: home.TunnelOffline, Reason: errText(te.Err, "still trying")}, true
		case tunnel.Stopped:
			return home.TunnelStatus{State: home.TunnelOffline, Reason: errText(te.Err, "the tunnel stopped")}, true
		}
	case Subscribed:
		return home.TunnelStatus{State: home.TunnelOnline, URL: ev.CallbackURL}, true
	case Polling:
		return home.TunnelStatus{State: home.TunnelPolling, Reason: errText(ev.Why, "no webhook can reach calwatch")}, true
	}
	return home.TunnelStatus{}, false
}
