// Package dbtest gives each test a fresh, migrated database, on SQLite and on PostgreSQL, so that one
// suite runs unchanged on both. PostgreSQL comes from PEERACADEMY_TEST_POSTGRES_URL (scripts/test.sh
// starts a throw-away server and sets it); without it the PostgreSQL half is skipped locally and fails
// in CI (CI=true), where a missing service is an error, never a skip.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/migrations"
)

// Dialect names a database kind under test.
type Dialect string

// The dialects every suite runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Each runs fn as a subtest once per dialect.
func Each(t *testing.T, fn func(t *testing.T, d Dialect)) {
	t.Helper()
	for _, d := range []Dialect{SQLite, Postgres} {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

// URL returns the URL of a new, empty database of dialect d, dropped when the test ends.
func URL(t testing.TB, d Dialect) string {
	t.Helper()
	if d == SQLite {
		return filepath.Join(t.TempDir(), "test.db")
	}
	admin := os.Getenv("PEERACADEMY_TEST_POSTGRES_URL")
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PEERACADEMY_TEST_POSTGRES_URL is not set: run the suite with scripts/test.sh, which starts PostgreSQL")
		}
		t.Skip("PostgreSQL not configured (PEERACADEMY_TEST_POSTGRES_URL); run scripts/test.sh for the full suite")
	}
	ctx := context.Background()
	adb, err := database.Open(ctx, admin)
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "pa_test_" + hex.EncodeToString(b)
	if _, err := adb.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		adb.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = adb.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		adb.Close()
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open returns a migrated database of dialect d, closed when the test ends.
func Open(t testing.TB, d Dialect) *bun.DB {
	t.Helper()
	db, err := database.Open(context.Background(), URL(t, d))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := database.NewMigrator(db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
