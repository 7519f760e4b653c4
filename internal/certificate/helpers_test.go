package certificate_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/seed"
)

const baseURL = "https://academy.example.org"

// fakeEvidence stands in for the cohort, exam and oral services.
type fakeEvidence struct {
	mu sync.Mutex
	m  map[string]certificate.Evidence // candidate id -> evidence (any vendor)
}

func (e *fakeEvidence) Evidence(ctx context.Context, vendorID string, candidateIDs []string) (map[string]certificate.Evidence, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]certificate.Evidence{}
	for _, id := range candidateIDs {
		out[id] = e.m[id]
	}
	return out, nil
}

func (e *fakeEvidence) ReadyCandidates(ctx context.Context, vendorID string) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for id := range e.m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

func (e *fakeEvidence) set(id string, ev certificate.Evidence) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[id] = ev
}

type fixture struct {
	*seed.World
	t     *testing.T
	ctx   context.Context
	db    *bun.DB
	store *media.FS
	ev    *fakeEvidence
	svc   *certificate.Service
	ces   *ce.Service

	vendor, other *account.Vendor
	admin, admin2 *account.User // vendor admins of vendor and of other
	trainer       *account.User
}

func (f *fixture) clock() time.Time   { return f.Clock.Now() }
func (f *fixture) setNow(t time.Time) { f.Clock.Set(t) }
func (f *fixture) newVendor(slug, name string) *account.Vendor {
	return f.Vendor(slug, seed.VendorName(name))
}
func (f *fixture) user(role, vendorID, name string) *account.User {
	return f.User(role, vendorID, seed.Named(name))
}
func (f *fixture) auditCount(action, subject string) int { return f.AuditCount(action, subject) }
func (f *fixture) mails(to string) []notify.Message      { return f.Mails(to) }

var actor = seed.Actor

func newFixture(t *testing.T, d dbtest.Dialect) *fixture {
	t.Helper()
	return newFixtureOn(t, dbtest.Open(t, d))
}

// newFixtureBefore builds the fixture on a database migrated up to (not including) migration first.
func newFixtureBefore(t *testing.T, d dbtest.Dialect, first string) *fixture {
	t.Helper()
	db, err := database.Open(context.Background(), dbtest.URL(t, d))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	migrateBefore(t, db, first)
	return newFixtureOn(t, db)
}

func newFixtureOn(t *testing.T, db *bun.DB) *fixture {
	t.Helper()
	w := seed.On(t, db, time.Date(2027, 3, 14, 15, 0, 0, 0, time.UTC)) // 11:00 in Pennsylvania
	f := &fixture{World: w, t: t, ctx: w.Ctx, db: db, ev: &fakeEvidence{m: map[string]certificate.Evidence{}}}
	store, err := media.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.store = store
	keys, err := sealbox.NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return f.clock() }
	f.svc = &certificate.Service{DB: f.db, Media: store, Keys: keys, Outbox: notify.Outbox{Mode: "log"}, Evidence: f.ev, BaseURL: baseURL + "/", Now: clock}
	f.ces = &ce.Service{DB: f.db, Certs: f.svc, Media: store, Outbox: notify.Outbox{Mode: "log"}, BaseURL: baseURL, Now: clock}
	f.vendor = f.newVendor("recovery-works", "Recovery Works Training")
	f.other = f.newVendor("other-org", "Other Org")
	f.admin = f.user(account.RoleVendorAdmin, f.vendor.ID, "Ana Admin")
	f.admin2 = f.user(account.RoleVendorAdmin, f.other.ID, "Oscar Other")
	f.trainer = f.user(account.RoleTrainer, f.vendor.ID, "Tess Trainer")
	return f
}

// passed returns complete evidence.
func (f *fixture) passed() certificate.Evidence {
	w := f.clock().Add(-72 * time.Hour)
	o := f.clock().Add(-24 * time.Hour)
	return certificate.Evidence{CourseworkComplete: true, CurriculumVersion: "cv-2027a", WrittenAttemptID: "att-" + uuid.NewString()[:8], WrittenPercent: 86.66666666666667,
		WrittenPassedAt: &w, OralGradeID: "oral-" + uuid.NewString()[:8], OralTotal: 27, OralMax: 32, OralPassedAt: &o,
		TrainingMinutes: 4500, CourseStart: "2027-01-11", CourseEnd: "2027-01-22"}
}

// candidate creates a candidate who has passed everything.
func (f *fixture) candidate(name string) *account.User {
	f.t.Helper()
	u := f.user(account.RoleCandidate, "", name)
	f.ev.set(u.ID, f.passed())
	return u
}

// issue certifies one candidate and fails the test on error.
func (f *fixture) issue(u *account.User) certificate.Certificate {
	f.t.Helper()
	cs, err := f.svc.Issue(f.ctx, actor(f.admin), f.admin, []string{u.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(cs) != 1 {
		f.t.Fatalf("issued %d", len(cs))
	}
	return cs[0]
}

// decodeQR reads the QR code in img.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("decode QR: %v", err)
	}
	return res.GetText()
}

// poppler returns the path of a poppler tool, or stops the test: a failure in CI (CI=true), a skip
// elsewhere. Debian: apt-get install poppler-utils.
func poppler(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (Debian package poppler-utils)", tool)
		}
		t.Skipf("%s is not installed (Debian package poppler-utils)", tool)
	}
	return p
}

// pdfText extracts a PDF's text with pdftotext.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	tool := poppler(t, "pdftotext")
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "-enc", "UTF-8", in, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v: %s", err, out)
	}
	return string(out)
}

// pdfImage renders a PDF's first page with pdftoppm at dpi.
func pdfImage(t *testing.T, pdf []byte, dpi int) image.Image {
	t.Helper()
	tool := poppler(t, "pdftoppm")
	dir := t.TempDir()
	in := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(tool, "-png", "-r", strconv.Itoa(dpi), "-f", "1", "-l", "1", "-singlefile", in, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v: %s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}
