package certificate_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
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
		migrateBefore(t, db, rotation)
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

// migrateBefore brings db to the schema as it was before the migration named first: every migration
// whose name sorts before it.
func migrateBefore(t *testing.T, db *bun.DB, first string) {
	t.Helper()
	before := fstest.MapFS{}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if name < first {
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
	if _, err := old.Up(context.Background()); err != nil {
		t.Fatalf("migrate to the old schema: %v", err)
	}
}

// Certificates issued before status lists get positions in their vendor's list in the migration, in
// order of issue, and the next issue continues after them; a revoked one is marked in the list.
func TestStatusListMigrationIndexesExistingCertificates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixtureBefore(t, d, "20261202215100_status_list")
		base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		insert := func(id, vendorID string, at time.Time, revoked bool) {
			cand := f.user(account.RoleCandidate, "", "Holder "+id)
			status, revokedAt := "active", (*time.Time)(nil)
			if revoked {
				status, revokedAt = "revoked", &at
			}
			_, err := f.db.ExecContext(f.ctx, `INSERT INTO certificates (id, number, verify_code, candidate_id, vendor_id, holder_name, holder_last_name_norm,
				credential, issued_at, valid_from, expires_at, status, revoked_at, pdf_key, credential_json, ce_rule, created_at)
				VALUES (?, ?, ?, ?, ?, ?, 'holder', 'Certified Peer Specialist', ?, ?, ?, ?, ?, '', '', 'annual-18', ?)`,
				id, "N-"+id, "code-"+id, cand.ID, vendorID, "Holder "+id, at, at, at.AddDate(2, 0, 0), status, revokedAt, at)
			if err != nil {
				t.Fatal(err)
			}
		}
		// Out of id order, to show the order is the order of issue.
		insert("b", f.vendor.ID, base.Add(2*time.Hour), false)
		insert("c", f.vendor.ID, base, false)
		insert("a", f.vendor.ID, base.Add(time.Hour), true)
		insert("z", f.other.ID, base, false)

		full, err := database.NewMigrator(f.db, migrations.FS)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := full.Up(f.ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		for id, want := range map[string]int{"c": 0, "a": 1, "b": 2, "z": 0} {
			var got int
			if err := f.db.NewSelect().Model((*certificate.Certificate)(nil)).Column("status_index").Where("id = ?", id).Scan(f.ctx, &got); err != nil || got != want {
				t.Fatalf("certificate %s: index %d (%v), want %d", id, got, err, want)
			}
		}
		if bit, _ := publishedBit(t, f, "recovery-works", 1); !bit {
			t.Fatal("the certificate revoked before the migration is not marked")
		}
		if bit, _ := publishedBit(t, f, "recovery-works", 0); bit {
			t.Fatal("an active certificate is marked")
		}
		// A credential signed before status lists is signed again with its entry when it is fetched, once.
		jws, err := f.svc.Credential(f.ctx, f.admin, "a")
		if err != nil {
			t.Fatal(err)
		}
		if st := statusOf(t, f, certificate.Certificate{Number: "N-a", CredentialJSON: string(jws)}); st.StatusListIndex != "1" {
			t.Fatalf("re-signed credential: %+v", st)
		}
		if again, err := f.svc.Credential(f.ctx, f.admin, "a"); err != nil || !bytes.Equal(again, jws) {
			t.Fatalf("signed again on the second fetch: %v", err)
		}
		c := f.issue(f.candidate("After Migration"))
		if c.StatusIndex == nil || *c.StatusIndex != 3 || statusOf(t, f, c).StatusListIndex != "3" {
			t.Fatalf("next index %v", c.StatusIndex)
		}
	})
}
