package database

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/migrate"
)

// TemplateData names the few SQL fragments that differ between PostgreSQL and SQLite.
type TemplateData struct {
	Postgres bool
	TS       string // timestamp type
	Blob     string // byte string type
}

// Templates returns the migration template data for db's dialect.
func Templates(db bun.IDB) TemplateData {
	if IsPostgres(db) {
		return TemplateData{Postgres: true, TS: "TIMESTAMPTZ", Blob: "BYTEA"}
	}
	return TemplateData{TS: "TIMESTAMP", Blob: "BLOB"}
}

// Migrator wraps bun's migrator over the embedded migration files.
type Migrator struct {
	m *migrate.Migrator
}

// NewMigrator discovers the migrations in fsys (an embed.FS, never the source tree).
func NewMigrator(db *bun.DB, fsys fs.FS) (*Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(fsys); err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return &Migrator{m: migrate.NewMigrator(db, ms, migrate.WithTemplateData(Templates(db)),
		migrate.WithMarkAppliedOnSuccess(true))}, nil
}

// lock takes the migration lock, waiting while another instance holds it.
func (m *Migrator) lock(ctx context.Context) (func(), error) {
	if err := m.m.Init(ctx); err != nil {
		return nil, fmt.Errorf("migrations: init: %w", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := m.m.Lock(ctx)
		if err == nil {
			return func() { _ = m.m.Unlock(context.WithoutCancel(ctx)) }, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("migrations: another instance holds the migration lock (delete the row in bun_migration_locks if it crashed): %w", err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Up applies every pending migration and returns the names applied.
func (m *Migrator) Up(ctx context.Context) ([]string, error) {
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	group, err := m.m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return names(group), nil
}

// Down rolls back the last group of migrations.
func (m *Migrator) Down(ctx context.Context) ([]string, error) {
	unlock, err := m.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	group, err := m.m.Rollback(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return names(group), nil
}

// Status describes each migration as applied or pending.
func (m *Migrator) Status(ctx context.Context) (string, error) {
	if err := m.m.Init(ctx); err != nil {
		return "", err
	}
	ms, err := m.m.MigrationsWithStatus(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, mig := range ms {
		state := "pending"
		if mig.IsApplied() {
			state = "applied (group " + fmt.Sprint(mig.GroupID) + ")"
		}
		fmt.Fprintf(&b, "%s_%s\t%s\n", mig.Name, mig.Comment, state)
	}
	return b.String(), nil
}

// Pending reports how many migrations are not applied yet.
func (m *Migrator) Pending(ctx context.Context) (int, error) {
	if err := m.m.Init(ctx); err != nil {
		return 0, err
	}
	ms, err := m.m.MigrationsWithStatus(ctx)
	if err != nil {
		return 0, err
	}
	return len(ms.Unapplied()), nil
}

func names(g *migrate.MigrationGroup) []string {
	if g == nil || g.IsZero() {
		return nil
	}
	var out []string
	for _, m := range g.Migrations {
		out = append(out, m.Name+"_"+m.Comment)
	}
	return out
}

// ErrIsNotFound reports whether err is (or wraps) ErrNotFound.
func ErrIsNotFound(err error) bool { return errors.Is(Err(err), ErrNotFound) }
