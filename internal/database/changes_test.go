package database_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// recorder collects a feed's changes.
type recorder struct {
	mu  sync.Mutex
	got []database.Change
}

func (r *recorder) add(c database.Change) {
	r.mu.Lock()
	r.got = append(r.got, c)
	r.mu.Unlock()
}

// waitFor waits up to 5s for want, and returns whether it came.
func (r *recorder) waitFor(want database.Change) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, c := range r.got {
			if c == want {
				r.mu.Unlock()
				return true
			}
		}
		r.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

func (r *recorder) count(want database.Change) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.got {
		if c == want {
			n++
		}
	}
	return n
}

func (r *recorder) has(table, key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.got {
		if c.Table == table && c.Key == key {
			return true
		}
	}
	return false
}

func insertUser(t *testing.T, db bun.IDB, id string) {
	t.Helper()
	now := database.Now()
	if _, err := db.ExecContext(context.Background(), `INSERT INTO users (id, email, name, role, password_hash, totp_secret, totp_last_step, created_at, updated_at)
VALUES (?, ?, 'Feed Tester', 'candidate', '', '', 0, ?, ?)`, id, id+"@example.org", now, now); err != nil {
		t.Fatal(err)
	}
}

func TestChangeFeedReportsCommittedWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		feed, err := database.Changes(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer feed.Close()
		if !feed.Healthy() {
			t.Fatal("a new feed is not healthy")
		}
		rec := &recorder{}
		feed.Subscribe(rec.add)

		insertUser(t, db, "u-feed-1")
		if _, err := db.ExecContext(ctx, "UPDATE users SET name = 'Renamed' WHERE id = ?", "u-feed-1"); err != nil {
			t.Fatal(err)
		}
		if !rec.waitFor(database.Change{Table: "users", Key: "u-feed-1"}) {
			t.Fatalf("no change for the updated user; got %v", rec.got)
		}

		// A rolled-back write is not reported; the next committed one is.
		before := rec.count(database.Change{Table: "users", Key: "u-feed-1"})
		err = database.InTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "UPDATE users SET name = 'Never' WHERE id = ?", "u-feed-1"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "UPDATE settings SET value = value WHERE key = 'none'"); err != nil {
				return err
			}
			return context.Canceled // roll back
		})
		if err != context.Canceled {
			t.Fatalf("InTx: %v", err)
		}
		insertUser(t, db, "u-feed-2")
		if _, err := db.ExecContext(ctx, "DELETE FROM users WHERE id = ?", "u-feed-2"); err != nil {
			t.Fatal(err)
		}
		if !rec.waitFor(database.Change{Table: "users", Key: "u-feed-2"}) {
			t.Fatalf("no change for the deleted user; got %v", rec.got)
		}
		if n := rec.count(database.Change{Table: "users", Key: "u-feed-1"}); n != before {
			t.Fatalf("the rolled-back update was reported (%d changes before, %d after)", before, n)
		}

		// A session deleted by cascade from its user is reported by the session's key.
		insertUser(t, db, "u-feed-3")
		now := database.Now()
		if _, err := db.ExecContext(ctx, `INSERT INTO sessions (id, user_id, kind, stage, created_at, last_seen_at, expires_at, ip, user_agent)
VALUES ('s-feed-3', 'u-feed-3', 'web', 'full', ?, ?, ?, '', '')`, now, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id = 's-feed-3'", now.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if !rec.waitFor(database.Change{Table: "sessions", Key: "s-feed-3"}) {
			t.Fatalf("no change for the updated session; got %v", rec.got)
		}
		if rec.has("settings", "") {
			t.Fatal("an unwatched table was reported")
		}
	})
}

// On PostgreSQL the listener's connection can drop. The feed must report itself unhealthy (so caches
// stop answering), tell subscribers everything may have changed, and recover on its own.
func TestChangeFeedRecoversFromALostListener(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t, dbtest.Postgres)
	old := database.Heartbeat
	database.Heartbeat = 200 * time.Millisecond
	defer func() { database.Heartbeat = old }()
	feed, err := database.Changes(ctx, db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer feed.Close()
	rec := &recorder{}
	feed.Subscribe(rec.add)
	if !feed.Healthy() {
		t.Fatal("not healthy at start")
	}
	res, err := db.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("terminated %d listener connections; want 1", n)
	}
	if !rec.waitFor(database.Change{Table: "*"}) {
		t.Fatal("subscribers were not told that changes may have been missed")
	}
	deadline := time.Now().Add(10 * time.Second)
	for !feed.Healthy() {
		if time.Now().After(deadline) {
			t.Fatal("the feed did not recover within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	insertUser(t, db, "u-after")
	if _, err := db.ExecContext(ctx, "UPDATE users SET name = 'After' WHERE id = 'u-after'"); err != nil {
		t.Fatal(err)
	}
	if !rec.waitFor(database.Change{Table: "users", Key: "u-after"}) {
		t.Fatal("no change reported after recovery")
	}
}
