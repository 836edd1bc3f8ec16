// Command loadgen sends distinct signed deliveries to any webhook listener
// (calwatch listen, or a baseline in another language) and prints
// deliveries/s, p50 and p99. By default they are shaped like a real
// account's traffic (-shape realistic: random UUIDs, full payloads, every
// invitee event kind); -shape padded sends the first benchmark's traffic. The signing key comes from
// CALWATCH_SIGNING_KEY so it stays out of the process list:
//
//	CALWATCH_SIGNING_KEY=k go run ./tunnel/listener/loadgen/cmd/loadgen \
//	    -url http://127.0.0.1:8787/webhooks/calendly -conns 64 -n 20000
//
// With -json it prints the result as one JSON object, including the
// invitee URIs answered 2xx, so a script can check they were all stored.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"time"

	"github.com/calwatch/calwatch/tunnel/listener/loadgen"
)

type options struct {
	cfg     loadgen.Config
	asJSON  bool
	timeout time.Duration
}

func parseArgs(args []string, getenv func(string) string, errOut io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.StringVar(&o.cfg.URL, "url", "", "the webhook `URL` to POST to")
	fs.IntVar(&o.cfg.Connections, "conns", 16, "concurrent `connections`")
	fs.IntVar(&o.cfg.Total, "n", 10_000, "deliveries to send")
	shape := fs.String("shape", string(loadgen.ShapeRealistic), "`shape` of the traffic: realistic or padded")
	fs.StringVar(&o.cfg.RunID, "run", "", "run `id`: the same id sends the same deliveries (default: random)")
	fs.IntVar(&o.cfg.BodySize, "size", 3<<10, "bytes per delivery, for -shape padded")
	fs.BoolVar(&o.asJSON, "json", false, "print the result as JSON, with the accepted invitee URIs")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch o.cfg.Shape = loadgen.Shape(*shape); o.cfg.Shape {
	case loadgen.ShapeRealistic, loadgen.ShapePadded:
	default:
		return o, fmt.Errorf("-shape must be %s or %s", loadgen.ShapeRealistic, loadgen.ShapePadded)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	u, err := url.Parse(o.cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return o, errors.New("-url must be an http(s) URL with a host")
	}
	if o.cfg.Connections < 1 || o.cfg.Connections > 4096 {
		return o, errors.New("-conns must be between 1 and 4096")
	}
	if o.cfg.Total < 1 || o.cfg.BodySize < 0 || o.cfg.BodySize > 8<<20 {
		return o, errors.New("-n must be positive and -size between 0 and 8 MiB")
	}
	o.cfg.SigningKey = []byte(getenv("CALWATCH_SIGNING_KEY"))
	if len(o.cfg.SigningKey) == 0 {
		return o, errors.New("set CALWATCH_SIGNING_KEY to the listener's signing key")
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := loadgen.Run(ctx, o.cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	if !o.asJSON {
		fmt.Println(res)
		return
	}
	out := map[string]any{
		"sent": res.Sent, "ok": res.OK, "errors": res.Errors, "status": res.Status,
		"deliveries_per_second": res.PerSecond(),
		"p50_ms":                float64(res.Percentile(0.50)) / float64(time.Millisecond),
		"p99_ms":                float64(res.Percentile(0.99)) / float64(time.Millisecond),
		"accepted":              res.Accepted,
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
