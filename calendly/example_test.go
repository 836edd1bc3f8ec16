package calendly_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/calwatch/calwatch/calendly"
	"github.com/calwatch/calwatch/calendly/calendlytest"
	"golang.org/x/oauth2"
)

// A personal access token, every scheduled event page by page, and the
// typed 409 when subscribing the same URL twice. The emulator stands in for
// api.calendly.com.
func ExampleClient() {
	emulator := calendlytest.NewServer(calendlytest.Options{Tokens: []string{"my-pat"}})
	defer emulator.Close()
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	for i, email := range []string{"ada@example.com", "grace@example.com", "alan@example.com"} {
		emulator.Book(calendlytest.BookRequest{Email: email, Name: email, StartTime: start.Add(time.Duration(i) * time.Hour)})
	}

	ctx := context.Background()
	client, err := calendly.NewClient(calendly.StaticToken("my-pat"), calendly.WithBaseURL(emulator.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	me, _, err := client.Users.Me(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := calendly.ListScheduledEventsOptions{User: me.URI, Sort: "start_time:asc", ListOptions: calendly.ListOptions{Count: 2}}
	for event, err := range client.ScheduledEvents.All(ctx, opts) {
		if err != nil {
			fmt.Println(err)
			return
		}
		invitees, _, _ := client.Invitees.List(ctx, event.URI, calendly.ListInviteesOptions{})
		fmt.Println(event.Status, invitees[0].Email)
	}

	hook := calendly.CreateWebhookSubscriptionRequest{
		URL: "https://example.com/calendly", Events: []string{calendly.EventInviteeCreated},
		Organization: me.CurrentOrganization, User: me.URI, Scope: calendly.ScopeUser, SigningKey: "keep-me-secret",
	}
	client.WebhookSubscriptions.Create(ctx, hook)
	_, _, err = client.WebhookSubscriptions.Create(ctx, hook)
	fmt.Println(errors.Is(err, calendly.ErrAlreadyExists))
	// Output:
	// active ada@example.com
	// active grace@example.com
	// active alan@example.com
	// true
}

// Sign in with OAuth and PKCE, then let a PersistingTokenSource keep the
// tokens fresh, saving every rotated pair before it is used.
func ExampleOAuthApp() {
	emulator := calendlytest.NewServer(calendlytest.Options{ClientID: "my-app", ClientSecret: "my-secret", AutoApprove: true})
	defer emulator.Close()
	ctx := context.Background()

	app, err := calendly.NewOAuthApp("my-app", "my-secret", calendlytest.DefaultRedirectURI, calendly.DefaultScopes,
		calendly.WithAuthURL(emulator.URL))
	if err != nil {
		fmt.Println(err)
		return
	}
	verifier := oauth2.GenerateVerifier()
	// Open app.AuthCodeURL(state, verifier) in the browser; the redirect
	// brings back ?code=…&state=…. Here the emulator approves at once.
	code := followAuthorize(app.AuthCodeURL("state", verifier))
	token, err := app.Exchange(ctx, code, verifier)
	if err != nil {
		fmt.Println(err)
		return
	}
	owner, _ := calendly.TokenOwner(token)
	fmt.Println("owner is the default user:", owner == emulator.DefaultUser().URI)

	save := func(ctx context.Context, t *oauth2.Token) error { return nil } // write to the store, durably
	source, err := app.TokenSource(token, save)
	if err != nil {
		fmt.Println(err)
		return
	}
	client, _ := calendly.NewClient(source, calendly.WithBaseURL(emulator.URL))
	me, _, err := client.Users.Me(ctx)
	fmt.Println(me != nil && me.URI == owner, err)
	// Output:
	// owner is the default user: true
	// true <nil>
}

// followAuthorize reads the code from the authorize redirect.
func followAuthorize(authURL string) string {
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	if err != nil {
		return ""
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	return loc.Query().Get("code")
}
