package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calwatch/calwatch/tunnel/home"
)

// TestStatusShowsTheLiveSessionsTunnel: while a logged-in listen runs,
// status says how Calendly reaches it (online at the subscribed URL, since
// when), in words and in JSON; once it stops, status says nothing runs.
func TestStatusShowsTheLiveSessionsTunnel(t *testing.T) {
	t.Setenv(envKeyring, "file")
	t.Setenv(signingKeyEnv, "")
	emu := newLoginEmulator(t, false)
	dir := t.TempDir()
	runCLI(t, strings.NewReader(loginTestPAT+"\n"), "login", "--token", "-", "--api-url", emu.URL, "--home", dir).wantExit(t, exitOK)

	addr := freeLocalAddr(t)
	webhook := "http://" + addr + "/webhooks/calendly"
	l := startListen(t, dir, "--addr", addr, "--public-url", "http://"+addr)
	waitFor(t, "status to show the subscribed tunnel", func() bool {
		tun := statusJSON(t, dir).Tunnel
		return tun != nil && tun.State == home.TunnelOnline && tun.URL == webhook && !tun.Since.IsZero()
	})
	code, stdout, _ := runListenCLI(t, nil, "status", "--home", dir)
	if want := "tunnel       online · " + webhook + " since "; code != exitOK || !strings.Contains(stdout, want) {
		t.Errorf("status: exit %d\n%s\nwant a line %q", code, stdout, want)
	}

	if code := l.stopListen(t); code != exitOK {
		t.Fatalf("listen exited %d", code)
	}
	code, stdout, _ = runListenCLI(t, nil, "status", "--home", dir)
	if code != exitOK || !strings.Contains(stdout, "Not running") || strings.Contains(stdout, "online") {
		t.Errorf("status after listen stopped: exit %d\n%s\nwant it not running", code, stdout)
	}
	if st := statusJSON(t, dir); st.Listening || st.Tunnel != nil {
		t.Errorf("status --json after listen stopped: %+v", st)
	}
}

// TestStatusShowsTheTUIsLocalListener: the TUI listening locally writes the
// state file too: status sees it, local, while it runs, and not after.
func TestStatusShowsTheTUIsLocalListener(t *testing.T) {
	t.Setenv(signingKeyEnv, "")
	a := &app{streams: &streams{out: io.Discard, errOut: io.Discard}, home: t.TempDir()}
	opts := &tuiOptions{listen: listenOptions{addr: "127.0.0.1:0", noTunnel: true, path: "/webhooks/calendly", rateLimit: defaultRateLimit, signingKey: listenTestKey}}
	live, closeLive, err := a.startLiveTUI(context.Background(), opts, []byte(listenTestKey), opts.listen.path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	st := statusJSON(t, a.home)
	if !st.Listening || st.Tunnel == nil || st.Tunnel.State != home.TunnelLocal || st.Tunnel.URL != live.localURL {
		t.Errorf("status --json while the TUI runs: %+v (tunnel %+v); want local at %s", st, st.Tunnel, live.localURL)
	}
	closeLive()
	if st := statusJSON(t, a.home); st.Listening {
		t.Errorf("status --json after the TUI closed: %+v", st)
	}
}

// TestStatusSaysNotRunningOverAStaleTunnelState: a state file that says
// online, left by a process that died (it holds no lock), is not believed.
func TestStatusSaysNotRunningOverAStaleTunnelState(t *testing.T) {
	dir := t.TempDir()
	state := `{"pid":` + strconv.Itoa(deadPID(t)) + `,"addr":"127.0.0.1:1","webhook_url":"https://gone.ngrok.app/webhooks/calendly",` +
		`"tunnel":{"state":"online","url":"https://gone.ngrok.app/webhooks/calendly","since":"` + time.Now().UTC().Format(time.RFC3339) + `"}}`
	if err := os.WriteFile((&app{home: dir}).paths().StatePath(), []byte(state), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runListenCLI(t, nil, "status", "--home", dir)
	if code != exitOK || !strings.Contains(stdout, "Not running") || strings.Contains(stdout, "gone.ngrok.app") {
		t.Errorf("status over a dead listener's state: exit %d\n%s", code, stdout)
	}
}

// TestStatusShowsPollingWhenNoWebhookCanArrive: a logged-in listen with
// --no-tunnel reads Calendly's API instead of taking webhooks; the
// session's Polling event reaches the state file and status says so, why.
func TestStatusShowsPollingWhenNoWebhookCanArrive(t *testing.T) {
	t.Setenv(envKeyring, "file")
	t.Setenv(signingKeyEnv, "")
	emu := newLoginEmulator(t, false)
	dir := t.TempDir()
	runCLI(t, strings.NewReader(loginTestPAT+"\n"), "login", "--token", "-", "--api-url", emu.URL, "--home", dir).wantExit(t, exitOK)
	l := startListen(t, dir, "--no-tunnel")
	defer l.stopListen(t)
	waitFor(t, "status to show polling", func() bool {
		tun := statusJSON(t, dir).Tunnel
		return tun != nil && tun.State == home.TunnelPolling && tun.Reason != ""
	})
	if _, stdout, _ := runListenCLI(t, nil, "status", "--home", dir); !strings.Contains(stdout, "tunnel       polling since ") {
		t.Errorf("status:\n%s\nwant the tunnel line to say polling", stdout)
	}
}
