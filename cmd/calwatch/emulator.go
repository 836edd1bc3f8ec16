package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/calendly/calendlytest"
)

// defaultEmulatorAddr is a fixed loopback port, so an app under development
// can keep the emulator's URL in its config across restarts.
const defaultEmulatorAddr = "127.0.0.1:8976"

// maxLiveRate caps --live: more than 100 changes a second is a load test,
// not an emulation.
const maxLiveRate = 6000

type emulatorOptions struct {
	addr         string
	token        string
	clientID     string
	clientSecret string
	signingKey   string
	autoApprove  bool
	seed         int64
	live         float64
	rateLimit    int
	retryBase    time.Duration
	retryWindow  time.Duration
	redirectURIs []string
	plan         string
	json         bool
}

// emulatorInfo is what `calwatch emulator --json` prints once: where the
// emulator is and its own demo credentials.
type emulatorInfo struct {
	URL          string   `json:"url"`
	Token        string   `json:"token"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	SigningKey   string   `json:"signing_key"`
	RedirectURIs []string `json:"redirect_uris"`
	AuthorizeURL string   `json:"authorize_url"`
	TokenURL     string   `json:"token_url"`
	ScenarioURL  string   `json:"scenario_url"`
}

func newEmulatorCmd(a *app) *cobra.Command {
	return newEmulatorCmdWith(a, func(ctx context.Context, opts *emulatorOptions) error {
		return emulatorRun(ctx, a, opts)
	})
}

// newEmulatorCmdWith builds the command around run, so flag parsing can be
// tested apart from serving.
func newEmulatorCmdWith(a *app, run func(context.Context, *emulatorOptions) error) *cobra.Command {
	opts := &emulatorOptions{}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run a local Calendly emulator (API, OAuth and signed webhooks)",
		Long: "Run a local Calendly emulator: Calendly's API v2 and OAuth paths, signed webhook deliveries with\n" +
			"Calendly's retry rules, and a scenario API under /_emulator/ to book, cancel, reschedule and mark\n" +
			"no-shows. It listens on " + defaultEmulatorAddr + " unless --addr says otherwise (127.0.0.1:0 picks\n" +
			"a free port), prints its URL and credentials, and serves until Ctrl-C.\n\n" +
			"The credentials it prints are the emulator's own demo credentials, made up at random unless given;\n" +
			"they open nothing at Calendly.",
		Example: "  calwatch emulator --seed 42 --live 6\n" +
			"  calwatch emulator --addr 127.0.0.1:0 --json --token dev-token --signing-key dev-key",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.validate(cmd); err != nil {
				return err
			}
			return run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.addr, "addr", defaultEmulatorAddr, "listen on `HOST:PORT` (port 0: any free port)")
	f.StringVar(&opts.token, "token", "", "accept `TOKEN` as a personal access token (default: a random one)")
	f.StringVar(&opts.clientID, "client-id", "", "the OAuth app's client `ID` (with --client-secret; default: random)")
	f.StringVar(&opts.clientSecret, "client-secret", "", "the OAuth app's client `SECRET` (with --client-id; default: random)")
	f.StringVar(&opts.signingKey, "signing-key", "", "sign the OAuth app's webhooks with `KEY` (default: random)")
	f.BoolVar(&opts.autoApprove, "auto-approve", false, "approve OAuth authorization at once instead of showing an Approve page")
	f.Int64Var(&opts.seed, "seed", 0, "pre-fill a booking history generated from seed `N` (0: start empty)")
	f.Float64Var(&opts.live, "live", 0, "keep booking, canceling, rescheduling and marking no-shows at `RATE` changes a minute")
	f.IntVar(&opts.rateLimit, "rate-limit", 0, "allow `N` API requests a minute per token, then answer 429 (0: unlimited)")
	f.DurationVar(&opts.retryBase, "retry-base", time.Minute, "wait `D` before the first webhook retry, doubling after each failure")
	f.DurationVar(&opts.retryWindow, "retry-window", 24*time.Hour, "disable a subscription after `D` of failed deliveries")
	f.StringArrayVar(&opts.redirectURIs, "redirect-uri", []string{calendlytest.DefaultRedirectURI},
		"register `URL` as an OAuth redirect URI, matched exactly (repeat for more)")
	f.StringVar(&opts.plan, "plan", calendlytest.PlanStandard, "the account's `PLAN`: standard, or free (no webhooks: creating a subscription answers 403)")
	f.BoolVar(&opts.json, "json", false, "print the URL and credentials as one JSON object on stdout")
	return cmd
}

// validate refuses flag values the emulator cannot run with.
func (o *emulatorOptions) validate(cmd *cobra.Command) error {
	if err := checkListenAddr(o.addr); err != nil {
		return usageErrorf("--addr %q: %v", o.addr, err)
	}
	for _, c := range []struct{ flag, value string }{
		{"token", o.token}, {"client-id", o.clientID}, {"client-secret", o.clientSecret}, {"signing-key", o.signingKey},
	} {
		if cmd.Flags().Changed(c.flag) {
			if err := checkCredential(c.value); err != nil {
				return usageErrorf("--%s: %v", c.flag, err)
			}
		}
	}
	if cmd.Flags().Changed("client-id") != cmd.Flags().Changed("client-secret") {
		return usageErrorf("--client-id and --client-secret go together: give both, or neither for random ones")
	}
	if math.IsNaN(o.live) || o.live < 0 || o.live > maxLiveRate {
		return usageErrorf("--live %v: give changes a minute between 0 and %d", o.live, maxLiveRate)
	}
	if o.rateLimit < 0 {
		return usageErrorf("--rate-limit %d: give requests a minute, 0 for unlimited", o.rateLimit)
	}
	if o.retryBase <= 0 {
		return usageErrorf("--retry-base %s: give a positive duration such as 1m or 500ms", o.retryBase)
	}
	if o.retryWindow < o.retryBase {
		return usageErrorf("--retry-window %s is shorter than --retry-base %s: make the window at least one retry long", o.retryWindow, o.retryBase)
	}
	for _, uri := range o.redirectURIs {
		if err := checkRedirectURI(uri); err != nil {
			return usageErrorf("--redirect-uri %q: %v", uri, err)
		}
	}
	if o.plan != calendlytest.PlanStandard && o.plan != calendlytest.PlanFree {
		return usageErrorf("--plan %q: give standard or free", o.plan)
	}
	return nil
}

// checkRedirectURI accepts what an OAuth app can register: an absolute
// http or https URL with a host and no fragment.
func checkRedirectURI(raw string) error {
	if len(raw) > 2048 || strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("must be one URL of at most 2048 bytes without spaces")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("must be an absolute http or https URL with a host, without a fragment or user info (e.g. %s)", calendlytest.DefaultRedirectURI)
	}
	return nil
}

// loopbackOnly says whether addr's host can only be reached from this
// machine: a loopback IP or "localhost". An empty host is every interface.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkListenAddr accepts HOST:PORT with a numeric port (HOST may be empty).
func checkListenAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("not HOST:PORT (e.g. 127.0.0.1:8976)")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	if strings.ContainsFunc(host, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("host %q contains spaces or control characters", host)
	}
	return nil
}

// checkCredential refuses what cannot travel in a header or a form.
func checkCredential(v string) error {
	switch {
	case v == "":
		return fmt.Errorf("is empty; leave the flag out for a random value")
	case len(v) > 512:
		return fmt.Errorf("is longer than 512 bytes")
	case strings.ContainsFunc(v, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("must be printable ASCII without spaces")
	}
	return nil
}

// emulatorRun serves the emulator until ctx is canceled.
func emulatorRun(ctx context.Context, a *app, o *emulatorOptions) error {
	info := emulatorInfo{
		Token:        orRandom(o.token, "emu_pat_"),
		ClientID:     orRandom(o.clientID, "emu_client_"),
		ClientSecret: orRandom(o.clientSecret, "emu_secret_"),
		SigningKey:   orRandom(o.signingKey, "emu_whsec_"),
	}
	if !loopbackOnly(o.addr) {
		fmt.Fprintf(a.errOut, "warning: --addr %s is not a loopback address: anyone who can reach this machine there can use the emulator's credentials and its unauthenticated scenario API; use 127.0.0.1 unless you mean to share it\n", o.addr)
	}
	info.RedirectURIs = o.redirectURIs
	srv, err := calendlytest.Listen(o.addr, calendlytest.Options{
		Tokens:       []string{info.Token},
		ClientID:     info.ClientID,
		ClientSecret: info.ClientSecret,
		SigningKey:   info.SigningKey,
		RedirectURIs: o.redirectURIs,
		Plan:         o.plan,
		AutoApprove:  o.autoApprove,
		RateLimit:    o.rateLimit,
		RetryBase:    o.retryBase,
		RetryWindow:  o.retryWindow,
		Seed:         o.seed,
		Live:         o.live,
	})
	if err != nil {
		return err
	}
	info.URL = srv.URL
	info.AuthorizeURL = srv.URL + "/oauth/authorize"
	info.TokenURL = srv.URL + "/oauth/token"
	info.ScenarioURL = srv.URL + "/_emulator/"

	printEmulatorBanner(a.errOut, info, o)
	if o.json {
		if err := json.NewEncoder(a.out).Encode(info); err != nil {
			srv.Close()
			return fmt.Errorf("cannot print the emulator's details: %w", err)
		}
	}
	<-ctx.Done()
	srv.Close()
	fmt.Fprintln(a.errOut, "Emulator stopped.")
	return nil
}

// printEmulatorBanner tells a person where the emulator is and how to use it.
func printEmulatorBanner(w io.Writer, info emulatorInfo, o *emulatorOptions) {
	fmt.Fprintf(w, "Calendly emulator listening on %s\n\n", info.URL)
	fmt.Fprintln(w, "Emulator credentials (made up for this local emulator; they open nothing at Calendly):")
	fmt.Fprintf(w, "  personal access token   %s\n", info.Token)
	fmt.Fprintf(w, "  OAuth client id         %s\n", info.ClientID)
	fmt.Fprintf(w, "  OAuth client secret     %s\n", info.ClientSecret)
	fmt.Fprintf(w, "  webhook signing key     %s  (signs subscriptions made with OAuth tokens)\n\n", info.SigningKey)
	fmt.Fprintf(w, "  API base URL            %s\n", info.URL)
	fmt.Fprintf(w, "  OAuth authorize / token %s  %s\n", info.AuthorizeURL, info.TokenURL)
	fmt.Fprintf(w, "  OAuth redirect URIs     %s  (exact matches only; add with --redirect-uri)\n", strings.Join(info.RedirectURIs, "  "))
	fmt.Fprintf(w, "  scenario API            %s  (book, cancel, reschedule, no_show, deliveries)\n", info.ScenarioURL)
	if o.plan == calendlytest.PlanFree {
		fmt.Fprintln(w, "  plan free: no webhooks (creating a subscription answers 403 Permission Denied)")
	}
	switch {
	case o.seed != 0 && o.live > 0:
		fmt.Fprintf(w, "  history from seed %d, then %g live changes a minute\n", o.seed, o.live)
	case o.seed != 0:
		fmt.Fprintf(w, "  history from seed %d\n", o.seed)
	case o.live > 0:
		fmt.Fprintf(w, "  %g live changes a minute\n", o.live)
	}
	fmt.Fprintf(w, "\nTry: curl -H 'Authorization: Bearer %s' %s/users/me\nPress Ctrl-C to stop.\n", info.Token, info.URL)
}

// orRandom is v, or prefix and a fresh random string when v is empty.
func orRandom(v, prefix string) string {
	if v != "" {
		return v
	}
	return prefix + strings.ToLower(rand.Text())
}
