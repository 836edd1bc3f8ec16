package main

import (
	"time"

	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel"
	"github.com/calwatch/calwatch/tunnel/home"
	"github.com/calwatch/calwatch/tunnel/session"
)

// startingReach is how Calendly reaches a listener as it starts: through
// its tunnel (open by then), or not at all when it is local.
func startingReach(tun tunnel.Tunnel, webhookURL string) *home.TunnelStatus {
	st := &home.TunnelStatus{State: home.TunnelOnline, URL: webhookURL, Since: time.Now().UTC()}
	if tun == nil || tun.Kind() == tunnel.KindLocal {
		st.State = home.TunnelLocal
	}
	return st
}

// publishReach keeps the state file's tunnel, and its webhook URL, in step
// with a session's (or a bare tunnel's) event. A local listener's tunnel
// says nothing worth keeping; a session's polling does.
func publishReach(pub *home.StatePublisher, ev session.Event, path string, kind tunnel.Kind) {
	st, ok := session.Reach(ev, path)
	if !ok || kind == tunnel.KindLocal && st.State != home.TunnelPolling {
		return
	}
	pub.SetTunnel(st)
	if st.State == home.TunnelOnline && st.URL != "" {
		pub.Update(func(s *home.ListenerState) { s.WebhookURL = st.URL })
	}
}

// tunnelLine is status's line about the tunnel: "online · URL since 15:04:05".
func tunnelLine(t *home.TunnelStatus) string {
	line := t.State
	if t.URL != "" {
		line += " · " + t.URL
	}
	if !t.Since.IsZero() {
		line += " since " + t.Since.Local().Format(sinceLayout(t.Since))
	}
	if t.Reason != "" {
		line += " (" + t.Reason + ")"
	}
	return safetext.Line(line)
}

// sinceLayout shows the date too when since is not today.
func sinceLayout(since time.Time) string {
	if y, m, d := since.Local().Date(); y == time.Now().Year() && m == time.Now().Month() && d == time.Now().Day() {
		return "15:04:05"
	}
	return "2006-01-02 15:04"
}
