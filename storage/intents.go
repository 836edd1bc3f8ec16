package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SubscriptionIntent is a webhook subscription calwatch is about to create:
// recorded before the create call, so a run that dies between Calendly's
// 201 and RememberSubscription leaves a trace of what it made.
type SubscriptionIntent struct {
	CallbackURL string    `json:"callback_url"`
	Scope       string    `json:"scope"`
	Owner       string    `json:"owner"` // the user or organization URI
	At          time.Time `json:"at"`    // just before the create call
}

// RecordSubscriptionIntent records (or renews) the intent to subscribe
// its callback URL, durably, before the subscription is created.
func (s *Store) RecordSubscriptionIntent(ctx context.Context, in SubscriptionIntent) error {
	if in.CallbackURL == "" {
		return errors.New("storage: a subscription intent needs its callback URL")
	}
	if in.At.IsZero() {
		in.At = time.Now()
	}
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `
INSERT INTO subscription_intents (callback_url, scope, owner, at) VALUES (?, ?, ?, ?)
ON CONFLICT (callback_url) DO UPDATE SET scope = excluded.scope, owner = excluded.owner, at = excluded.at`,
			in.CallbackURL, in.Scope, in.Owner, storedTime(in.At))
		if err != nil {
			return fmt.Errorf("recording the intent to subscribe %s: %w", in.CallbackURL, err)
		}
		return nil
	})
}

// SubscriptionIntents returns the recorded intents, oldest first.
func (s *Store) SubscriptionIntents(ctx context.Context) ([]SubscriptionIntent, error) {
	rows, err := s.readDB.QueryContext(ctx, `SELECT callback_url, scope, owner, at FROM subscription_intents ORDER BY at, callback_url`)
	if err != nil {
		return nil, fmt.Errorf("storage: reading subscription intents: %w", err)
	}
	defer rows.Close()
	out := []SubscriptionIntent{}
	for rows.Next() {
		var in SubscriptionIntent
		var at sql.NullString
		if err := rows.Scan(&in.CallbackURL, &in.Scope, &in.Owner, &at); err != nil {
			return nil, fmt.Errorf("storage: reading subscription intents: %w", err)
		}
		if in.At, err = parseStored(at); err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: reading subscription intents: %w", err)
	}
	return out, nil
}

// ForgetSubscriptionIntent drops the intent for callbackURL, once its
// subscription is remembered or gone.
func (s *Store) ForgetSubscriptionIntent(ctx context.Context, callbackURL string) error {
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		if _, err := conn.ExecContext(ctx, `DELETE FROM subscription_intents WHERE callback_url = ?`, callbackURL); err != nil {
			return fmt.Errorf("forgetting the intent to subscribe %s: %w", callbackURL, err)
		}
		return nil
	})
}
