package subscription

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"github.com/calwatch/calwatch/storage"
)

const testToken = "subscription-test-token"

// fakeSealer stands in for storage.Sealer: the identity must match on
// open, and the ciphertext never contains the plaintext.
type fakeSealer struct{}

func (fakeSealer) Seal(plaintext []byte, identity string) ([]byte, error) {
	out := []byte(identity + "|")
	for _, b := range plaintext {
		out = append(out, b^0x5a)
	}
	return out, nil
}

func (fakeSealer) Open(sealed []byte, identity string) ([]byte, error) {
	rest, ok := bytes.CutPrefix(sealed, []byte(identity+"|"))
	if !ok {
		return nil, errors.New("sealed for another identity")
	}
	out := make([]byte, len(rest))
	for i, b := range rest {
		out[i] = b ^ 0x5a
	}
	return out, nil
}

func openStore(t *testing.T) *storage.Store {
	t.Helper()
	s, err := storage.Open(context.Background(), filepath.Join(t.TempDir(), "calwatch.db"))
	if err != nil {
		t.Fatalf("storage.Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newClient(t *testing.T, baseURL, token string) *calendly.Client {
	t.Helper()
	c, err := calendly.NewClient(calendly.StaticToken(token), calendly.WithBaseURL(baseURL))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// fixture is an emulator, a client of it, a store and a lifecycle over them.
type fixture struct {
	emu    *calendlytest.Server
	client *calendly.Client
	store  *storage.Store
	life   *Lifecycle
}

func newFixture(t *testing.T, opts calendlytest.Options) *fixture {
	t.Helper()
	opts.Tokens = append(opts.Tokens, testToken)
	emu := calendlytest.NewServer(opts)
	t.Cleanup(emu.Close)
	f := &fixture{emu: emu, client: newClient(t, emu.URL, testToken), store: openStore(t)}
	f.life = f.lifecycle(t, f.store)
	return f
}

// lifecycle is another calwatch run over store (a restart).
func (f *fixture) lifecycle(t *testing.T, store Store) *Lifecycle {
	t.Helper()
	user := f.emu.DefaultUser()
	l, err := New(f.client, store, fakeSealer{}, Account{User: user.URI, Organization: user.CurrentOrganization, AuthKind: AuthPAT})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return l
}

// state is the subscription's state at the emulator, "gone" after a 404.
func (f *fixture) state(t *testing.T, uri string) string {
	t.Helper()
	sub, _, err := f.client.WebhookSubscriptions.Get(context.Background(), uri)
	if errors.Is(err, calendly.ErrNotFound) {
		return "gone"
	}
	if err != nil {
		t.Fatalf("Get %s: %v", uri, err)
	}
	return sub.State
}

// createForeign subscribes url the way another tool on the same account would.
func (f *fixture) createForeign(t *testing.T, url string) calendly.WebhookSubscription {
	t.Helper()
	user := f.emu.DefaultUser()
	sub, _, err := f.client.WebhookSubscriptions.Create(context.Background(), calendly.CreateWebhookSubscriptionRequest{
		URL: url, Events: []string{calendly.EventInviteeCreated}, Organization: user.CurrentOrganization,
		User: user.URI, Scope: calendly.ScopeUser, SigningKey: "someone-elses-key",
	})
	if err != nil {
		t.Fatalf("creating the foreign subscription: %v", err)
	}
	return *sub
}

// delivery is one webhook request a receiver got.
type delivery struct {
	header string
	body   []byte
}

// receiver is a webhook endpoint that hands every request to a channel.
func receiver(t *testing.T) (string, <-chan delivery) {
	t.Helper()
	got := make(chan delivery, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{header: r.Header.Get("Calendly-Webhook-Signature"), body: body}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook", got
}

// closedURL is a callback URL nothing listens on: deliveries to it fail.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/hook"
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
