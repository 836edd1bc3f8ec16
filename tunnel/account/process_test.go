package account

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// helperHomeEnv, when set, makes the test binary a calwatch process on the
// home it names: it asks for a token from several goroutines at once and
// prints the one it got.
const helperHomeEnv = "CALWATCH_ACCOUNT_TEST_HOME"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperHomeEnv); dir != "" {
		os.Exit(tokenHelperProcess(dir))
	}
	os.Exit(m.Run())
}

func tokenHelperProcess(dir string) int {
	home, err := openHelperHome(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	conn, err := home.Connect(context.Background(), ConnectOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tokens := make(chan string, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := conn.Tokens.TokenContext(context.Background())
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				tokens <- "error"
				return
			}
			tokens <- tok.AccessToken
		}()
	}
	wg.Wait()
	close(tokens)
	for tok := range tokens {
		fmt.Println(tok)
	}
	return 0
}

// TestRefreshAcrossTwoOSProcesses: two real processes on one home whose
// token expired refresh once between them and end with the same token.
func TestRefreshAcrossTwoOSProcesses(t *testing.T) {
	f := newCalendlyFake(t, calendlytest.Options{AutoApprove: true})
	dir := t.TempDir()
	home := testHome(t, dir)
	home.Keys.Mode = "file" // the children have no keyring mock
	loginOAuth(t, f, home)
	expireStoredTokens(t, home)

	outs := make([]string, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperHomeEnv+"="+dir)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				err = fmt.Errorf("%w: %s", err, stderr.String())
			}
			outs[i], errs[i] = string(out), err
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range outs {
		if errs[i] != nil {
			t.Fatalf("process %d: %v", i, errs[i])
		}
		for _, tok := range strings.Fields(outs[i]) {
			seen[tok] = true
		}
	}
	if len(seen) != 1 || seen["error"] {
		t.Errorf("the processes were handed %d different answers (an \"error\" among them: %v), want one token", len(seen), seen["error"])
	}
	if n := f.refreshes.Load(); n != 1 {
		t.Errorf("%d refresh grants between two processes, want 1", n)
	}
}
