package audit

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/page"
)

// Trail reads and appends the audit trail through the database it holds, for callers (handlers)
// that hold services rather than the database. A change made in a transaction records with Record
// and the transaction instead.
type Trail struct {
	DB *bun.DB
}

// Record appends an event on its own.
func (t Trail) Record(ctx context.Context, a Actor, e Entry) error {
	return Record(ctx, t.DB, a, e)
}

// List returns events newest first, and the value of Filter.Before for the next page.
func (t Trail) List(ctx context.Context, f Filter) ([]Event, string, error) {
	return List(ctx, t.DB, f)
}

// ListPage is one page of events, newest first.
func (t Trail) ListPage(ctx context.Context, f Filter, r page.Request) (page.Page[Event], error) {
	return ListPage(ctx, t.DB, f, r)
}
