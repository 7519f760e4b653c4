package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"

	"github.com/peeracademy/peeracademy/internal/database"
)

// querier is what the digest needs: *sql.DB, *sql.Tx and bun.Tx all have it.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// snapshot is a consistent copy of the database on local disk, with what the manifest records of it.
type snapshot struct {
	path       string
	name       string
	tables     []Table
	migrations []string
}

// takeSnapshot copies the database into dir while it keeps serving.
func takeSnapshot(ctx context.Context, db *bun.DB, dsn, dir string) (*snapshot, error) {
	if database.IsPostgres(db) {
		return snapshotPG(ctx, db, dsn, dir)
	}
	return snapshotSQLite(ctx, db, dir)
}

// snapshotSQLite uses VACUUM INTO, which writes a transactionally consistent copy of a live WAL
// database (a file copy of the database and its -wal file can be torn). The copy is then read for
// the digests, so they describe exactly the bytes in the archive.
func snapshotSQLite(ctx context.Context, db *bun.DB, dir string) (*snapshot, error) {
	path := filepath.Join(dir, SQLiteName)
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return nil, fmt.Errorf("backup: copy the SQLite database: %w", err)
	}
	cp, err := openSQLiteFile(path, true)
	if err != nil {
		return nil, err
	}
	defer cp.Close()
	s := &snapshot{path: path, name: SQLiteName}
	if s.tables, s.migrations, err = describe(ctx, cp, DialectSQLite); err != nil {
		return nil, err
	}
	return s, nil
}

func openSQLiteFile(path string, readOnly bool) (*sql.DB, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)"
	if readOnly {
		dsn += "&mode=ro"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("backup: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// snapshotPG runs pg_dump inside a snapshot exported from a repeatable-read transaction, and takes
// the digests in that same transaction, so dump and manifest describe one moment.
func snapshotPG(ctx context.Context, db *bun.DB, dsn, dir string) (*snapshot, error) {
	pgDump, err := exec.LookPath("pg_dump")
	if err != nil {
		return nil, fmt.Errorf("backup: pg_dump is not on the PATH (install the PostgreSQL client tools of the server's major version): %w", err)
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("backup: start the snapshot transaction: %w", err)
	}
	defer tx.Rollback()
	var snap string
	if err := tx.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&snap); err != nil {
		return nil, fmt.Errorf("backup: export a snapshot: %w", err)
	}
	path := filepath.Join(dir, PGDumpName)
	cmd := exec.CommandContext(ctx, pgDump, "--format=custom", "--no-owner", "--no-privileges",
		"--snapshot="+snap, "--file="+path, "--dbname="+dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("backup: pg_dump failed: %w: %s", err, strings.TrimSpace(string(out)))
	}
	s := &snapshot{path: path, name: PGDumpName}
	if s.tables, s.migrations, err = describe(ctx, tx, DialectPG); err != nil {
		return nil, err
	}
	return s, nil
}

// describe lists the tables with their row counts and digests, and the applied migrations.
func describe(ctx context.Context, q querier, dialect string) ([]Table, []string, error) {
	names, err := tableNames(ctx, q, dialect)
	if err != nil {
		return nil, nil, err
	}
	tables := make([]Table, 0, len(names))
	for _, n := range names {
		t, err := digestTable(ctx, q, n)
		if err != nil {
			return nil, nil, err
		}
		tables = append(tables, t)
	}
	migs, err := appliedMigrations(ctx, q)
	return tables, migs, err
}

func tableNames(ctx context.Context, q querier, dialect string) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if dialect == DialectPG {
		query = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`
	}
	return strings1(ctx, q, query)
}

func appliedMigrations(ctx context.Context, q querier) ([]string, error) {
	return strings1(ctx, q, `SELECT name FROM bun_migrations WHERE group_id > 0 ORDER BY name`)
}

func strings1(ctx context.Context, q querier, query string) ([]string, error) {
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("backup: %s: %w", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// digestTable counts the rows and sums a 64-bit hash of each, so the digest does not depend on the
// order rows come back in. Values are written with their Go type, times in UTC, bytes in hex.
func digestTable(ctx context.Context, q querier, name string) (Table, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM "`+name+`"`)
	if err != nil {
		return Table{}, fmt.Errorf("backup: read table %s: %w", name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return Table{}, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	t := Table{Name: name}
	var sum uint64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return Table{}, fmt.Errorf("backup: read table %s: %w", name, err)
		}
		h := sha256.New()
		for i, v := range vals {
			fmt.Fprintf(h, "%s=%s\x00", cols[i], canonical(v))
		}
		sum += binary.BigEndian.Uint64(h.Sum(nil))
		t.Rows++
	}
	if err := rows.Err(); err != nil {
		return Table{}, err
	}
	t.Digest = fmt.Sprintf("%016x", sum)
	return t, nil
}

func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case []byte:
		return "x" + hex.EncodeToString(x)
	case time.Time:
		return "t" + x.UTC().Format(time.RFC3339Nano)
	default:
		return fmt.Sprintf("%T:%v", x, x)
	}
}

// KnownMigrations lists the migrations this binary carries, oldest first.
func KnownMigrations(fsys fs.FS) ([]string, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(fsys); err != nil {
		return nil, err
	}
	var names []string
	for _, m := range ms.Sorted() {
		names = append(names, m.Name)
	}
	return names, nil
}
