package notify

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/page"
)

// Mailbox reads the outbox through the database it holds (the captured mail pages in development),
// for callers (handlers) that hold services rather than the database.
type Mailbox struct {
	DB *bun.DB
}

// List returns messages newest first; to filters by recipient when set.
func (m Mailbox) List(ctx context.Context, to string, limit, offset int) ([]Message, int, error) {
	return List(ctx, m.DB, to, limit, offset)
}

// ListPage is one page of List, with the total of matches.
func (m Mailbox) ListPage(ctx context.Context, to string, r page.Request) (page.Page[Message], int, error) {
	return ListPage(ctx, m.DB, to, r)
}

// Get returns one message.
func (m Mailbox) Get(ctx context.Context, id string) (*Message, error) {
	return Get(ctx, m.DB, id)
}
