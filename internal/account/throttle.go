package account

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
)

// Throttle counts events per key in fixed time windows, in the database, so that the limit holds
// across every app instance. One INSERT ... ON CONFLICT DO UPDATE ... RETURNING makes each hit
// atomic on PostgreSQL and SQLite alike.
type Throttle struct {
	DB     bun.IDB
	Window time.Duration
}

func (t Throttle) windowStart(now time.Time) time.Time { return now.Truncate(t.Window) }

// Hit adds one event for key and returns the count in the current window.
func (t Throttle) Hit(ctx context.Context, key string) (int, error) {
	var n int
	err := t.DB.NewRaw(`INSERT INTO rate_limits (key, window_start, count) VALUES (?, ?, 1)
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1 RETURNING count`,
		key, t.windowStart(database.Now())).Scan(ctx, &n)
	return n, err
}

// Count returns the events for key in the current window.
func (t Throttle) Count(ctx context.Context, key string) (int, error) {
	var n int
	err := t.DB.NewRaw(`SELECT COALESCE(SUM(count), 0) FROM rate_limits WHERE key = ? AND window_start = ?`,
		key, t.windowStart(database.Now())).Scan(ctx, &n)
	return n, err
}

// Reset forgets key's events (after a successful sign-in).
func (t Throttle) Reset(ctx context.Context, key string) error {
	_, err := t.DB.NewRaw(`DELETE FROM rate_limits WHERE key = ?`, key).Exec(ctx)
	return err
}

// Prune deletes windows that have ended.
func (t Throttle) Prune(ctx context.Context) error {
	_, err := t.DB.NewRaw(`DELETE FROM rate_limits WHERE window_start < ?`, t.windowStart(database.Now()).Add(-t.Window)).Exec(ctx)
	return err
}
