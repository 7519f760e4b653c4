package library

import (
	"context"
	"io"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/media"
)

// Service keeps vendors' handouts in the database and media store it holds, for callers (handlers)
// that hold services rather than the database.
type Service struct {
	DB    *bun.DB
	Media media.Store
}

// Upload stores a handout for the actor's vendor.
func (s Service) Upload(ctx context.Context, a audit.Actor, actor *account.User, name string, r io.Reader, maxSize int64) (*File, error) {
	return Upload(ctx, s.DB, s.Media, a, actor, name, r, maxSize)
}

// List returns a vendor's handouts, newest first.
func (s Service) List(ctx context.Context, vendorID string) ([]File, error) {
	return List(ctx, s.DB, vendorID)
}

// Get returns one of a vendor's handouts.
func (s Service) Get(ctx context.Context, vendorID, id string) (*File, error) {
	return Get(ctx, s.DB, vendorID, id)
}
