package database_test

import (
	"context"
	"net"
	"testing"

	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestUnavailable tells an unreachable database (503) from a query that is wrong (a bug: 500).
func TestUnavailable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		_, err := db.ExecContext(ctx, "SELECT no_such_column FROM no_such_table")
		if err == nil || database.Unavailable(err) {
			t.Fatalf("a broken query counts as the database being unavailable: %v", err)
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('x', '1'), ('x', '2')"); err == nil || database.Unavailable(err) {
			t.Fatalf("a constraint violation counts as the database being unavailable: %v", err)
		}
		db.Close()
		_, err = db.ExecContext(ctx, "SELECT 1")
		if !database.Unavailable(err) {
			t.Fatalf("closed database: %v not reported as unavailable", err)
		}
	})
	// A PostgreSQL server that is not listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = database.Open(context.Background(), "postgres://nobody@"+addr+"/none?sslmode=disable")
	if !database.Unavailable(err) {
		t.Fatalf("closed port: %v not reported as unavailable", err)
	}
}
