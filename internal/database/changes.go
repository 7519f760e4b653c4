package database

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A change feed tells in-process caches which rows were written, whoever wrote them, so a cache can
// serve the hottest reads (the signed-in user behind a session, the days a candidate may open) without
// serving something the database no longer says.
//
//   - SQLite: the connection's pre-update, commit and rollback hooks see every row this process
//     writes; changes are published when their transaction commits. SQLite is one process.
//   - PostgreSQL: triggers on the watched tables call pg_notify (delivered on commit, to every
//     instance); each instance LISTENs on one connection. The instance also notifies itself a
//     heartbeat; while heartbeats do not arrive (listener down, reconnecting) the feed reports
//     itself unhealthy and caches stop answering, then are cleared when it recovers, because
//     notifications may have been missed meanwhile.

// Change is one committed write to a watched table. Key is the row's key column (see Watched);
// "" means "some rows of Table"; Table "*" means "anything may have changed".
type Change struct {
	Table, Key string
}

// Watched names the tables whose writes are published and the column that keys each change.
var Watched = map[string]string{
	"users":           "id",
	"sessions":        "id",
	"enrollments":     "candidate_id",
	"cohort_sessions": "cohort_id",
	"cohorts":         "id",
	"attendance":      "candidate_id",
	"makeup_work":     "candidate_id",
	"module_progress": "candidate_id",
}

// ChangesChannel is the PostgreSQL notification channel the watch triggers use.
const ChangesChannel = "peeracademy_changes"

// Heartbeat is how often an instance pings its own listener; missing three makes the feed unhealthy.
var Heartbeat = 2 * time.Second

// Feed fans committed changes out to subscribers.
type Feed struct {
	mu      sync.RWMutex
	subs    []func(Change)
	healthy atomic.Bool
	keyCols atomic.Pointer[map[string]int] // SQLite: position of each watched table's key column
	stop    func()
}

// Subscribe calls fn for every change from now on. fn runs on the writer's goroutine (SQLite) or the
// listener's (PostgreSQL): it must be quick and must not use the database.
func (f *Feed) Subscribe(fn func(Change)) {
	f.mu.Lock()
	f.subs = append(f.subs, fn)
	f.mu.Unlock()
}

// Healthy reports whether every change is reaching subscribers. Caches must not answer while it is false.
func (f *Feed) Healthy() bool { return f != nil && f.healthy.Load() }

// Close stops the PostgreSQL listener; the feed reports unhealthy afterwards.
func (f *Feed) Close() {
	if f.stop != nil {
		f.stop()
	}
	f.healthy.Store(false)
}

func (f *Feed) publish(c Change) {
	f.mu.RLock()
	subs := f.subs
	f.mu.RUnlock()
	for _, fn := range subs {
		fn(c)
	}
}

// ---- SQLite ----

// sqliteFeeds maps the DSN of each SQLite database this process opened to its feed; the driver's
// connection hook looks it up, so every connection to that file reports to the same feed.
var sqliteFeeds sync.Map // dsn -> *Feed

// dbFeeds maps each opened *bun.DB to its feed.
var dbFeeds sync.Map // *bun.DB -> *Feed

func init() {
	sqlite.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, dsn string) error {
		v, ok := sqliteFeeds.Load(dsn)
		if !ok {
			return nil
		}
		f := v.(*Feed)
		hr, ok := conn.(sqlite.HookRegisterer)
		if !ok {
			f.healthy.Store(false)
			return nil
		}
		// One connection is used by one goroutine at a time, so pending needs no lock.
		var pending []Change
		hr.RegisterPreUpdateHook(func(d sqlite.SQLitePreUpdateData) {
			if _, watched := Watched[d.TableName]; !watched || d.DatabaseName != "main" {
				return
			}
			pos, known := (*f.keyCols.Load())[d.TableName]
			if !known {
				pending = append(pending, Change{Table: d.TableName}) // before Changes ran: the whole table
				return
			}
			key := func(read func(...any) error) string {
				vals := make([]any, pos+1)
				if read(vals...) != nil {
					return ""
				}
				return keyString(vals[pos])
			}
			switch d.Op {
			case sqlite3.SQLITE_INSERT:
				pending = append(pending, Change{Table: d.TableName, Key: key(d.New)})
			case sqlite3.SQLITE_DELETE:
				pending = append(pending, Change{Table: d.TableName, Key: key(d.Old)})
			default: // an update may move the row to another key: report both
				old, nw := key(d.Old), key(d.New)
				pending = append(pending, Change{Table: d.TableName, Key: old})
				if nw != old {
					pending = append(pending, Change{Table: d.TableName, Key: nw})
				}
			}
		})
		hr.RegisterCommitHook(func() int32 {
			for _, c := range pending {
				f.publish(c)
			}
			pending = pending[:0]
			return 0
		})
		hr.RegisterRollbackHook(func() { pending = pending[:0] })
		f.healthy.Store(true)
		return nil
	})
}

