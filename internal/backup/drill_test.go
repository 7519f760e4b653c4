package backup_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/backup"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/miniotest"
	"github.com/peeracademy/peeracademy/migrations"
)

// installation is one app's configuration: database, media store and keys.
type installation struct {
	dsn   string
	media config.MediaConfig
	keys  map[string][]byte
}

func (in installation) apply(c *config.Config) {
	c.DatabaseURL, c.Media, c.EncryptionKeys, c.EncryptionKeyID = in.dsn, in.media, in.keys, "k1"
}

// newInstallation is a fresh empty database with a local media directory (SQLite) or a bucket on a
// real MinIO server (PostgreSQL), sealed with keys.
func newInstallation(t *testing.T, d dbtest.Dialect, s3 *media.S3Config, keys map[string][]byte) installation {
	in := installation{dsn: dbtest.URL(t, d), keys: keys, media: config.MediaConfig{Dir: t.TempDir()}}
	if s3 != nil {
		in.media = config.MediaConfig{S3Endpoint: s3.Endpoint, S3Bucket: "drill-" + randHex(t), S3Region: s3.Region, S3AccessKey: s3.AccessKey, S3SecretKey: s3.SecretKey}
	}
	return in
}

func randHex(t *testing.T) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func pngBytes(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// world builds every kind of record: a certified candidate (application, cohort, attendance,
// module checks, written attempt, oral booking and grade with an amendment, certificate with its
// PDF and signed credential), a CE activity with its proof, and a draft application with a document.
func world(t *testing.T, env *apptest.Env) (apptest.People, certificate.Certificate) {
	ctx := context.Background()
	p, cert := env.Certified("drill")
	grades, err := env.App.Oral.Grades(ctx, p.Trainer, firstBooking(t, env, p))
	if err != nil || len(grades) == 0 {
		t.Fatalf("grades: %v", err)
	}
	env.App.Oral.Now = func() time.Time { return time.Now().AddDate(0, 0, 4) }
	if _, err := env.App.Oral.Amend(ctx, p.TrainerActor(), p.Trainer, grades[0].ID, "Corrected the feedback wording.", env.PassingGrade("Clear, warm and safe; a kind boundary on the phone number.")); err != nil {
		t.Fatalf("amend: %v", err)
	}
	env.App.Oral.Now = nil
	holder := p.Cand
	if _, err := env.App.CE.Record(ctx, p.CandActor(), holder, cert.ID, ce.ActivityInput{Title: "Trauma-informed peer support", Provider: "Keystone Peer Network",
		Date: time.Now().In(eligibility.Pennsylvania).Format("2006-01-02"), Hours: "3", Category: ce.Category("peer_support_recovery")}, bytes.NewReader(pngBytes(t))); err != nil {
		t.Fatalf("CE activity: %v", err)
	}
	other := env.User(account.RoleCandidate, "")
	v, err := env.App.Eligibility.Start(ctx, audit.System, other, p.Vendor.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Eligibility.UploadDocument(ctx, audit.Actor{UserID: other.ID}, other, v.ID, eligibility.KindDiploma, "diploma scan.png", bytes.NewReader(pngBytes(t))); err != nil {
		t.Fatalf("document: %v", err)
	}
	return p, cert
}

func firstBooking(t *testing.T, env *apptest.Env, p apptest.People) string {
	var id string
	if err := env.App.DB.NewSelect().Table("oral_bookings").Column("id").Where("candidate_id = ?", p.Cand.ID).Limit(1).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRestoreDrill(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		var s3 *media.S3Config
		if d == dbtest.Postgres {
			c := miniotest.Start(t)
			s3 = &c
		}
		keys := map[string][]byte{"k1": bytes.Repeat([]byte{7}, 32)}
		src := newInstallation(t, d, s3, keys)
		env := apptest.New(t, d, src.apply)
		p, cert := world(t, env)

		// Back up while requests keep being served: public look-ups, and audited reads and writes.
		var stop atomic.Bool
		var wg sync.WaitGroup
		var served atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				// Look-ups stay under the per-minute allowance (30): the counters are rows the
				// backup carries, and the restored installation is asked to look up within the
				// same minute.
				if served.Load() < 20 {
					resp := env.Do(apptest.Request("GET", "/verify/"+cert.VerifyCode, nil))
					resp.Body.Close()
				}
				_ = audit.Record(ctx, env.App.DB, audit.System, audit.Entry{Action: "drill.traffic", SubjectType: "test"})
				served.Add(1)
			}
		}()
		archive := filepath.Join(t.TempDir(), "backup.tar.gz")
		f, err := os.Create(archive)
		if err != nil {
			t.Fatal(err)
		}
		m, err := backup.Create(ctx, backup.Source{DB: env.App.DB, DSN: src.dsn, Store: env.App.Media, Keys: keys, CurriculumVersion: env.App.Curriculum.Version}, f)
		stop.Store(true)
		wg.Wait()
		if cerr := f.Close(); err != nil || cerr != nil {
			t.Fatalf("backup: %v %v", err, cerr)
		}
		if served.Load() == 0 {
			t.Fatal("no request was served during the backup")
		}
		rows := map[string]int64{}
		for _, tb := range m.Tables {
			rows[tb.Name] = tb.Rows
		}
		for _, table := range []string{"users", "vendors", "vendor_keys", "applications", "application_documents", "cohorts", "enrollments", "attendance",
			"exam_attempts", "exam_answers", "oral_slots", "oral_bookings", "oral_grades", "certificates", "ce_activities", "audit_events"} {
			if rows[table] == 0 {
				t.Errorf("the world has no rows in %s (tables: %v)", table, rows)
			}
		}
		if len(m.Objects) < 4 { // curriculum media, certificate PDF, CE proof, application document
			t.Fatalf("only %d media objects in the archive", len(m.Objects))
		}

		// Restore into a fresh, empty database and store.
		dst := newInstallation(t, d, s3, keys)
		dstStore, err := app.OpenStore(ctx, dst.media)
		if err != nil {
			t.Fatal(err)
		}
		res, err := backup.Restore(ctx, archive, backup.Target{DSN: dst.dsn, Store: dstStore, Keys: keys, Migrations: migrations.FS})
		if err != nil {
			t.Fatalf("restore: %v", err)
		}
		if res.Manifest.Rows() != m.Rows() || len(res.Applied) != 0 {
			t.Fatalf("restored %d rows of %d; applied %v", res.Manifest.Rows(), m.Rows(), res.Applied)
		}
		for _, o := range m.Objects {
			if got := objectSum(t, dstStore, o.Key); got != o.SHA256 {
				t.Fatalf("object %s: checksum %s, want %s", o.Key, got, o.SHA256)
			}
		}

		// The restored installation works: look-up by code, offline credential, sealed data, audit.
		env2 := apptest.New(t, d, dst.apply)
		resp := env2.Do(apptest.Request("GET", "/verify/"+cert.VerifyCode, nil))
		if body := apptest.Body(resp); resp.StatusCode != 200 || !strings.Contains(body, cert.Number) {
			t.Fatalf("verification after restore: %d", resp.StatusCode)
		}
		jws, err := env2.App.Certificates.Credential(ctx, p.Cand, cert.ID)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := env2.App.Certificates.PublicKeys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		keyset := map[string]ed25519.PublicKey{}
		for _, k := range pub {
			keyset[k.KID] = k.PublicKey
		}
		if _, err := certificate.VerifyCredentialAt(jws, keyset, time.Now()); err != nil {
			t.Fatalf("credential after restore: %v", err)
		}
		if pdf, err := env2.App.Certificates.PDF(ctx, p.Cand, cert.ID); err != nil {
			t.Fatalf("certificate PDF after restore: %v", err)
		} else {
			pdf.Close()
		}
		mine, err := env2.App.Eligibility.Mine(ctx, p.Cand)
		if err != nil || len(mine) == 0 {
			t.Fatalf("applications after restore: %v", err)
		}
		if v, err := env2.App.Eligibility.Load(ctx, p.AdminActor(), p.Admin, mine[0].ID); err != nil || v.DateOfBirth != "1985-04-12" {
			t.Fatalf("sealed date of birth after restore: %+v %v", v, err)
		}
		var restored int
		if err := env2.App.DB.NewSelect().Table("audit_events").ColumnExpr("count(*)").Where("action = 'backup.restore'").Scan(ctx, &restored); err != nil || restored != 1 {
			t.Fatalf("restore audit entries: %d %v", restored, err)
		}
		if _, err := env2.App.DB.ExecContext(ctx, "UPDATE audit_events SET action = 'x'"); err == nil {
			t.Fatal("the restored audit log can be rewritten: its append-only trigger is gone")
		}

		// Refusals, each before anything is written.
		if _, err := backup.Restore(ctx, archive, backup.Target{DSN: dst.dsn, Store: dstStore, Keys: keys, Migrations: migrations.FS}); !errors.Is(err, backup.ErrNotEmpty) {
			t.Fatalf("restore over a restored installation: %v, want ErrNotEmpty", err)
		}
		fresh := newInstallation(t, d, s3, keys)
		freshStore, err := app.OpenStore(ctx, fresh.media)
		if err != nil {
			t.Fatal(err)
		}
		target := backup.Target{DSN: fresh.dsn, Store: freshStore, Keys: keys, Migrations: migrations.FS}
		wrong := target
		wrong.Keys = map[string][]byte{"k1": bytes.Repeat([]byte{8}, 32)}
		if _, err := backup.Restore(ctx, archive, wrong); !errors.Is(err, backup.ErrWrongKeys) {
			t.Fatalf("wrong key: %v, want ErrWrongKeys", err)
		}
		wrong.Keys = map[string][]byte{"k2": bytes.Repeat([]byte{7}, 32)}
		if _, err := backup.Restore(ctx, archive, wrong); !errors.Is(err, backup.ErrWrongKeys) || !strings.Contains(err.Error(), `"k1"`) {
			t.Fatalf("missing key: %v, want ErrWrongKeys naming k1", err)
		}
		older := target
		older.Migrations = fstest.MapFS{"20261123120000_foundation.tx.up.sql": &fstest.MapFile{Data: []byte("SELECT 1;")}}
		if _, err := backup.Restore(ctx, archive, older); !errors.Is(err, backup.ErrNewerSchema) {
			t.Fatalf("older binary: %v, want ErrNewerSchema", err)
		}
		corrupt := filepath.Join(t.TempDir(), "corrupt.tar.gz")
		data, err := os.ReadFile(archive)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 0x55
		if err := os.WriteFile(corrupt, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := backup.Restore(ctx, corrupt, target); !errors.Is(err, backup.ErrCorrupt) {
			t.Fatalf("corrupt archive: %v, want ErrCorrupt", err)
		}
		if objs, err := freshStore.List(ctx, ""); err != nil || len(objs) != 0 {
			t.Fatalf("a refused restore wrote %d objects (%v)", len(objs), err)
		}
	})
}

func objectSum(t *testing.T, store media.Store, key string) string {
	r, _, err := store.Get(context.Background(), key, 0, -1)
	if err != nil {
		t.Fatalf("object %s: %v", key, err)
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
