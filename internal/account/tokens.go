package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/database"
)

// NewSecret returns a random URL-safe token with 256 bits of entropy.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is how tokens are stored: only the hash, so a database leak yields no usable token.
// It runs on every signed-in request, so short secrets are hashed from a stack copy (one allocation,
// the result, instead of three).
func HashSecret(s string) string {
	var h [sha256.Size]byte
	var buf [64]byte
	if len(s) <= len(buf) {
		h = sha256.Sum256(buf[:copy(buf[:], s)])
	} else {
		h = sha256.Sum256([]byte(s))
	}
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], h[:])
	return string(out[:])
}

// ErrTokenInvalid is returned for unknown, expired and already used tokens alike.
var ErrTokenInvalid = apperr.New(apperr.Gone, "token_invalid",
	"This link has expired or has already been used. Ask for a new one.")

// issueToken stores a new single-use token and returns its secret.
func issueToken(ctx context.Context, db bun.IDB, t *Token, ttl time.Duration) (string, error) {
	secret := NewSecret()
	now := database.Now()
	t.ID = HashSecret(secret)
	t.CreatedAt = now
	t.ExpiresAt = now.Add(ttl)
	if _, err := db.NewInsert().Model(t).Exec(ctx); err != nil {
		return "", err
	}
	return secret, nil
}

// peekToken returns a valid, unused token without consuming it (to show a form).
func peekToken(ctx context.Context, db bun.IDB, purpose, secret string) (*Token, error) {
	t := new(Token)
	err := db.NewSelect().Model(t).Where("id = ?", HashSecret(secret)).Where("purpose = ?", purpose).
		Where("used_at IS NULL").Where("expires_at > ?", database.Now()).Scan(ctx)
	if err != nil {
		if database.ErrIsNotFound(err) {
			return nil, ErrTokenInvalid
		}
		return nil, err
	}
	return t, nil
}

// consumeToken marks a token used, atomically: of two racing requests exactly one succeeds.
func consumeToken(ctx context.Context, db bun.IDB, purpose, secret string) (*Token, error) {
	t, err := peekToken(ctx, db, purpose, secret)
	if err != nil {
		return nil, err
	}
	res, err := db.NewUpdate().Model((*Token)(nil)).Set("used_at = ?", database.Now()).
		Where("id = ?", t.ID).Where("used_at IS NULL").Exec(ctx)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, ErrTokenInvalid
	}
	return t, nil
}
