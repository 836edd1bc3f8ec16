// Package subscription is the webhook subscription lifecycle: create one
// for calwatch's callback URL with the chosen events and scope, remember
// what calwatch created (with its signing key sealed), reuse or re-create it
// on a 409 or when Calendly disabled it, delete it on exit, and list and
// prune. It never deletes or changes a subscription calwatch did not create.
//
// A session runs Ensure for the URL it serves, then Prune with that URL in
// use (so a run killed before its cleanup leaves nothing behind: exactly one
// subscription of calwatch's remains), and Remove on exit unless
// --keep-subscription. An *UnavailableError from Ensure means: poll instead.
// Before each create it records an intent (the callback URL, the time), so
// a run killed between Calendly's 201 and remembering leaves a trace: the
// next Ensure, or Prune, deletes the subscription such a run left.
package subscription

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/storage"
)

// Sealer encrypts secrets at rest (storage.NewSealer makes one); identity
// is bound to the ciphertext, so a sealed key opens only for its row.
type Sealer interface {
	Seal(plaintext []byte, identity string) ([]byte, error)
	Open(sealed []byte, identity string) ([]byte, error)
}

// Store remembers the subscriptions calwatch created, and those it is
// about to create (intents), so a crash in between leaves a trace.
type Store interface {
	RememberSubscription(ctx context.Context, sub storage.Subscription) error
	Subscriptions(ctx context.Context) ([]storage.Subscription, error)
	ForgetSubscription(ctx context.Context, uri string) error
	RecordSubscriptionIntent(ctx context.Context, in storage.SubscriptionIntent) error
	SubscriptionIntents(ctx context.Context) ([]storage.SubscriptionIntent, error)
	ForgetSubscriptionIntent(ctx context.Context, callbackURL string) error
}

// How the account logged in: a personal access token subscription signs
// with a key calwatch chooses; an OAuth app's with the app's key.
const (
	AuthPAT   = "pat"
	AuthOAuth = "oauth"
)

// DefaultEvents are what calwatch subscribes to unless told otherwise.
var DefaultEvents = []string{
	calendly.EventInviteeCreated, calendly.EventInviteeCanceled,
	calendly.EventInviteeNoShowCreated, calendly.EventInviteeNoShowDeleted,
}

