package database_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/migrations"
)

func TestMigrationsUpDownUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db, err := database.Open(ctx, dbtest.URL(t, d))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		m, err := database.NewMigrator(db, migrations.FS)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := m.Pending(ctx); err != nil || n == 0 {
			t.Fatalf("pending = %d, %v; want some", n, err)
		}
		if names, err := m.Up(ctx); err != nil || len(names) == 0 {
			t.Fatalf("up: %v %v", names, err)
		}
		if n, _ := m.Pending(ctx); n != 0 {
			t.Fatalf("pending after up = %d", n)
		}
		if names, err := m.Down(ctx); err != nil || len(names) == 0 {
			t.Fatalf("down: %v %v", names, err)
		}
		if _, err := db.ExecContext(ctx, "SELECT 1 FROM users"); err == nil {
			t.Fatal("users table still exists after down")
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		st, err := m.Status(ctx)
		if err != nil || !strings.Contains(st, "applied") {
			t.Fatalf("status %q %v", st, err)
		}
	})
}

func TestErrorMapping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		if _, err := db.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', 'v')"); err != nil {
			t.Fatal(err)
		}
		_, err := db.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', 'w')")
		if !errors.Is(database.Err(err), database.ErrConflict) {
			t.Fatalf("duplicate key: got %v, want ErrConflict", err)
		}
		var v string
		err = db.NewRaw("SELECT value FROM settings WHERE key = 'missing'").Scan(ctx, &v)
		if !errors.Is(database.Err(err), database.ErrNotFound) {
			t.Fatalf("no rows: got %v, want ErrNotFound", err)
		}
	})
}

func TestAuditIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		if err := audit.Record(ctx, db, audit.Actor{UserID: "u1", Role: "platform_admin", IP: "127.0.0.1"}, audit.Entry{Action: "test.thing", SubjectType: "user", SubjectID: "x", VendorID: "v1", Details: map[string]any{"n": 1}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "UPDATE audit_events SET action = 'changed'"); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("update allowed: %v", err)
		}
		if _, err := db.ExecContext(ctx, "DELETE FROM audit_events"); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("delete allowed: %v", err)
		}
		evs, _, err := audit.List(ctx, db, audit.Filter{VendorID: "v1"})
		if err != nil || len(evs) != 1 || evs[0].Action != "test.thing" || evs[0].Details != `{"n":1}` {
			t.Fatalf("list: %+v %v", evs, err)
		}
		other, _, _ := audit.List(ctx, db, audit.Filter{VendorID: "v2"})
		if len(other) != 0 {
			t.Fatalf("another vendor sees %d events", len(other))
		}
	})
}
