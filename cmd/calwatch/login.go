package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/cli/browser"
	"github.com/spf13/cobra"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
	"github.com/calwatch/calwatch/tui/safetext"
	"github.com/calwatch/calwatch/tunnel/account"
)

// The environment calwatch reads for its Calendly account.
const (
	envToken        = "CALENDLY_TOKEN" // used for one run, never stored
	envClientID     = "CALENDLY_CLIENT_ID"
	envClientSecret = "CALENDLY_CLIENT_SECRET"
	envAPIURL       = "CALENDLY_API_URL"
	envAuthURL      = "CALENDLY_AUTH_URL"
	envKeyring      = "CALWATCH_KEYRING" // "file" keeps the data key in a file
)

// maxTokenInput bounds what `login --token -` reads from stdin.
const maxTokenInput = 16 << 10

// openBrowser opens url in the user's browser with the browser's own
// output discarded (it would land in the terminal). Tests replace it.
var openBrowser = func(url string) error {
	browser.Stdout, browser.Stderr = io.Discard, io.Discard
	return browser.OpenURL(url)
}

type loginOptions struct {
	clientID, clientSecret string
	redirectURI            string
	noBrowser              bool
	token                  string
	hosts                  account.Hosts
}

func newLoginCmd(a *app) *cobra.Command {
	opts := &loginOptions{}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to Calendly with your OAuth app or a personal access token",
		Long: `Log in to Calendly and keep the login, sealed, in this calwatch home.

With an OAuth app (yours, registered at Calendly with the redirect URI
` + account.DefaultRedirectURI + `), calwatch opens the browser to Calendly's
sign-in, receives the answer on that loopback address, and keeps the refreshable
grant. A public client needs only its client ID (PKCE); a confidential one also
its secret, best given in the environment.

With a personal access token, pipe it on stdin (--token -): it never goes on the
command line. CALENDLY_TOKEN in the environment is used by every command for one
run without being stored.

Secrets are sealed with a data key kept in the OS keyring; where no keyring
answers (or CALWATCH_KEYRING=file) it is a 0600 file in the config folder.`,
		Example: `  CALENDLY_CLIENT_ID=... calwatch login
  calwatch login --client-id ID --no-browser
  calwatch login --token - < ~/calendly-token.txt`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return loginRun(cmd.Context(), a, opts) },
	}
	f := cmd.Flags()
	f.StringVar(&opts.clientID, "client-id", "", "the OAuth app's client `ID` (env "+envClientID+")")
	f.StringVar(&opts.clientSecret, "client-secret", "", "the OAuth app's client `SECRET`, for confidential apps (prefer env "+envClientSecret+")")
	f.StringVar(&opts.redirectURI, "redirect-uri", account.DefaultRedirectURI, "the loopback redirect `URI` registered with the OAuth app")
	f.BoolVar(&opts.noBrowser, "no-browser", false, "print the sign-in URL without opening a browser")
	f.StringVar(&opts.token, "token", "", "log in with a personal access token read from stdin (the only value is -)")
	f.StringVar(&opts.hosts.APIURL, "api-url", "", "Calendly API origin `URL` (env "+envAPIURL+"; default "+calendly.DefaultBaseURL+")")
	f.StringVar(&opts.hosts.AuthURL, "auth-url", "", "Calendly auth origin `URL` (env "+envAuthURL+"; default "+calendly.DefaultAuthURL+")")
	return cmd
}