// ParseEvents reads an --events flag: event names separated by commas
// (spaces around them allowed, repeats dropped); "" gives DefaultEvents.
func ParseEvents(flag string) ([]string, error) {
	if strings.TrimSpace(flag) == "" {
		return slices.Clone(DefaultEvents), nil
	}
	var out []string
	for name := range strings.SplitSeq(flag, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("--events %q has an empty name; separate event names with single commas", flag)
		}
		if !slices.Contains(calendly.KnownEvents, name) {
			return nil, fmt.Errorf("--events: unknown event %q; choose from %s", name, strings.Join(calendly.KnownEvents, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// keyIdentity is the sealing identity of a subscription's signing key.
func keyIdentity(uri string) string { return "subscription/" + uri + "/signing_key" }

// Account is the logged-in Calendly account the subscriptions belong to.
type Account struct {
	User         string // user URI (from /users/me)
	Organization string // organization URI
	AuthKind     string // AuthPAT or AuthOAuth
	// AppSigningKey is the OAuth app's webhook signing key
	// (CALENDLY_WEBHOOK_SIGNING_KEY); unused for personal access tokens.
	AppSigningKey []byte
}

// Lifecycle creates, reuses and removes calwatch's subscriptions.
type Lifecycle struct {
	client  *calendly.Client
	store   Store
	sealer  Sealer
	account Account
	random  io.Reader
	now     func() time.Time
}

// New checks the account and returns a Lifecycle.
func New(client *calendly.Client, store Store, sealer Sealer, account Account) (*Lifecycle, error) {
	switch {
	case client == nil || store == nil || sealer == nil:
		return nil, errors.New("subscription: a Calendly client, a store and a sealer are needed")
	case account.User == "" || account.Organization == "":
		return nil, errors.New("subscription: the account's user and organization URIs are needed (from /users/me)")
	case account.AuthKind != AuthPAT && account.AuthKind != AuthOAuth:
		return nil, fmt.Errorf("subscription: auth kind must be %q or %q, got %q", AuthPAT, AuthOAuth, account.AuthKind)
	case account.AuthKind == AuthOAuth && len(account.AppSigningKey) == 0:
		return nil, errors.New("subscription: an OAuth login signs webhooks with the app's signing key; set CALENDLY_WEBHOOK_SIGNING_KEY to the key shown in the Calendly developer console")
	}
	return &Lifecycle{client: client, store: store, sealer: sealer, account: account, random: rand.Reader, now: time.Now}, nil
}

// Request is the subscription wanted.
type Request struct {
	CallbackURL string
	Events      []string // default DefaultEvents
	Scope       string   // calendly.ScopeUser (default) or calendly.ScopeOrganization
	// Expect, if set, is told the signing key just before a subscription
	// is created with it: Calendly may deliver before Ensure returns, and
	// a listener that already knows the key takes that delivery at once
	// instead of answering 503 and waiting for Calendly's retry.
	Expect func(key []byte)
}

func (r *Request) normalise() error {
	u, err := url.Parse(r.CallbackURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("subscription: the callback URL %q is not an absolute http(s) URL", r.CallbackURL)
	}
	if len(r.Events) == 0 {
		r.Events = DefaultEvents
	}
	for _, e := range r.Events {
		if !slices.Contains(calendly.KnownEvents, e) {
			return fmt.Errorf("subscription: unknown event %q; choose from %v", e, calendly.KnownEvents)
		}
	}
	if r.Scope == "" {
		r.Scope = calendly.ScopeUser
	}
	if r.Scope != calendly.ScopeUser && r.Scope != calendly.ScopeOrganization {
		return fmt.Errorf("subscription: scope must be %q or %q, got %q", calendly.ScopeUser, calendly.ScopeOrganization, r.Scope)
	}
	return nil
}

// Active is the subscription deliveries come through. SigningKey is the
// key Calendly signs them with: secret, never printed.
type Active struct {
	URI         string
	CallbackURL string
	Events      []string
	Scope       string
	SigningKey  []byte
	// Reused is true when an existing subscription of calwatch's was kept.
	Reused bool
}

// String describes the subscription without its key.
func (a Active) String() string {
	return fmt.Sprintf("webhook subscription %s → %s (%s scope, %v)", a.URI, a.CallbackURL, a.Scope, a.Events)
}

// LogValue keeps the key out of structured logs.
func (a Active) LogValue() slog.Value { return slog.StringValue(a.String()) }

// GoString keeps the key out of %#v.
func (a Active) GoString() string { return a.String() }

// Ensure makes sure a subscription of calwatch's, active and with the
// requested events, delivers to req.CallbackURL, and returns it with its
// signing key. It creates one; on Calendly's 409 (the URL is subscribed
// already) it reuses the existing one if calwatch created it, holds its key,
// and it is active with the same events and scope, and otherwise deletes
// that one of calwatch's and creates it again. A 409 for a subscription
// calwatch did not create gives a *ForeignError and touches nothing; a 403
// gives an *UnavailableError. First, a subscription an earlier run created
// but died before remembering (see clearIntents) is deleted: Ensure runs
// in the one process that listens for this home.
func (l *Lifecycle) Ensure(ctx context.Context, req Request) (Active, error) {
	if err := req.normalise(); err != nil {
		return Active{}, err
	}
	if _, err := l.clearIntents(ctx, 0); err != nil {
		return Active{}, err
	}
	active, err := l.create(ctx, req)
	if !errors.Is(err, calendly.ErrAlreadyExists) {
		return active, err
	}
	existing, err := l.findByURL(ctx, req)
	if err != nil {
		return Active{}, err
	}
	remembered, err := l.store.Subscriptions(ctx)
	if err != nil {
		return Active{}, fmt.Errorf("subscription: %w", err)
	}
	ours := slices.IndexFunc(remembered, func(s storage.Subscription) bool { return s.URI == existing.URI })
	if ours < 0 {
		return Active{}, &ForeignError{CallbackURL: req.CallbackURL, Existing: existing}
	}
	if active, ok, err := l.reuseOrDrop(ctx, remembered[ours], existing, req); err != nil || ok {
		return active, err
	}
	return l.create(ctx, req)
}

// reuseOrDrop decides about a subscription of calwatch's that Calendly
// has (current): ok when it can serve req as it is; otherwise it is
// deleted and forgotten.
func (l *Lifecycle) reuseOrDrop(ctx context.Context, sub storage.Subscription, current calendly.WebhookSubscription, req Request) (Active, bool, error) {
	if current.State == calendly.StateActive && current.CallbackURL == req.CallbackURL &&
		current.Scope == req.Scope && sameEvents(current.Events, req.Events) {
		if key, err := l.keyOf(sub); err == nil {
			return Active{URI: sub.URI, CallbackURL: current.CallbackURL, Events: current.Events, Scope: current.Scope, SigningKey: key, Reused: true}, true, nil
		}
	}
	return Active{}, false, l.Remove(ctx, sub.URI)
}

// keyOf is the signing key deliveries of sub are signed with.
func (l *Lifecycle) keyOf(sub storage.Subscription) ([]byte, error) {
	if l.account.AuthKind == AuthOAuth {
		if sub.AuthKind != AuthOAuth {
			return nil, errors.New("made with a personal access token")
		}
		return l.account.AppSigningKey, nil
	}
	if sub.AuthKind != AuthPAT || len(sub.SigningKey) == 0 {
		return nil, errors.New("no key of ours")
	}
	return l.sealer.Open(sub.SigningKey, keyIdentity(sub.URI))
}

// create makes a new subscription and remembers it; if it cannot be
// remembered it is deleted again, so calwatch never leaves behind one it
// does not know of.
func (l *Lifecycle) create(ctx context.Context, req Request) (Active, error) {
	key := l.account.AppSigningKey
	body := calendly.CreateWebhookSubscriptionRequest{
		URL: req.CallbackURL, Events: req.Events, Organization: l.account.Organization, Scope: req.Scope,
	}
	if req.Scope == calendly.ScopeUser {
		body.User = l.account.User
	}
	if l.account.AuthKind == AuthPAT {
		raw := make([]byte, 32)
		if _, err := io.ReadFull(l.random, raw); err != nil {
			return Active{}, fmt.Errorf("subscription: making a signing key: %w", err)
		}
		key = []byte(hex.EncodeToString(raw))
		body.SigningKey = string(key)
	}
	if err := l.recordIntent(ctx, req); err != nil {
		return Active{}, err
	}
	if req.Expect != nil {
		req.Expect(key)
	}
	created, _, err := l.client.WebhookSubscriptions.Create(ctx, body)
	if err != nil && definiteAnswer(err) {
		l.forgetIntent(ctx, req.CallbackURL)
	}
	var apiErr *calendly.APIError
	if errors.As(err, &apiErr) && errors.Is(err, calendly.ErrPermissionDenied) {
		return Active{}, &UnavailableError{CallbackURL: req.CallbackURL, Cause: apiErr}
	}
	if err != nil {
		return Active{}, fmt.Errorf("subscription: creating one for %s: %w", req.CallbackURL, err)
	}
	sealed, err := l.sealer.Seal(key, keyIdentity(created.URI))
	if err == nil {
		err = l.store.RememberSubscription(ctx, storage.Subscription{
			URI: created.URI, CallbackURL: created.CallbackURL, Scope: created.Scope, Events: created.Events,
			Owner: l.owner(created.Scope), AuthKind: l.account.AuthKind, SigningKey: sealed,
		})
	}
	if err != nil {
		undo, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, delErr := l.client.WebhookSubscriptions.Delete(undo, created.URI)
		if delErr == nil || errors.Is(delErr, calendly.ErrNotFound) {
			l.forgetIntent(undo, req.CallbackURL) // else the next run deletes it
		}
		return Active{}, fmt.Errorf("subscription: created %s but could not remember it, so deleted it again (delete: %v): %w", created.URI, delErr, err)
	}
	l.forgetIntent(ctx, req.CallbackURL)
	return Active{URI: created.URI, CallbackURL: created.CallbackURL, Events: created.Events, Scope: created.Scope, SigningKey: key}, nil
}

func (l *Lifecycle) owner(scope string) string {
	if scope == calendly.ScopeOrganization {
		return l.account.Organization
	}
	return l.account.User
}

// findByURL finds the subscription Calendly's 409 was about.
func (l *Lifecycle) findByURL(ctx context.Context, req Request) (calendly.WebhookSubscription, error) {
	opts := calendly.ListWebhookSubscriptionsOptions{Organization: l.account.Organization, Scope: req.Scope, ListOptions: calendly.ListOptions{Count: calendly.MaxPageSize}}
	if req.Scope == calendly.ScopeUser {
		opts.User = l.account.User
	}
	for sub, err := range l.client.WebhookSubscriptions.All(ctx, opts) {
		if err != nil {
			return sub, fmt.Errorf("subscription: Calendly says %s is already subscribed, and listing subscriptions to find it failed: %w", req.CallbackURL, err)
		}
		if sub.CallbackURL == req.CallbackURL {
			return sub, nil
		}
	}
	return calendly.WebhookSubscription{}, fmt.Errorf("subscription: Calendly says %s is already subscribed, but no %s-scope subscription of this account has it; it belongs to another login or app: remove it there or use another URL", req.CallbackURL, req.Scope)
}

// Remove deletes a subscription calwatch created and forgets it; one
// already gone at Calendly is just forgotten. It refuses (*NotOursError)
// a subscription calwatch did not create. The session calls it on exit
// unless --keep-subscription.
func (l *Lifecycle) Remove(ctx context.Context, uri string) error {
	remembered, err := l.store.Subscriptions(ctx)
	if err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	if !slices.ContainsFunc(remembered, func(s storage.Subscription) bool { return s.URI == uri }) {
		return &NotOursError{URI: uri}
	}
	if _, err := l.client.WebhookSubscriptions.Delete(ctx, uri); err != nil && !errors.Is(err, calendly.ErrNotFound) {
		return fmt.Errorf("subscription: deleting %s: %w", uri, err)
	}
	return l.forget(ctx, uri)
}

func (l *Lifecycle) forget(ctx context.Context, uri string) error {
	if err := l.store.ForgetSubscription(ctx, uri); err != nil {
		return fmt.Errorf("subscription: %w", err)
	}
	return nil
}

func sameEvents(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
