package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Integration is the Calendly account calwatch works for. AccessToken,
// RefreshToken and SigningKey hold ciphertext sealed by the caller (AES-GCM
// with a key kept outside the database); storage never sees them in the
// clear, and they are never part of JSON output.
type Integration struct {
	AuthKind        string    `json:"auth_kind"` // "oauth" or "pat"
	UserURI         string    `json:"user_uri"`
	UserName        string    `json:"user_name"`
	UserEmail       string    `json:"user_email"`
	OrganizationURI string    `json:"organization_uri"`
	AccessToken     []byte    `json:"-"`
	RefreshToken    []byte    `json:"-"`
	TokenExpiresAt  time.Time `json:"token_expires_at"`
	SigningKey      []byte    `json:"-"`
	UpdatedAt       time.Time `json:"updated_at"`
	Scopes          string    `json:"scopes"`    // space-separated, as granted; "" for a personal access token
	ClientID        string    `json:"client_id"` // the OAuth app, "" for a personal access token
	ClientSecret    []byte    `json:"-"`         // sealed; empty for a public client
	APIURL          string    `json:"api_url"`   // the hosts the tokens were issued by
	AuthURL         string    `json:"auth_url"`
}

// Subscription is a webhook subscription this program created; only those
// are ever deleted. SigningKey holds ciphertext.
type Subscription struct {
	URI         string   `json:"uri"`
	CallbackURL string   `json:"callback_url"`
	Scope       string   `json:"scope"`
	Events      []string `json:"events"`
	// Owner is the user (scope user) or organization URI it belongs to.
	Owner string `json:"owner"`
	// AuthKind is how the account was logged in when it was created:
	// "pat" (calwatch chose the signing key) or "oauth" (the app's key).
	AuthKind   string    `json:"auth_kind"`
	SigningKey []byte    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
}

// exec runs fn as one durable write through the writer.
func (s *Store) exec(ctx context.Context, fn func(ctx context.Context, conn *sql.Conn) error) error {
	_, err := s.w.submit(ctx, &writeRequest{exec: fn})
	return err
}

// SaveIntegration stores the account (replacing the one stored), durably:
// a rotated refresh token must be saved before it is used.
func (s *Store) SaveIntegration(ctx context.Context, in Integration) error {
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = time.Now()
	}
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `
INSERT INTO integration (id, auth_kind, user_uri, user_name, user_email, organization_uri,
    access_token, refresh_token, token_expires_at, signing_key, updated_at,
    scopes, client_id, client_secret, api_url, auth_url)
VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET auth_kind = excluded.auth_kind, user_uri = excluded.user_uri,
    user_name = excluded.user_name, user_email = excluded.user_email, organization_uri = excluded.organization_uri,
    access_token = excluded.access_token, refresh_token = excluded.refresh_token,
    token_expires_at = excluded.token_expires_at, signing_key = excluded.signing_key, updated_at = excluded.updated_at,
    scopes = excluded.scopes, client_id = excluded.client_id, client_secret = excluded.client_secret,
    api_url = excluded.api_url, auth_url = excluded.auth_url`,
			in.AuthKind, in.UserURI, in.UserName, in.UserEmail, in.OrganizationURI,
			in.AccessToken, in.RefreshToken, nullTime(in.TokenExpiresAt), in.SigningKey, storedTime(in.UpdatedAt),
			in.Scopes, in.ClientID, in.ClientSecret, in.APIURL, in.AuthURL)
		if err != nil {
			return fmt.Errorf("saving the Calendly account: %w", err)
		}
		return nil
	})
}

// Integration returns the stored account, or ErrNotFound before login.
func (s *Store) Integration(ctx context.Context) (Integration, error) {
	var in Integration
	var expires, updated sql.NullString
	err := s.readDB.QueryRowContext(ctx, `
SELECT auth_kind, user_uri, user_name, user_email, organization_uri, access_token, refresh_token,
    token_expires_at, signing_key, updated_at, scopes, client_id, client_secret, api_url, auth_url
FROM integration WHERE id = 1`).Scan(
		&in.AuthKind, &in.UserURI, &in.UserName, &in.UserEmail, &in.OrganizationURI,
		&in.AccessToken, &in.RefreshToken, &expires, &in.SigningKey, &updated,
		&in.Scopes, &in.ClientID, &in.ClientSecret, &in.APIURL, &in.AuthURL)
	if errors.Is(err, sql.ErrNoRows) {
		return in, fmt.Errorf("storage: no Calendly account is stored (run calwatch login): %w", ErrNotFound)
	}
	if err != nil {
		return in, fmt.Errorf("storage: reading the Calendly account: %w", err)
	}
	if in.TokenExpiresAt, err = parseStored(expires); err != nil {
		return in, err
	}
	in.UpdatedAt, err = parseStored(updated)
	return in, err
}

// DeleteIntegration forgets the account and its secrets (logout).
func (s *Store) DeleteIntegration(ctx context.Context) error {
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, `DELETE FROM integration`); err != nil {
			return fmt.Errorf("forgetting the Calendly account: %w", err)
		}
		return nil
	})
}

// RememberSubscription records a webhook subscription this program created.
func (s *Store) RememberSubscription(ctx context.Context, sub Subscription) error {
	if sub.URI == "" {
		return errors.New("storage: a subscription needs its uri to be remembered")
	}
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = time.Now()
	}
	events := encodeJSON(sub.Events)
	if events == "" {
		events = "[]"
	}
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `
INSERT INTO webhook_subscriptions (uri, callback_url, scope, events, owner, auth_kind, signing_key, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (uri) DO UPDATE SET callback_url = excluded.callback_url, scope = excluded.scope,
    events = excluded.events, owner = excluded.owner, auth_kind = excluded.auth_kind,
    signing_key = excluded.signing_key`,
			sub.URI, sub.CallbackURL, sub.Scope, events, sub.Owner, sub.AuthKind, sub.SigningKey, storedTime(sub.CreatedAt))
		if err != nil {
			return fmt.Errorf("remembering subscription %s: %w", sub.URI, err)
		}
		return nil
	})
}

// Subscriptions returns the subscriptions this program created, oldest first.
func (s *Store) Subscriptions(ctx context.Context) ([]Subscription, error) {
	rows, err := s.readDB.QueryContext(ctx, `
SELECT uri, callback_url, scope, events, owner, auth_kind, signing_key, created_at
FROM webhook_subscriptions ORDER BY created_at, uri`)
	if err != nil {
		return nil, fmt.Errorf("storage: reading subscriptions: %w", err)
	}
	defer rows.Close()
	out := []Subscription{}
	for rows.Next() {
		var sub Subscription
		var created sql.NullString
		var events string
		if err := rows.Scan(&sub.URI, &sub.CallbackURL, &sub.Scope, &events, &sub.Owner, &sub.AuthKind, &sub.SigningKey, &created); err != nil {
			return nil, fmt.Errorf("storage: reading subscriptions: %w", err)
		}
		if err := json.Unmarshal([]byte(events), &sub.Events); err != nil {
			return nil, fmt.Errorf("storage: subscription %s has unreadable events %q: %w", sub.URI, events, err)
		}
		if sub.CreatedAt, err = parseStored(created); err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: reading subscriptions: %w", err)
	}
	return out, nil
}

// ForgetSubscription drops a subscription once it is deleted at Calendly.
func (s *Store) ForgetSubscription(ctx context.Context, uri string) error {
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE uri = ?`, uri); err != nil {
			return fmt.Errorf("forgetting subscription %s: %w", uri, err)
		}
		return nil
	})
}
