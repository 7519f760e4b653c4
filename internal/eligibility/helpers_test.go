package eligibility_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/seed"
)

// Private values the tests look for where they must never be.
const (
	legalName   = "Rosalind Quintero-Hale"
	preferred   = "Rozzie"
	dob         = "1990-04-17"
	attestation = "I have lived with bipolar disorder since 2009 and found recovery through a peer group."
	phone       = "(215) 555-0142"
	contact     = "roz.contact@example.net"
	filename    = "Rosalind Quintero-Hale diploma.pdf"
)

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

type fixture struct {
	*seed.World
	t        *testing.T
	ctx      context.Context
	db       *bun.DB
	store    *media.FS
	svc      *eligibility.Service
	now      time.Time
	vendor   *account.Vendor
	other    *account.Vendor // another recognised vendor
	cand     *account.User
	cand2    *account.User // another candidate
	admin    *account.User // vendor admin of vendor
	admin2   *account.User // vendor admin of other
	trainer  *account.User // trainer of vendor
	platform *account.User
}

func (f *fixture) user(role, vendorID string) *account.User { return f.User(role, vendorID) }
func (f *fixture) auditCount(action, subjectID string) int  { return f.AuditCount(action, subjectID) }
func (f *fixture) mails(to string) []notify.Message         { return f.Mails(to) }

func (f *fixture) newVendor(slug string, recognised bool) *account.Vendor {
	return f.Vendor(slug, seed.Recognised(recognised))
}

var (
	actor = seed.Actor
	must  = seed.Must
)

func newFixture(t *testing.T, d dbtest.Dialect) *fixture {
	t.Helper()
	now := time.Date(2026, 6, 15, 14, 0, 0, 0, time.UTC) // 10:00 in Pennsylvania
	// The services' clock is the field now, which tests move by assigning it; seed's stays at the start.
	w := seed.Open(t, d, now)
	f := &fixture{World: w, t: t, ctx: w.Ctx, db: w.DB, now: now}
	store, err := media.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.store = store
	keys, err := sealbox.NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = f.service(keys)
	f.vendor = f.newVendor("recovery-works", true)
	f.other = f.newVendor("other-org", true)
	f.cand = f.user(account.RoleCandidate, "")
	f.cand2 = f.user(account.RoleCandidate, "")
	f.admin = f.user(account.RoleVendorAdmin, f.vendor.ID)
	f.admin2 = f.user(account.RoleVendorAdmin, f.other.ID)
	f.trainer = f.user(account.RoleTrainer, f.vendor.ID)
	f.platform = f.user(account.RolePlatformAdmin, "")
	return f
}

func (f *fixture) service(keys *sealbox.Keyring) *eligibility.Service {
	return &eligibility.Service{DB: f.db, Media: f.store, Keys: keys, Now: func() time.Time { return f.now },
		Outbox: notify.Outbox{Mode: "log"}, BaseURL: "http://academy.test/", Retention: 30 * 24 * time.Hour}
}

// draft is a complete, eligible application.
func draft() eligibility.Draft {
	return eligibility.Draft{
		LegalName: legalName, PreferredName: preferred, Email: contact, Phone: phone, DateOfBirth: dob,
		Education: "diploma", EducationYear: "2008", SelfIdentifies: true, Attestation: attestation, Consent: true,
		Positions: []eligibility.PositionInput{{Title: "Peer volunteer", Organisation: "Harbor Clubhouse", Start: "2024-01-08", Hours: "12"}},
		Courses:   []eligibility.CourseInput{{Institution: "Community College", Course: "Psychology 101", Completed: "2025-05-10", Credits: "3"}},
	}
}

func (f *fixture) start(c *account.User, vendor *account.Vendor) *eligibility.View {
	f.t.Helper()
	v, err := f.svc.Start(f.ctx, actor(c), c, vendor.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// submitted starts, fills and submits an application.
func (f *fixture) submitted(c *account.User, vendor *account.Vendor) string {
	f.t.Helper()
	v := f.start(c, vendor)
	must(f.t, f.svc.SaveDraft(f.ctx, actor(c), c, v.ID, draft()))
	f.proofs(c, v.ID)
	must(f.t, f.svc.Submit(f.ctx, actor(c), c, v.ID))
	return v.ID
}

// proofs attaches the proofs Submit asks for with draft(): the GED and a volunteering letter.
func (f *fixture) proofs(c *account.User, appID string) {
	f.t.Helper()
	f.upload(c, appID, pdf)
	f.letter(c, appID)
}

// letter attaches a letter confirming work or volunteering.
func (f *fixture) letter(c *account.User, appID string) {
	f.t.Helper()
	if _, err := f.svc.UploadDocument(f.ctx, actor(c), c, appID, eligibility.KindWork, "letter.pdf", bytes.NewReader(pdf)); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) upload(c *account.User, appID string, data []byte) *eligibility.Document {
	f.t.Helper()
	d, err := f.svc.UploadDocument(f.ctx, actor(c), c, appID, eligibility.KindDiploma, filename, bytes.NewReader(data))
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func (f *fixture) load(u *account.User, appID string) *eligibility.View {
	f.t.Helper()
	v, err := f.svc.Load(f.ctx, actor(u), u, appID)
	if err != nil {
		f.t.Fatal(err)
	}
	return v
}

// noPII fails if any audit row, in any column, holds one of the candidate's private values.
func (f *fixture) noPII() {
	f.t.Helper()
	var evs []audit.Event
	if err := f.db.NewSelect().Model(&evs).Scan(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	if len(evs) == 0 {
		f.t.Fatal("no audit events at all")
	}
	for _, e := range evs {
		row := strings.ToLower(strings.Join([]string{e.Action, e.SubjectType, e.SubjectID, e.ActorRole, e.IP, e.RequestID, e.Details}, "|"))
		for _, secret := range []string{legalName, "Quintero", preferred, dob, attestation, "bipolar", phone, contact, filename, "%PDF"} {
			if strings.Contains(row, strings.ToLower(secret)) {
				f.t.Errorf("audit event %s (%s) contains %q: %s", e.ID, e.Action, secret, e.Details)
			}
		}
	}
}

func wantKind(t *testing.T, err error, kind apperr.Kind) *apperr.Error {
	t.Helper()
	return seed.WantCode(t, err, kind, "")
}

func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	e := wantKind(t, err, apperr.Invalid)
	for _, k := range fields {
		if e.Fields[k] == "" {
			t.Errorf("no message for %q in %v", k, e.Fields)
		}
	}
}

// sealboxRotated is a ring where k2 is current and k1 (the fixture's key) still opens old values.
func sealboxRotated() (*sealbox.Keyring, error) {
	return sealbox.NewKeyring("k2", map[string][]byte{"k1": bytes.Repeat([]byte{7}, 32), "k2": bytes.Repeat([]byte{8}, 32)})
}