func loginRun(ctx context.Context, a *app, opts *loginOptions) error {
	if opts.token != "" && opts.token != "-" {
		return usageErrorf("--token takes only '-' and reads the token from stdin, so it never shows in the process list")
	}
	opts.hosts = envHosts(opts.hosts)
	if opts.clientID == "" {
		opts.clientID = os.Getenv(envClientID)
	}
	if opts.clientSecret == "" {
		opts.clientSecret = os.Getenv(envClientSecret)
	}
	if opts.token == "" && opts.clientID == "" {
		return usageErrorf("log in with an OAuth app (--client-id or %s) or a personal access token (--token - on stdin)", envClientID)
	}
	store, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	home, err := a.accountHome(store)
	if err != nil {
		return err
	}
	var acct account.Account
	if opts.token == "-" {
		token, err := a.readToken()
		if err != nil {
			return err
		}
		acct, err = home.LoginWithToken(ctx, token, opts.hosts)
		if err != nil {
			return err
		}
	} else {
		app, err := calendly.NewOAuthApp(opts.clientID, opts.clientSecret, opts.redirectURI, nil, hostOptions(opts.hosts)...)
		if err != nil {
			return usageError{err}
		}
		flow := account.OAuthFlow{
			App:     app,
			ShowURL: func(u string) { a.hint("Open this URL to log in to Calendly:\n  %s", u) },
			Say:     func(msg string) { a.hint("%s", msg) },
		}
		if !opts.noBrowser {
			flow.OpenBrowser = openBrowser
		}
		a.hint("Waiting for Calendly on %s (Ctrl-C to stop)…", opts.redirectURI)
		if acct, err = home.LoginWithOAuth(ctx, flow, opts.hosts); err != nil {
			return err
		}
	}
	a.hint("Logged in to Calendly as %s <%s> (%s).", safetext.Line(acct.Name), safetext.Line(acct.Email), acct.AuthKind)
	if os.Getenv(envToken) != "" {
		a.hint("Note: %s is set in this environment and overrides the stored login while it is.", envToken)
	}
	return nil
}

// readToken reads a personal access token from stdin: without echo from a
// terminal, else the first line of what was piped in.
func (a *app) readToken() (string, error) {
	if f, ok := a.in.(*os.File); ok && term.IsTerminal(f.Fd()) {
		fmt.Fprint(a.errOut, "Paste your Calendly personal access token: ")
		b, err := term.ReadPassword(f.Fd())
		fmt.Fprintln(a.errOut)
		if err != nil {
			return "", fmt.Errorf("could not read the token from the terminal: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(io.LimitReader(a.in, maxTokenInput)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("could not read the token from stdin: %w", err)
	}
	return strings.TrimSpace(line), nil
}

// envHosts fills what the flags left empty from the environment.
func envHosts(h account.Hosts) account.Hosts {
	if h.APIURL == "" {
		h.APIURL = os.Getenv(envAPIURL)
	}
	if h.AuthURL == "" {
		h.AuthURL = os.Getenv(envAuthURL)
	}
	return h
}

func hostOptions(h account.Hosts) []calendly.Option {
	var opts []calendly.Option
	if h.APIURL != "" {
		opts = append(opts, calendly.WithBaseURL(h.APIURL))
	}
	if h.AuthURL != "" {
		opts = append(opts, calendly.WithAuthURL(h.AuthURL))
	}
	return opts
}

// accountHome is the account of this calwatch home, over store.
func (a *app) accountHome(store *storage.Store) (*account.Home, error) {
	mode := os.Getenv(envKeyring)
	if mode != "" && mode != "file" {
		return nil, usageErrorf("%s must be \"file\" or unset, not %q", envKeyring, mode)
	}
	paths := a.paths()
	d := paths.Dirs()
	for _, dir := range []string{d.Config, d.State} {
		if err := paths.EnsureDir(dir); err != nil {
			return nil, err
		}
	}
	return &account.Home{
		Store:    store,
		Keys:     &account.KeyStore{Dir: d.Config, Mode: mode, Warn: func(msg string) { a.hint("%s", msg) }},
		StateDir: d.State,
	}, nil
}

// connectAccount is the account's Calendly client for this run:
// CALENDLY_TOKEN when set (never stored), else the stored login. Commands
// that talk to Calendly call it (account.ErrNotLoggedIn says what to do),
// and call the connection's Close before they exit, so a token refresh
// under way is saved.
// hosts are --api-url/--auth-url where the command has them.
func (a *app) connectAccount(ctx context.Context, store *storage.Store, hosts account.Hosts) (*account.Connection, *account.Home, error) {
	home, err := a.accountHome(store)
	if err != nil {
		return nil, nil, err
	}
	conn, err := home.Connect(ctx, account.ConnectOptions{EnvToken: os.Getenv(envToken), Hosts: envHosts(hosts)})
	return conn, home, err
}
