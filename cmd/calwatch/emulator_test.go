package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

const emulatorTestDeadline = 10 * time.Second

// emulatorOutput is an io.Writer a running command writes to while the test
// reads it.
type emulatorOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *emulatorOutput) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *emulatorOutput) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitMatch polls b until re matches, and returns the first group.
func (b *emulatorOutput) waitMatch(t *testing.T, re *regexp.Regexp, done <-chan int) string {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(emulatorTestDeadline)
	for {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m[1]
		}
		select {
		case <-tick.C:
		case code := <-done:
			t.Fatalf("calwatch emulator exited with %d before printing %s; stderr:\n%s", code, re, b.String())
		case <-deadline:
			t.Fatalf("calwatch emulator printed no %s within %s; output:\n%s", re, emulatorTestDeadline, b.String())
		}
	}
}

// startEmulator runs `calwatch emulator args…` in-process until the test
// cancels it with stop, which returns the exit code.
func startEmulator(t *testing.T, args ...string) (out, errOut *emulatorOutput, done <-chan int, stop func() int) {
	t.Helper()
	out, errOut = &emulatorOutput{}, &emulatorOutput{}
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	go func() {
		exited <- run(ctx, append([]string{"emulator"}, args...), &streams{in: strings.NewReader(""), out: out, errOut: errOut})
	}()
	stopped := false
	var code int
	stop = func() int {
		if stopped {
			return code
		}
		stopped = true
		cancel()
		select {
		case code = <-exited:
		case <-time.After(emulatorTestDeadline):
			t.Fatalf("calwatch emulator did not stop within %s of cancel", emulatorTestDeadline)
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return out, errOut, exited, stop
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

func getUsersMe(t *testing.T, baseURL, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, baseURL+"/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /users/me: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func TestEmulatorServesWithPrintedTokenUntilCanceled(t *testing.T) {
	out, errOut, done, stop := startEmulator(t, "--addr", "127.0.0.1:0", "--token", "dev-token-1")
	url := errOut.waitMatch(t, listeningRE, done)

	status, body := getUsersMe(t, url, "dev-token-1")
	if status != http.StatusOK {
		t.Fatalf("GET /users/me with the printed token = %d %v, want 200", status, body)
	}
	resource, _ := body["resource"].(map[string]any)
	if uri, _ := resource["uri"].(string); !strings.HasPrefix(uri, url+"/users/") {
		t.Fatalf("/users/me resource.uri = %q, want a user URI on %s", uri, url)
	}
	if status, _ := getUsersMe(t, url, "not-the-token"); status != http.StatusUnauthorized {
		t.Fatalf("GET /users/me with a wrong token = %d, want 401", status)
	}
	banner := errOut.String()
	for _, want := range []string{"dev-token-1", "Emulator credentials", "emu_client_", "emu_secret_", "emu_whsec_", url + "/_emulator/"} {
		if !strings.Contains(banner, want) {
			t.Errorf("stderr banner lacks %q:\n%s", want, banner)
		}
	}
	if out.String() != "" {
		t.Errorf("stdout without --json = %q, want nothing (it is for data only)", out.String())
	}

	if code := stop(); code != exitOK {
		t.Fatalf("exit code after cancel = %d, want 0; stderr:\n%s", code, errOut.String())
	}
	if _, err := http.Get(url + "/users/me"); err == nil {
		t.Fatal("the emulator still answers after it stopped")
	}
}

func TestEmulatorJSONPrintsOneObjectWithRandomCredentials(t *testing.T) {
	out, _, done, stop := startEmulator(t, "--addr", "127.0.0.1:0", "--json", "--signing-key", "my-key")
	line := out.waitMatch(t, regexp.MustCompile(`(?s)^(\{.*\}\n)$`), done)

	var info emulatorInfo
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		t.Fatalf("stdout is not one emulator JSON object: %v\n%s", err, line)
	}
	if !strings.HasPrefix(info.Token, "emu_pat_") || len(info.Token) < len("emu_pat_")+20 {
		t.Errorf("token = %q, want a random emu_pat_… token", info.Token)
	}
	if info.SigningKey != "my-key" || info.ClientID == "" || info.ClientSecret == "" {
		t.Errorf("credentials = %+v, want the given signing key and random client id/secret", info)
	}
	if info.TokenURL != info.URL+"/oauth/token" || info.AuthorizeURL != info.URL+"/oauth/authorize" {
		t.Errorf("OAuth URLs = %q, %q, want them on %s", info.AuthorizeURL, info.TokenURL, info.URL)
	}
	if status, _ := getUsersMe(t, info.URL, info.Token); status != http.StatusOK {
		t.Fatalf("GET /users/me with the JSON token = %d, want 200", status)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("exit code = %d, want 0", code)
	}
	if strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("stdout = %q, want exactly one JSON line", out.String())
	}
}

func TestEmulatorTwoRunsGetDifferentRandomTokens(t *testing.T) {
	outA, _, doneA, _ := startEmulator(t, "--addr", "127.0.0.1:0", "--json")
	outB, _, doneB, _ := startEmulator(t, "--addr", "127.0.0.1:0", "--json")
	tokenRE := regexp.MustCompile(`"token":"([^"]+)"`)
	if a, b := outA.waitMatch(t, tokenRE, doneA), outB.waitMatch(t, tokenRE, doneB); a == b {
		t.Fatalf("two emulators made up the same token %q", a)
	}
}

func TestEmulatorBadFlagsAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "localhost"}, "--addr"},
		{[]string{"--addr", "127.0.0.1:99999"}, "port"},
		{[]string{"--addr", "127.0.0.1:http"}, "port"},
		{[]string{"--live", "-1"}, "--live"},
		{[]string{"--live", "NaN"}, "--live"},
		{[]string{"--live", "1e9"}, "--live"},
		{[]string{"--live", "fast"}, "--live"},
		{[]string{"--seed", "abc"}, "--seed"},
		{[]string{"--rate-limit", "-5"}, "--rate-limit"},
		{[]string{"--retry-base", "0s"}, "--retry-base"},
		{[]string{"--retry-base", "soon"}, "--retry-base"},
		{[]string{"--retry-base", "1m", "--retry-window", "30s"}, "--retry-window"},
		{[]string{"--client-id", "abc"}, "--client-secret"},
		{[]string{"--client-secret", "abc"}, "--client-id"},
		{[]string{"--token", ""}, "--token"},
		{[]string{"--token", "has space"}, "--token"},
		{[]string{"--signing-key", "line\nbreak"}, "--signing-key"},
		{[]string{"--redirect-uri", "/callback"}, "--redirect-uri"},
		{[]string{"--redirect-uri", "javascript:alert(1)"}, "--redirect-uri"},
		{[]string{"--redirect-uri", "http://127.0.0.1:8765/cb#frag"}, "--redirect-uri"},
		{[]string{"--redirect-uri", "http://user:pw@127.0.0.1/cb"}, "--redirect-uri"},
		{[]string{"--redirect-uri", ""}, "--redirect-uri"},
		{[]string{"--plan", "premium"}, "--plan"},
		{[]string{"extra"}, "no arguments"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), append([]string{"emulator"}, tc.args...), &streams{in: strings.NewReader(""), out: &out, errOut: &errOut})
			if code != exitUsage {
				t.Fatalf("exit code = %d, want 2; stderr: %s", code, errOut.String())
			}
			msg := errOut.String()
			if !strings.Contains(msg, tc.want) || strings.Count(strings.TrimSpace(msg), "\n") != 0 {
				t.Fatalf("stderr = %q, want one line naming %s", msg, tc.want)
			}
			if out.Len() != 0 {
				t.Fatalf("stdout = %q, want nothing", out.String())
			}
		})
	}
}

