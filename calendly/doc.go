// Package calendly is calwatch's room for everything that speaks Calendly:
// the API v2 client, OAuth with PKCE and a token source that persists rotated
// refresh tokens, the typed resources and webhook payloads, and the webhook
// signature (Sign and Verify).
//
// It imports only the standard library and golang.org/x/oauth2, so the
// emulator (calendlytest), the store and the listener can all share its types.
package calendly
