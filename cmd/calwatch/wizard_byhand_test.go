package main

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/tunnel/account"
)

// TestWizardByHand opens the real wizard in this terminal against the
// emulator, for a person (or tui-shot) to look at; it is skipped unless
// CALWATCH_WIZARD_BY_HAND=1. Build it and run the binary in a terminal:
//
//	go test -c -o /tmp/calwatch.test ./cmd/calwatch
//	CALWATCH_WIZARD_BY_HAND=1 /tmp/calwatch.test -test.run TestWizardByHand
//
// The emulator takes the token "by-hand-token" and the OAuth app
// "by-hand-app" (auto-approved; the browser is a stub).
func TestWizardByHand(t *testing.T) {
	if os.Getenv("CALWATCH_WIZARD_BY_HAND") != "1" {
		t.Skip("set CALWATCH_WIZARD_BY_HAND=1 and run the test binary in a terminal")
	}
	emu := calendlytest.NewServer(calendlytest.Options{ClientID: "by-hand-app", AutoApprove: true,
		RedirectURIs: []string{account.DefaultRedirectURI}, Tokens: []string{"by-hand-token"}})
	defer emu.Close()
	t.Setenv(envAPIURL, emu.URL)
	t.Setenv(envAuthURL, emu.URL)
	t.Setenv(envKeyring, "file")
	old := openBrowser
	openBrowser = visit
	defer func() { openBrowser = old }()
	a := &app{streams: &streams{in: os.Stdin, out: os.Stdout, errOut: os.Stderr}, home: t.TempDir()}
	res, err := runWizard(context.Background(), a)
	fmt.Printf("result: %+v\nerr: %v\n", res, err)
}
