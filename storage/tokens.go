package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TokenPair is a rotated OAuth pair, sealed by the caller.
type TokenPair struct {
	AccessToken  []byte    `json:"-"`
	RefreshToken []byte    `json:"-"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// SaveTokens stores a rotated token pair for the account of userURI, in one
// durable statement that touches only the token columns: a refresh never
// rewrites (or races) the rest of the account row. It returns ErrNotFound
// when that account is no longer the stored one (logged out, or another
// login replaced it), so a late refresh cannot overwrite a newer login.
func (s *Store) SaveTokens(ctx context.Context, userURI string, pair TokenPair) error {
	if len(pair.AccessToken) == 0 {
		return errors.New("storage: a token pair needs its access token")
	}
	return s.exec(ctx, func(ctx context.Context, conn *sql.Conn) error {
		res, err := conn.ExecContext(ctx, `
UPDATE integration SET access_token = ?, refresh_token = ?, token_expires_at = ?, updated_at = ?
WHERE id = 1 AND user_uri = ?`,
			pair.AccessToken, pair.RefreshToken, nullTime(pair.ExpiresAt), storedTime(time.Now()), userURI)
		if err != nil {
			return fmt.Errorf("saving the refreshed Calendly tokens: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("storage: the account %s is no longer the stored one (logged out or replaced); refreshed tokens not saved: %w", userURI, ErrNotFound)
		}
		return nil
	})
}