func TestEmulatorBusyAddressIsAFailureNamingTheFix(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"emulator", "--addr", l.Addr().String()}, &streams{in: strings.NewReader(""), out: &out, errOut: &errOut})
	if code != exitFailure || !strings.Contains(errOut.String(), "--addr") {
		t.Fatalf("exit %d, stderr %q; want 1 and a hint to choose another --addr", code, errOut.String())
	}
}

func TestEmulatorFlagsReachTheOptions(t *testing.T) {
	var got *emulatorOptions
	cmd := newEmulatorCmdWith(&app{streams: &streams{}}, func(_ context.Context, o *emulatorOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--addr", ":9000", "--seed", "-7", "--live", "2.5", "--rate-limit", "60",
		"--retry-base", "2s", "--retry-window", "1m", "--auto-approve", "--client-id", "id", "--client-secret", "s",
		"--redirect-uri", "http://127.0.0.1:5555/cb", "--redirect-uri", "https://app.example.com/oauth", "--plan", "free"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := emulatorOptions{addr: ":9000", seed: -7, live: 2.5, rateLimit: 60, retryBase: 2 * time.Second,
		retryWindow: time.Minute, autoApprove: true, clientID: "id", clientSecret: "s",
		redirectURIs: []string{"http://127.0.0.1:5555/cb", "https://app.example.com/oauth"}, plan: "free"}
	if !reflect.DeepEqual(*got, want) {
		t.Fatalf("options = %+v, want %+v", *got, want)
	}

	cmd = newEmulatorCmdWith(&app{streams: &streams{}}, func(_ context.Context, o *emulatorOptions) error { got = o; return nil })
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.addr != defaultEmulatorAddr || got.retryBase != time.Minute || got.retryWindow != 24*time.Hour {
		t.Fatalf("defaults = %+v, want %s, 1m and 24h as Calendly retries", *got, defaultEmulatorAddr)
	}
	if !slices.Equal(got.redirectURIs, []string{"http://localhost:8765/callback"}) || got.plan != "standard" {
		t.Fatalf("defaults = %+v, want calwatch login's loopback redirect URI and the standard plan", *got)
	}
}

// FuzzEmulatorFlags feeds arbitrary command lines to the flag parser: it
// must never panic, must refuse with a usage error, and must only ever pass
// on options the emulator can run with.
func FuzzEmulatorFlags(f *testing.F) {
	for _, seed := range []string{
		"--addr 127.0.0.1:0", "--live 3 --seed 42", "--retry-base 1ms --retry-window 1ms",
		"--addr [::1]:80", "--live Inf", "--token \x00", "--client-id a --client-secret b", "--addr :",
		"--redirect-uri http://127.0.0.1:1/cb --redirect-uri https://x.example/cb", "--redirect-uri ftp://x/cb", "--plan free",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var got *emulatorOptions
		cmd := newEmulatorCmdWith(&app{streams: &streams{}}, func(_ context.Context, o *emulatorOptions) error { got = o; return nil })
		cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		cmd.SetArgs(strings.Fields(line))
		err := cmd.Execute()
		if err != nil {
			if !errors.As(err, new(usageError)) {
				t.Fatalf("%q: error %v is not a usage error", line, err)
			}
			return
		}
		if got == nil {
			return // --help
		}
		if checkListenAddr(got.addr) != nil || got.live < 0 || got.live > maxLiveRate || got.rateLimit < 0 ||
			got.retryBase <= 0 || got.retryWindow < got.retryBase || len(got.redirectURIs) == 0 ||
			slices.ContainsFunc(got.redirectURIs, func(u string) bool { return checkRedirectURI(u) != nil }) ||
			(got.plan != "free" && got.plan != "standard") {
			t.Fatalf("%q: accepted options %+v the emulator cannot run with", line, *got)
		}
	})
}

func TestEmulatorWarnsBeforeBindingANonLoopbackAddress(t *testing.T) {
	for addr, warns := range map[string]bool{"0.0.0.0:0": true, ":0": true, "127.0.0.1:0": false, "localhost:0": false} {
		t.Run(addr, func(t *testing.T) {
			_, errOut, done, stop := startEmulator(t, "--addr", addr)
			errOut.waitMatch(t, listeningRE, done)
			stop()
			text := errOut.String()
			warning := strings.Index(text, "warning: --addr "+addr+" is not a loopback address")
			if warns && (warning < 0 || warning > strings.Index(text, "listening on")) {
				t.Fatalf("--addr %s: no warning before listening; stderr:\n%s", addr, text)
			}
			if !warns && strings.Contains(text, "warning:") {
				t.Fatalf("--addr %s is loopback but warned:\n%s", addr, text)
			}
		})
	}
}

func TestEmulatorRedirectURIFlagsRegisterExactlyThose(t *testing.T) {
	out, _, done, _ := startEmulator(t, "--addr", "127.0.0.1:0", "--json", "--auto-approve", "--client-id", "app", "--client-secret", "s",
		"--redirect-uri", "http://127.0.0.1:5555/cb", "--redirect-uri", "http://127.0.0.1:5556/cb")
	line := out.waitMatch(t, regexp.MustCompile(`(?s)^(\{.*\}\n)$`), done)
	var info emulatorInfo
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(info.RedirectURIs, []string{"http://127.0.0.1:5555/cb", "http://127.0.0.1:5556/cb"}) {
		t.Errorf("--json redirect_uris = %q", info.RedirectURIs)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for redirect, want := range map[string]int{
		"http://127.0.0.1:5555/cb":       http.StatusFound,
		"http://127.0.0.1:5556/cb":       http.StatusFound,
		"http://localhost:8765/callback": http.StatusBadRequest, // the default, replaced by the flags
		"http://127.0.0.1:5555/cb/x":     http.StatusBadRequest,
	} {
		q := url.Values{"client_id": {"app"}, "redirect_uri": {redirect}, "response_type": {"code"}}
		resp, err := noFollow.Get(info.AuthorizeURL + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("authorize with %s = %d, want %d", redirect, resp.StatusCode, want)
		}
	}
}

func TestEmulatorFreePlanRefusesSubscriptions(t *testing.T) {
	_, errOut, done, _ := startEmulator(t, "--addr", "127.0.0.1:0", "--token", "tok", "--plan", "free")
	base := errOut.waitMatch(t, listeningRE, done)
	_, me := getUsersMe(t, base, "tok")
	org, _ := me["resource"].(map[string]any)["current_organization"].(string)
	body, _ := json.Marshal(map[string]any{"url": "https://hooks.example.com/x", "events": []string{"invitee.created"},
		"organization": org, "scope": "organization"})
	req, _ := http.NewRequest(http.MethodPost, base+"/webhook_subscriptions", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST /webhook_subscriptions on --plan free = %d, want 403", resp.StatusCode)
	}
	if !strings.Contains(errOut.String(), "plan free") {
		t.Errorf("the banner does not say the plan has no webhooks:\n%s", errOut.String())
	}
}
