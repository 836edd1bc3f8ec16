package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

// TestListenSurvivesKill9 runs the real binary under concurrent load,
// SIGKILLs it mid-load, and checks that every delivery it answered 2xx is
// in the database, the database is intact, and listen starts again.
func TestListenSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the calwatch binary under load; skipped with -short")
	}
	home := t.TempDir()
	const key = "kill9-signing-key"
	bin := calwatchBinary(t)
	p := startListenProcess(t, bin, nil, home, key, "--rate-limit", "0")

	const killAfter = 400 // 2xx answers before the kill
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	killed := make(chan struct{})
	var killedOnce bool
	resultc := make(chan loadgen.Result, 1)
	go func() {
		res, err := loadgen.Run(ctx, loadgen.Config{
			URL: p.state.WebhookURL, SigningKey: []byte(key), Connections: 32, Total: 50_000, Timeout: 10 * time.Second,
			OnOK: func(ok int) {
				if ok >= killAfter && !killedOnce {
					killedOnce = true
					close(killed)
				}
			},
		})
		if err != nil {
			t.Error(err)
		}
		resultc <- res
	}()

	select {
	case <-killed:
	case <-time.After(2 * time.Minute):
		t.Fatalf("fewer than %d deliveries were accepted in 2 minutes:\n%s", killAfter, p.stderr)
	}
	p.kill() // SIGKILL, with requests in flight on every connection
	cancel()
	res := <-resultc
	t.Logf("before and around the kill: %s", res)
	if res.OK < killAfter {
		t.Fatalf("only %d deliveries accepted", res.OK)
	}
	if res.Errors == 0 {
		t.Log("no request failed at the kill: the load may have ended before it")
	}

	dbPath := filepath.Join(home, "calwatch.db")
	integrityCheck(t, dbPath)
	if missing := missingDeliveries(t, dbPath, res.Accepted); len(missing) > 0 {
		t.Fatalf("%d of %d deliveries answered 2xx are not in the database, e.g. %s", len(missing), len(res.Accepted), missing[0])
	}
	if st := statusOf(t, bin, home); st.Listening {
		t.Errorf("status reports the killed listener as listening: %+v", st)
	}

	again := startListenProcess(t, bin, nil, home, key)
	d := loadgen.InviteeCreated("after-kill", 1, 3000)
	if code := postDelivery(t, again.state.WebhookURL, key, d.Body); code != http.StatusOK {
		t.Fatalf("the restarted listener answered %d:\n%s", code, again.stderr)
	}
	again.stop(t)
	if missing := missingDeliveries(t, dbPath, []string{d.InviteeURI}); len(missing) > 0 {
		t.Fatal("the delivery accepted after the restart is not in the database")
	}
	integrityCheck(t, dbPath)
}
