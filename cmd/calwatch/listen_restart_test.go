package main

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
)

// TestAKilledListenLeavesOneSubscriptionAfterRestart: the real binary,
// logged in with a token, is killed with SIGKILL (no clean-up) and started
// again on another URL: exactly one subscription of calwatch's remains, the
// new one; a clean stop then deletes it too.
func TestAKilledListenLeavesOneSubscriptionAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the calwatch binary; skipped with -short")
	}
	emu := newLoginEmulator(t, false)
	home := t.TempDir()
	bin := calwatchBinary(t)
	env := append(os.Environ(), envKeyring+"=file", signingKeyEnv+"=")
	login := exec.Command(bin, "login", "--token", "-", "--api-url", emu.URL, "--home", home)
	login.Env, login.Stdin = env, strings.NewReader(loginTestPAT+"\n")
	if out, err := login.CombinedOutput(); err != nil {
		t.Fatalf("login: %v\n%s", err, out)
	}
	client, err := calendly.NewClient(calendly.StaticToken(loginTestPAT), calendly.WithBaseURL(emu.URL))
	if err != nil {
		t.Fatal(err)
	}
	user := emu.DefaultUser()
	callbacks := func() []string {
		var urls []string
		for sub, err := range client.WebhookSubscriptions.All(context.Background(), calendly.ListWebhookSubscriptionsOptions{
			Organization: user.CurrentOrganization, User: user.URI, Scope: calendly.ScopeUser}) {
			if err != nil {
				t.Fatal(err)
			}
			urls = append(urls, sub.CallbackURL)
		}
		return urls
	}
	start := func() (*exec.Cmd, string, *lockedBuffer) {
		addr := freeLocalAddr(t)
		cmd := exec.Command(bin, "listen", "--addr", addr, "--public-url", "http://"+addr, "--home", home)
		cmd.Env = env
		stderr := &lockedBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd, "http://" + addr + "/webhooks/calendly", stderr
	}

	first, firstURL, _ := start()
	// Killed once the subscription is made and remembered. (Killed between
	// Calendly's 201 and the local record, the subscription would be
	// unknown to calwatch and stay: a window of one database write.)
	waitFor(t, "the first listen's subscription, remembered", func() bool {
		st := statusJSON(t, home)
		return slices.Contains(callbacks(), firstURL) && len(st.Subscriptions) == 1 && st.Subscriptions[0].CallbackURL == firstURL
	})
	if err := first.Process.Kill(); err != nil { // SIGKILL: no clean-up runs
		t.Fatal(err)
	}
	_ = first.Wait()

	second, secondURL, stderr := start()
	waitFor(t, "only the second listen's subscription", func() bool {
		urls := callbacks()
		return len(urls) == 1 && urls[0] == secondURL
	})
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("listen exited with %v:\n%s", err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("listen did not stop within 30 s of SIGTERM:\n%s", stderr)
	}
	if urls := callbacks(); len(urls) != 0 {
		t.Errorf("after a clean stop %d subscriptions remain: %v", len(urls), urls)
	}
}
