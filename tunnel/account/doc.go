// Package account is calwatch's Calendly account: logging in (OAuth 2.0
// authorization code with PKCE through a loopback callback, or a personal
// access token), keeping its secrets sealed at rest with a data key held in
// the OS keyring (or a 0600 file where none answers), handing the rest of
// calwatch a client whose token source refreshes safely across processes,
// and logging out (our subscriptions deleted, the grant revoked, the local
// secrets and the data key gone).
package account
