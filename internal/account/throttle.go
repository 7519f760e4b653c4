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

// Take counts one attempt for key before the work it guards is done, and reports whether the attempt
// is within max for the current window. Counting first is what makes the limit hold under concurrency:
// the database hands out the numbers 1, 2, 3 ... one at a time, so however many attempts arrive
// together, at most max of them are let through. When the limit is reached, retry is how long until
// the window ends.
func (t Throttle) Take(ctx context.Context, key string, max int) (ok bool, retry time.Duration, err error) {
	now := database.Now()
	n, err := t.Hit(ctx, key)
	if err != nil {
		return false, 0, err
	}
	if n <= max {
		return true, 0, nil
	}
	return false, t.RetryAfter(now), nil
}

// RetryAfter is how long from now until the current window ends (at least one second).
func (t Throttle) RetryAfter(now time.Time) time.Duration {
	return max(time.Second, t.windowStart(now).Add(t.Window).Sub(now).Round(time.Second))
}

// Refund gives back one attempt counted by Take (an attempt that turned out legitimate, such as a
// correct password), without going below zero.
func (t Throttle) Refund(ctx context.Context, key string) error {
	_, err := t.DB.NewRaw(`UPDATE rate_limits SET count = count - 1 WHERE key = ? AND window_start = ? AND count > 0`,
		key, t.windowStart(database.Now())).Exec(ctx)
	return err
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

// MaxWindow is the longest window any limit uses (one day); Prune keeps rows that long.
const MaxWindow = 24 * time.Hour

// Prune deletes windows that have ended. Several limits with different windows share the table, so
// it keeps every row younger than the longest of them.
func (t Throttle) Prune(ctx context.Context) error {
	_, err := t.DB.NewRaw(`DELETE FROM rate_limits WHERE window_start < ?`, database.Now().Add(-MaxWindow-t.Window)).Exec(ctx)
	return err
}