func keyString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// sqliteFeed returns the feed for dsn, creating it; a file opened twice in one process shares one.
func sqliteFeed(dsn string) *Feed {
	f := &Feed{}
	empty := map[string]int{}
	f.keyCols.Store(&empty)
	v, _ := sqliteFeeds.LoadOrStore(dsn, f)
	return v.(*Feed)
}

// ---- opening ----

// Changes returns db's change feed, started: on SQLite it learns where each watched table keeps its
// key column (call it after migrating); on PostgreSQL it starts listening and returns once the first
// heartbeat has come back (or ctx ends). Close the feed when done.
func Changes(ctx context.Context, db *bun.DB, log *slog.Logger) (*Feed, error) {
	if IsPostgres(db) {
		return listen(ctx, db, log)
	}
	v, ok := dbFeeds.Load(db)
	if !ok {
		return nil, fmt.Errorf("database: no change feed for this SQLite database (was it opened with database.Open?)")
	}
	f := v.(*Feed)
	cols := map[string]int{}
	for table, col := range Watched {
		var infos []struct {
			CID  int    `bun:"cid"`
			Name string `bun:"name"`
		}
		if err := db.NewRaw("SELECT cid, name FROM pragma_table_info(?)", table).Scan(ctx, &infos); err != nil {
			return nil, fmt.Errorf("database: columns of %s: %w", table, err)
		}
		cols[table] = -1
		for _, in := range infos {
			if in.Name == col {
				cols[table] = in.CID
			}
		}
		if cols[table] < 0 {
			return nil, fmt.Errorf("database: %s has no column %s to watch", table, col)
		}
	}
	f.keyCols.Store(&cols)
	return f, nil
}

// listen starts the PostgreSQL listener and heartbeat.
func listen(ctx context.Context, db *bun.DB, log *slog.Logger) (*Feed, error) {
	f := &Feed{}
	hb := Heartbeat
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	ln := pgdriver.NewListener(db)
	if err := ln.Listen(ctx, ChangesChannel); err != nil {
		cancel()
		ln.Close()
		return nil, fmt.Errorf("database: listen for changes: %w", err)
	}
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	ping := "ping:" + hex.EncodeToString(nonce)
	var lastPing atomic.Int64 // unix nanoseconds of the last heartbeat received
	first := make(chan struct{})
	var firstOnce sync.Once
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // receive
		defer wg.Done()
		for runCtx.Err() == nil {
			channel, payload, err := ln.ReceiveTimeout(runCtx, hb)
			if err != nil {
				if runCtx.Err() != nil {
					return
				}
				if !isTimeout(err) {
					if f.healthy.Swap(false) {
						log.Warn("change feed: listener lost; caches paused", "err", err)
						f.publish(Change{Table: "*"})
					}
					select {
					case <-runCtx.Done():
						return
					case <-time.After(hb / 4):
					}
				}
				continue
			}
			if channel != ChangesChannel {
				continue
			}
			if payload == ping {
				lastPing.Store(time.Now().UnixNano())
				if !f.healthy.Load() {
					// Back (or new): anything may have changed while notifications were not arriving.
					f.publish(Change{Table: "*"})
					f.healthy.Store(true)
					firstOnce.Do(func() { close(first) })
				}
				continue
			}
			if strings.HasPrefix(payload, "ping:") {
				continue // another instance's heartbeat
			}
			table, key, _ := strings.Cut(payload, ":")
			f.publish(Change{Table: table, Key: key})
		}
	}()
	go func() { // heartbeat
		defer wg.Done()
		for {
			if err := pgdriver.Notify(runCtx, db, ChangesChannel, ping); err != nil && runCtx.Err() == nil {
				log.Warn("change feed: heartbeat not sent", "err", err)
			}
			if last := lastPing.Load(); last != 0 && time.Since(time.Unix(0, last)) > 3*hb && f.healthy.Swap(false) {
				log.Warn("change feed: heartbeats stopped arriving; caches paused")
				f.publish(Change{Table: "*"})
			}
			// While unhealthy, ping often: LISTEN is not acknowledged, so the first pings after
			// (re)connecting may reach the server before it has taken effect.
			wait := hb
			if !f.healthy.Load() {
				wait = min(hb, 50*time.Millisecond)
			}
			select {
			case <-runCtx.Done():
				return
			case <-time.After(wait):
			}
		}
	}()
	f.stop = func() {
		cancel()
		ln.Close()
		wg.Wait()
	}
	select {
	case <-first:
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		log.Warn("change feed: no heartbeat yet; caches stay off until one arrives")
	}
	return f, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
