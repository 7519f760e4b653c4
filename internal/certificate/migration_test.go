package certificate_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/migrations"
)

// A database made before signing keys could rotate keeps each vendor's key across the migration, as
// the vendor's current key: credentials it signed still verify, and it keeps signing until rotated.
func TestKeyRotationMigrationKeepsExistingKeys(t *testing.T) {
	const rotation = "20261123190000_vendor_key_rotation"
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db, err := database.Open(ctx, dbtest.URL(t, d))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		// The schema as it was: every migration before the rotation one.
		before := fstest.MapFS{}
		files, err := fs.Glob(migrations.FS, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if name < rotation {
				b, err := fs.ReadFile(migrations.FS, name)
				if err != nil {
					t.Fatal(err)
				}
				before[name] = &fstest.MapFile{Data: b}
			}
		}
		old, err := database.NewMigrator(db, before)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.Up(ctx); err != nil {
			t.Fatalf("migrate to the old schema: %v", err)
		}
		now := database.Now()
		if _, err := db.ExecContext(ctx, `INSERT INTO vendors (id, name, slug, timezone, contact_email, created_at) VALUES ('v1', 'Old Vendor', 'old-vendor', 'America/New_York', '', ?)`, now); err != nil {
			t.Fatal(err)
		}
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		kid := certificate.KeyID(pub)
		if _, err := db.ExecContext(ctx, `INSERT INTO vendor_keys (vendor_id, kid, public_key, private_key_sealed, created_at) VALUES ('v1', ?, ?, 'k1:sealed', ?)`,
			kid, base64.StdEncoding.EncodeToString(pub), now); err != nil {
			t.Fatal(err)
		}

		full, err := database.NewMigrator(db, migrations.FS)
		if err != nil {
			t.Fatal(err)
		}
		applied, err := full.Up(ctx)
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if len(applied) == 0 || !strings.Contains(strings.Join(applied, ","), rotation) {
			t.Fatalf("applied %v; want the rotation migration among them", applied)
		}
		svc := &certificate.Service{DB: db}
		keys, err := svc.PublicKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0].KID != kid || keys[0].RetiredAt != nil || !keys[0].PublicKey.Equal(pub) {
			t.Fatalf("keys after the migration: %+v", keys)
		}
		// The current-key index holds: a second current key for the vendor is refused.
		_, err = db.ExecContext(ctx, `INSERT INTO vendor_keys (kid, vendor_id, public_key, private_key_sealed, created_at) VALUES ('other', 'v1', 'x', 'y', ?)`, now)
		if !errors.Is(database.Err(err), database.ErrConflict) {
			t.Fatalf("a second current key for the vendor: %v; want a unique-index conflict", err)
		}
	})
}
