// Package database opens PeerAcademy's bun.DB from a URL (postgres:// -> pgdriver, a file path ->
// SQLite on modernc.org/sqlite), runs the embedded migrations and maps driver errors to sentinels.
package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Sentinel errors every domain package can test for, whatever the dialect.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the database could not be reached (restarting, network down, closed).
	ErrUnavailable = errors.New("database unavailable")
)

// Unavailable reports whether err means the database could not be reached, as opposed to a query that
// went wrong: the HTTP layer answers the first with 503 and Retry-After, and keeps 500 for the second.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) {
		switch code := pgErr.Field('C'); {
		case strings.HasPrefix(code, "08"), // connection exception
			code == "57P01", code == "57P02", code == "57P03", // shutting down, crashed, starting up
			code == "53300": // too many connections
			return true
		}
		return false
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "sql: database is closed") || // a closed pool (SQLite file closed)
		strings.Contains(msg, "database is locked") || // SQLite busy past busy_timeout
		strings.Contains(msg, "unable to open database file")
}

// Open opens the database named by dsn and checks that it answers.
func Open(ctx context.Context, dsn string) (*bun.DB, error) {
	var db *bun.DB
	if IsPostgresURL(dsn) {
		sqldb := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(dsn), pgdriver.WithTimeout(10*time.Second)))
		sqldb.SetMaxOpenConns(25)
		sqldb.SetMaxIdleConns(25)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		db = bun.NewDB(sqldb, pgdialect.New())
	} else {
		path := SQLitePath(dsn)
		if path == "" {
			return nil, fmt.Errorf("database: empty SQLite path")
		}
		if path != ":memory:" {
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				return nil, fmt.Errorf("database: create directory for %s: %w", path, err)
			}
		}
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		sqlDSN := "file:" + path + "?" + q.Encode()
		feed := sqliteFeed(sqlDSN) // before the first connection, whose hook reports to it
		sqldb, err := sql.Open("sqlite", sqlDSN)
		if err != nil {
			return nil, fmt.Errorf("database: open SQLite: %w", err)
		}
		// One connection: SQLite has a single writer, and queuing in Go is fairer than busy retries.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetConnMaxLifetime(0)
		db = bun.NewDB(sqldb, sqlitedialect.New())
		dbFeeds.Store(db, feed)
	}
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: cannot reach the database: %w", err)
	}
	return db, nil
}

// IsPostgresURL reports whether dsn names a PostgreSQL database (anything else is a SQLite file).
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// SQLitePath is the file a SQLite database URL names ("sqlite://", "file:" and query stripped).
func SQLitePath(dsn string) string {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return path
}

// IsPostgres reports whether db speaks PostgreSQL.
func IsPostgres(db bun.IDB) bool { return db.Dialect().Name() == dialect.PG }

// Now returns the current time in UTC at the microsecond precision both databases store.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Err maps driver errors to ErrNotFound and ErrConflict; other errors pass through.
func Err(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr pgdriver.Error
	if errors.As(err, &pgErr) && pgErr.IntegrityViolation() {
		if pgErr.Field('C') == "23505" {
			return fmt.Errorf("%w: %s", ErrConflict, pgErr.Field('n'))
		}
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: UNIQUE") {
		return fmt.Errorf("%w: %s", ErrConflict, msg)
	}
	return err
}

// InTx runs fn in a transaction, committing when it returns nil.
func InTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.Tx) error) error {
	return db.RunInTx(ctx, nil, fn)
}
