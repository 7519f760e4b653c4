package eligibility_test

import (
	"context"
	"testing"

	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/migrations"
)

// The migration rolls back and applies again cleanly on both dialects.
func TestMigrationDownAndUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		m, err := database.NewMigrator(db, migrations.FS)
		must(t, err)
		if _, err := m.Down(ctx); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := db.NewSelect().Table("applications").Limit(1).Exec(ctx); err == nil {
			t.Fatal("applications still exists after down")
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if _, err := db.NewSelect().Table("application_documents").Limit(1).Exec(ctx); err != nil {
			t.Fatalf("after up: %v", err)
		}
	})
}
