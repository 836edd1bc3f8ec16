// Command calwatch is a terminal companion for Calendly: it verifies and
// stores webhook deliveries, shows bookings, and carries a Calendly emulator.
// This package holds flags, subcommands and wiring only; the logic lives in
// calendly, storage, tunnel and tui.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIGHUP (the terminal went away) stops as gracefully as SIGTERM: a
	// listener drains what it has accepted.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	// After the first signal, a second one ends calwatch at once instead of
	// waiting out a graceful stop.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], &streams{in: os.Stdin, out: os.Stdout, errOut: os.Stderr})
	stop()
	os.Exit(code)
}
