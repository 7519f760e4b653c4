package eligibility_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

var _ cohort.Eligibility = (*eligibility.Service)(nil)

func TestFullReviewFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		ctx, c, admin := f.ctx, f.cand, f.admin

		v := f.start(c, f.vendor)
		if v.Status != eligibility.StatusDraft || v.LegalName != c.Name || v.Email != c.Email {
			t.Fatalf("new draft = %+v", v)
		}
		if _, err := f.svc.Start(ctx, actor(c), c, f.vendor.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("second open application: %v", err)
		}

		// Not eligible yet: six months of volunteering and 15 credits, no consent.
		in := draft()
		in.Consent = false
		in.Positions = []eligibility.PositionInput{{Title: "Peer volunteer", Organisation: "Harbor Clubhouse", Start: "2025-12-01", Hours: "12"}}
		in.Courses = []eligibility.CourseInput{{Institution: "Community College", Course: "Psychology 101", Completed: "2025-05-10", Credits: "15"}}
		must(t, f.svc.SaveDraft(ctx, actor(c), c, v.ID, in))
		res := f.svc.Evaluate(ctx, f.load(c, v.ID))
		if res.Eligible || !res.Has(eligibility.ReqExperience) || !res.Has(eligibility.ReqConsent) || !res.Has(eligibility.ReqProofEducation) || len(res.Unmet) != 3 {
			t.Fatalf("evaluate = %+v", res)
		}
		err := f.svc.Submit(ctx, actor(c), c, v.ID)
		e := wantKind(t, err, apperr.Invalid)
		if e.Code != "requirements_unmet" || !strings.Contains(e.Fields[eligibility.ReqExperience], "(you have 6 months and 14 days), or 24 college credit hours (you have 15)") || e.Fields[eligibility.ReqConsent] == "" {
			t.Fatalf("submit refused with %+v", e)
		}
		if got := f.load(c, v.ID).Status; got != eligibility.StatusDraft {
			t.Fatalf("status after refused submit = %s", got)
		}
		if len(f.mails(c.Email)) != 0 {
			t.Fatal("mail sent for a refused submission")
		}

		// Fixed: a year of volunteering and consent.
		doc := f.upload(c, v.ID, pdf)
		must(t, f.svc.SaveDraft(ctx, actor(c), c, v.ID, draft()))
		if err := f.svc.Submit(ctx, actor(c), c, v.ID); !strings.Contains(fmt.Sprint(err), "Upload a letter from an employer") {
			t.Fatalf("submit without proof of the volunteering: %v", err)
		}
		f.letter(c, v.ID)
		must(t, f.svc.Submit(ctx, actor(c), c, v.ID))
		got := f.load(c, v.ID)
		if got.Status != eligibility.StatusSubmitted || got.SubmittedAt == nil || !got.SubmittedAt.Equal(f.now) {
			t.Fatalf("after submit: %s %v", got.Status, got.SubmittedAt)
		}
		ms := f.mails(c.Email)
		if len(ms) != 1 || !strings.Contains(ms[0].Body, "http://academy.test/applications/"+v.ID) || !strings.Contains(ms[0].Body, f.vendor.Name) {
			t.Fatalf("confirmation mail: %+v", ms)
		}
		if err := f.svc.SaveDraft(ctx, actor(c), c, v.ID, draft()); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("editing a submitted application: %v", err)
		}
		if _, err := f.svc.UploadDocument(ctx, actor(c), c, v.ID, eligibility.KindOther, "x.pdf", bytes.NewReader(pdf)); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("uploading to a submitted application: %v", err)
		}
		if ok, why, err := f.svc.Enrollable(ctx, f.db, c.ID, f.vendor.ID); ok || why == "" || err != nil {
			t.Fatalf("enrollable before approval: %v %q %v", ok, why, err)
		}

		// The queue.
		q, err := f.svc.Queue(ctx, admin, eligibility.QueueFilter{Status: eligibility.StatusSubmitted})
		must(t, err)
		if q.Total != 1 || len(q.Rows) != 1 || q.Rows[0].ID != v.ID || q.Rows[0].DisplayName != preferred || q.Counts[eligibility.StatusSubmitted] != 1 {
			t.Fatalf("queue = %+v", q)
		}

		// Needs more information: reason required; email without the reason.
		if err := f.svc.Decide(ctx, actor(admin), admin, v.ID, eligibility.DecisionNeedsInfo, "  "); err == nil {
			t.Fatal("needs_info without a reason accepted")
		} else {
			wantFields(t, err, "reason")
		}
		if err := f.svc.Decide(ctx, actor(admin), admin, v.ID, "maybe", ""); err == nil {
			t.Fatal("unknown decision accepted")
		}
		f.now = f.now.Add(24 * time.Hour)
		const note = "Please upload your GED certificate, the scan is unreadable."
		must(t, f.svc.Decide(ctx, actor(admin), admin, v.ID, eligibility.DecisionNeedsInfo, note))
		ms = f.mails(c.Email)
		if len(ms) != 2 || !strings.Contains(ms[0].Subject, "more information") || !strings.Contains(ms[0].Body, "http://academy.test/applications/"+v.ID) || strings.Contains(ms[0].Body, "GED certificate") {
			t.Fatalf("needs_info mail: %+v", ms[0])
		}
		got = f.load(c, v.ID)
		if got.Status != eligibility.StatusNeedsInfo || got.DecisionReason != note {
			t.Fatalf("after needs_info: %s %q", got.Status, got.DecisionReason)
		}
		if err := f.svc.Decide(ctx, actor(admin), admin, v.ID, eligibility.DecisionApprove, ""); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("approving while the candidate amends: %v", err)
		}

		// Amend and resubmit.
		must(t, f.svc.DeleteDocument(ctx, actor(c), c, v.ID, doc.ID))
		f.upload(c, v.ID, pdf)
		in = draft()
		in.Education = "ged"
		must(t, f.svc.SaveDraft(ctx, actor(c), c, v.ID, in))
		must(t, f.svc.Submit(ctx, actor(c), c, v.ID))
		if got := f.load(c, v.ID); got.Status != eligibility.StatusSubmitted || !got.SubmittedAt.Equal(f.now) || got.Education != "ged" || len(got.Documents) != 2 {
			t.Fatalf("after resubmit: %+v", got)
		}

		// Another vendor's admin cannot decide it.
		if err := f.svc.Decide(ctx, actor(f.admin2), f.admin2, v.ID, eligibility.DecisionApprove, ""); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("foreign admin decides: %v", err)
		}
		must(t, f.svc.Decide(ctx, actor(admin), admin, v.ID, eligibility.DecisionApprove, ""))
		got = f.load(c, v.ID)
		if got.Status != eligibility.StatusApproved || got.DecidedAt == nil {
			t.Fatalf("after approve: %+v", got)
		}
		if ms := f.mails(c.Email); len(ms) != 4 || !strings.Contains(ms[0].Subject, "approved") {
			t.Fatalf("approval mail: %+v", ms[0])
		}
		if ok, _, err := f.svc.Enrollable(ctx, f.db, c.ID, f.vendor.ID); !ok || err != nil {
			t.Fatalf("enrollable after approval: %v %v", ok, err)
		}
		if ok, _, _ := f.svc.Enrollable(ctx, f.db, c.ID, f.other.ID); ok {
			t.Fatal("approval with one vendor lets another enrol")
		}
		if err := f.svc.Withdraw(ctx, actor(c), c, v.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("withdrawing an approved application: %v", err)
		}
		if _, err := f.svc.Start(ctx, actor(c), c, f.vendor.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("new application beside an approved one: %v", err)
		}
		for _, action := range []string{"application.start", "application.save", "application.submit", "application.decide"} {
			if f.auditCount(action, v.ID) == 0 {
				t.Errorf("no %s event", action)
			}
		}
		f.noPII()
	})
}

func TestStartRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		unrecognised := f.newVendor("pending-org", false)
		_, err := f.svc.Start(f.ctx, actor(f.cand), f.cand, unrecognised.ID)
		wantFields(t, err, "vendor_id")
		_, err = f.svc.Start(f.ctx, actor(f.cand), f.cand, "no-such-vendor")
		wantFields(t, err, "vendor_id")
		if _, err := f.svc.Start(f.ctx, actor(f.admin), f.admin, f.vendor.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("vendor admin starts an application: %v", err)
		}
		v := f.start(f.cand, f.vendor)
		f.start(f.cand, f.other) // one per vendor
		must(t, f.svc.Withdraw(f.ctx, actor(f.cand), f.cand, v.ID))
		if err := f.svc.Withdraw(f.ctx, actor(f.cand), f.cand, v.ID); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("withdrawing twice: %v", err)
		}
		again := f.start(f.cand, f.vendor) // a withdrawn application does not block a new one
		if err := f.svc.Withdraw(f.ctx, actor(f.cand2), f.cand2, again.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another candidate withdraws: %v", err)
		}
		mine, err := f.svc.Mine(f.ctx, f.cand)
		must(t, err)
		if len(mine) != 3 || mine[0].ID != again.ID || mine[0].VendorName != f.vendor.Name {
			t.Fatalf("mine = %+v", mine)
		}
	})
}

func TestStartConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		for range 6 {
			wg.Go(func() {
				_, err := f.svc.Start(f.ctx, actor(f.cand), f.cand, f.vendor.ID)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Conflict):
					conflicts++
				default:
					t.Errorf("start: %v", err)
				}
			})
		}
		wg.Wait()
		if ok != 1 || conflicts != 5 {
			t.Fatalf("%d started, %d conflicts; want 1 and 5", ok, conflicts)
		}
	})
}

func TestAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.start(f.cand, f.vendor)
		must(t, f.svc.SaveDraft(f.ctx, actor(f.cand), f.cand, v.ID, draft()))
		doc := f.upload(f.cand, v.ID, pdf)

		denied := func(who string, u *account.User) {
			t.Helper()
			if _, err := f.svc.Load(f.ctx, actor(u), u, v.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s Load: %v, want NotFound", who, err)
			}
			if _, err := f.svc.OpenDocument(f.ctx, actor(u), u, v.ID, doc.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("%s OpenDocument: %v, want NotFound", who, err)
			}
		}
		// A draft is the candidate's alone, even for their vendor's admin.
		denied("own vendor admin, draft", f.admin)
		f.letter(f.cand, v.ID)
		must(t, f.svc.Submit(f.ctx, actor(f.cand), f.cand, v.ID))
		denied("another vendor's admin", f.admin2)
		denied("another candidate", f.cand2)
		denied("the vendor's trainer", f.trainer)
		denied("platform admin", f.platform)
		if err := f.svc.SaveDraft(f.ctx, actor(f.cand2), f.cand2, v.ID, draft()); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another candidate saves: %v", err)
		}
		if _, err := f.svc.UploadDocument(f.ctx, actor(f.cand2), f.cand2, v.ID, eligibility.KindOther, "x.pdf", bytes.NewReader(pdf)); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another candidate uploads: %v", err)
		}
		if err := f.svc.RequestDeletion(f.ctx, actor(f.cand2), f.cand2, v.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("another candidate deletes: %v", err)
		}
		if _, err := f.svc.Queue(f.ctx, f.cand, eligibility.QueueFilter{}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("candidate lists the queue: %v", err)
		}
		q, err := f.svc.Queue(f.ctx, f.admin2, eligibility.QueueFilter{})
		must(t, err)
		if q.Total != 0 || q.Counts[eligibility.StatusSubmitted] != 0 {
			t.Errorf("another vendor's queue shows %+v", q)
		}
		// Asking for a document of one application through another gets nothing either.
		other := f.submitted(f.cand2, f.vendor)
		if _, err := f.svc.OpenDocument(f.ctx, actor(f.admin), f.admin, other, doc.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("document through another application: %v", err)
		}

		// The candidate: no audit of their own views.
		f.load(f.cand, v.ID)
		obj, err := f.svc.OpenDocument(f.ctx, actor(f.cand), f.cand, v.ID, doc.ID)
		must(t, err)
		if obj.ContentType != "application/pdf" || obj.Size != int64(len(pdf)) {
			t.Fatalf("object = %+v", obj)
		}
		if f.auditCount("application.view", v.ID) != 0 || f.auditCount("document.view", doc.ID) != 0 {
			t.Fatal("the candidate's own views were audited")
		}

		// The vendor's admin: allowed, opened, audited.
		got := f.load(f.admin, v.ID)
		if got.DateOfBirth != dob || got.Attestation != attestation || got.LegalName != legalName || len(got.Documents) != 2 || got.Documents[0].Filename != filename {
			t.Fatalf("admin view = %+v", got)
		}
		if n := f.auditCount("application.view", v.ID); n != 1 {
			t.Fatalf("application.view events = %d", n)
		}
		obj, err = f.svc.OpenDocument(f.ctx, actor(f.admin), f.admin, v.ID, doc.ID)
		must(t, err)
		rc, _, err := f.store.Get(f.ctx, obj.Key, 0, -1)
		must(t, err)
		body, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(body, pdf) {
			t.Fatal("document content differs")
		}
		var ev audit.Event
		must(t, f.db.NewSelect().Model(&ev).Where("action = ?", "document.view").Where("subject_id = ?", doc.ID).Scan(f.ctx))
		if ev.ActorID == nil || *ev.ActorID != f.admin.ID || ev.VendorID == nil || *ev.VendorID != f.vendor.ID {
			t.Fatalf("document.view event = %+v", ev)
		}
		f.noPII()
	})
}

func TestSealedAtRest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		id := f.submitted(f.cand, f.vendor)
		var dobSealed, attSealed string
		must(t, f.db.NewSelect().Table("applications").Column("dob_sealed", "attestation_sealed").Where("id = ?", id).Scan(f.ctx, &dobSealed, &attSealed))
		if !strings.HasPrefix(dobSealed, "k1:") || !strings.HasPrefix(attSealed, "k1:") {
			t.Fatalf("sealed columns %q %q", dobSealed, attSealed)
		}
		var row map[string]any
		must(t, f.db.NewSelect().Table("applications").Where("id = ?", id).Scan(f.ctx, &row))
		for col, val := range row {
			s := strings.ToLower(toString(val))
			for _, secret := range []string{dob, "1990", attestation, "bipolar"} {
				if strings.Contains(s, strings.ToLower(secret)) {
					t.Errorf("column %s holds %q in the clear", col, secret)
				}
			}
		}
		// A sealed value moved to another application does not open there.
		other := f.start(f.cand2, f.vendor)
		_, err := f.db.NewUpdate().Table("applications").Set("dob_sealed = ?", dobSealed).Where("id = ?", other.ID).Exec(f.ctx)
		must(t, err)
		if _, err := f.svc.Load(f.ctx, actor(f.cand2), f.cand2, other.ID); err == nil || apperr.Is(err, apperr.NotFound) {
			t.Fatalf("copied sealed value opened or was hidden: %v", err)
		}
		// Rotation: a ring with a new current key still opens the old rows, and seals new ones with the new key.
		keys, _ := sealboxRotated()
		f.svc = f.service(keys)
		if got := f.load(f.cand, id); got.DateOfBirth != dob || got.Attestation != attestation {
			t.Fatalf("after rotation: %q %q", got.DateOfBirth, got.Attestation)
		}
	})
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return ""
}

func TestBadInputsStoreNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.start(f.cand, f.vendor)
		must(t, f.svc.SaveDraft(f.ctx, actor(f.cand), f.cand, v.ID, draft()))
		saves := f.auditCount("application.save", v.ID)

		cases := []struct {
			name  string
			edit  func(*eligibility.Draft)
			field string
		}{
			{"future date of birth", func(d *eligibility.Draft) { d.DateOfBirth = "2026-06-16" }, "dob"},
			{"not a date", func(d *eligibility.Draft) { d.DateOfBirth = "17/04/1990" }, "dob"},
			{"impossible date", func(d *eligibility.Draft) { d.DateOfBirth = "1990-02-30" }, "dob"},
			{"education", func(d *eligibility.Draft) { d.Education = "phd" }, "education"},
			{"year too early", func(d *eligibility.Draft) { d.EducationYear = "1850" }, "education_year"},
			{"year in the future", func(d *eligibility.Draft) { d.EducationYear = "2027" }, "education_year"},
			{"year not a number", func(d *eligibility.Draft) { d.EducationYear = "08" }, "education_year"},
			{"email", func(d *eligibility.Draft) { d.Email = "not an email" }, "email"},
			{"phone", func(d *eligibility.Draft) { d.Phone = "call me" }, "phone"},
			{"name too long", func(d *eligibility.Draft) { d.LegalName = strings.Repeat("a", 201) }, "legal_name"},
			{"position start in the future", func(d *eligibility.Draft) { d.Positions[0].Start = "2026-07-01" }, "positions[0].start"},
			{"position end before start", func(d *eligibility.Draft) { d.Positions[0].End = "2023-12-31" }, "positions[0].end"},
			{"position end in the future", func(d *eligibility.Draft) { d.Positions[0].End = "2026-12-31" }, "positions[0].end"},
			{"negative hours", func(d *eligibility.Draft) { d.Positions[0].Hours = "-5" }, "positions[0].hours"},
			{"too many hours", func(d *eligibility.Draft) { d.Positions[0].Hours = "80.5" }, "positions[0].hours"},
			{"hours not a number", func(d *eligibility.Draft) { d.Positions[0].Hours = "lots" }, "positions[0].hours"},
			{"hours missing", func(d *eligibility.Draft) { d.Positions[0].Hours = "" }, "positions[0].hours"},
			{"position title missing", func(d *eligibility.Draft) { d.Positions[0].Title = " " }, "positions[0].title"},
			{"negative credits, second course", func(d *eligibility.Draft) {
				d.Courses = append(d.Courses, eligibility.CourseInput{Institution: "State U", Course: "Stats", Completed: "2025-01-10", Credits: "-3"})
			}, "courses[1].credits"},
			{"too many credits", func(d *eligibility.Draft) { d.Courses[0].Credits = "201" }, "courses[0].credits"},
			{"credits too precise", func(d *eligibility.Draft) { d.Courses[0].Credits = "3.333" }, "courses[0].credits"},
			{"course completed in the future", func(d *eligibility.Draft) { d.Courses[0].Completed = "2027-01-01" }, "courses[0].completed"},
			{"index counts blank rows", func(d *eligibility.Draft) {
				d.Positions = append([]eligibility.PositionInput{{}}, eligibility.PositionInput{Title: "Aide", Organisation: "Org", Start: "2025-01-01", Hours: "-1"})
			}, "positions[1].hours"},
		}
		for _, tc := range cases {
			in := draft()
			in.LegalName = "Someone Else Entirely"
			tc.edit(&in)
			err := f.svc.SaveDraft(f.ctx, actor(f.cand), f.cand, v.ID, in)
			if err == nil {
				t.Errorf("%s: accepted", tc.name)
				continue
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || e.Fields[tc.field] == "" {
				t.Errorf("%s: error %v, fields %v; want a message for %s", tc.name, err, e.Fields, tc.field)
			}
		}
		got := f.load(f.cand, v.ID)
		if got.LegalName != legalName || got.DateOfBirth != dob || len(got.Positions) != 1 || got.Positions[0].Hours != 12 || len(got.Courses) != 1 || got.Courses[0].Credits != 3 {
			t.Fatalf("a refused save changed the stored application: %+v", got)
		}
		if f.auditCount("application.save", v.ID) != saves {
			t.Fatal("a refused save was audited")
		}

		// Several errors at once are all reported.
		in := draft()
		in.DateOfBirth, in.Positions[0].End, in.Positions[0].Hours = "2030-01-01", "2020-01-01", "-1"
		wantFields(t, f.svc.SaveDraft(f.ctx, actor(f.cand), f.cand, v.ID, in), "dob", "positions[0].end", "positions[0].hours")

		// Blank rows are dropped; decimals round-trip; an ongoing position has no end.
		in = draft()
		in.Positions = append(in.Positions, eligibility.PositionInput{}, eligibility.PositionInput{Title: "Aide", Organisation: "Org", Paid: true, Start: "2025-01-01", End: "2025-06-30", Hours: "37.5"})
		in.Courses = append([]eligibility.CourseInput{{}}, eligibility.CourseInput{Institution: "State U", Course: "Stats", Completed: "2025-01-10", Credits: "23.5"})
		must(t, f.svc.SaveDraft(f.ctx, actor(f.cand), f.cand, v.ID, in))
		got = f.load(f.cand, v.ID)
		if len(got.Positions) != 2 || got.Positions[1].Hours != 37.5 || !got.Positions[1].Paid || got.Positions[0].End != "" || len(got.Courses) != 1 || got.Courses[0].Credits != 23.5 {
			t.Fatalf("stored %+v %+v", got.Positions, got.Courses)
		}
		back := got.Draft()
		if back.Positions[1].Hours != "37.5" || back.Courses[0].Credits != "23.5" || back.EducationYear != "2008" || back.DateOfBirth != dob {
			t.Fatalf("Draft() = %+v", back)
		}
	})
}

func TestUploads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.start(f.cand, f.vendor)
		up := func(kind, name string, r io.Reader) error {
			_, err := f.svc.UploadDocument(f.ctx, actor(f.cand), f.cand, v.ID, kind, name, r)
			return err
		}
		big := io.MultiReader(bytes.NewReader(pdf), bytes.NewReader(make([]byte, eligibility.MaxDocumentSize)))
		if e := wantKind(t, up(eligibility.KindDiploma, "big.pdf", big), apperr.TooLarge); e.Fields["file"] == "" {
			t.Errorf("too large: no file field")
		}
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), make([]byte, 600)...)
		wantKind(t, up(eligibility.KindDiploma, "diploma.pdf", bytes.NewReader(exe)), apperr.Unsupported)
		wantKind(t, up(eligibility.KindDiploma, "page.pdf", strings.NewReader("<html><script>alert(1)</script></html>")), apperr.Unsupported)
		wantFields(t, up(eligibility.KindDiploma, "empty.pdf", bytes.NewReader(nil)), "file")
		wantFields(t, up("selfie", "x.pdf", bytes.NewReader(pdf)), "kind")
		objs, err := f.store.List(f.ctx, "applications/")
		must(t, err)
		if len(objs) != 0 {
			t.Fatalf("refused uploads left objects: %+v", objs)
		}

		doc, err := f.svc.UploadDocument(f.ctx, actor(f.cand), f.cand, v.ID, eligibility.KindDiploma, `C:\Users\roz\`+filename, bytes.NewReader(pdf))
		must(t, err)
		if doc.ContentType != "application/pdf" || doc.Size != int64(len(pdf)) || doc.Filename != filename || doc.MediaKey != eligibility.MediaKey(v.ID, doc.ID) {
			t.Fatalf("document = %+v", doc)
		}
		png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
		jpeg := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 64)...)
		must(t, up(eligibility.KindIdentity, "id.png", bytes.NewReader(png)))
		must(t, up(eligibility.KindWork, "letter.jpg", bytes.NewReader(jpeg)))
		got := f.load(f.cand, v.ID)
		if len(got.Documents) != 3 {
			t.Fatalf("documents = %+v", got.Documents)
		}
		if f.auditCount("document.upload", doc.ID) != 1 {
			t.Fatal("upload not audited")
		}

		must(t, f.svc.DeleteDocument(f.ctx, actor(f.cand), f.cand, v.ID, doc.ID))
		if _, err := f.store.Stat(f.ctx, doc.MediaKey); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("deleted document still stored: %v", err)
		}
		if _, err := f.svc.OpenDocument(f.ctx, actor(f.cand), f.cand, v.ID, doc.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("deleted document opens: %v", err)
		}
		if err := f.svc.DeleteDocument(f.ctx, actor(f.cand), f.cand, v.ID, doc.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("deleting twice: %v", err)
		}
		for range eligibility.MaxDocuments - 2 {
			must(t, up(eligibility.KindOther, "more.pdf", bytes.NewReader(pdf)))
		}
		wantFields(t, up(eligibility.KindOther, "one-too-many.pdf", bytes.NewReader(pdf)), "file")
		f.noPII()
	})
}

func TestRequestDeletion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.start(f.cand, f.vendor)
		must(t, f.svc.SaveDraft(f.ctx, actor(f.cand), f.cand, v.ID, draft()))
		d1 := f.upload(f.cand, v.ID, pdf)
		d2 := f.upload(f.cand, v.ID, pdf)
		f.letter(f.cand, v.ID)
		must(t, f.svc.Submit(f.ctx, actor(f.cand), f.cand, v.ID))

		must(t, f.svc.RequestDeletion(f.ctx, actor(f.cand), f.cand, v.ID))
		got := f.load(f.cand, v.ID)
		if got.Status != eligibility.StatusWithdrawn || got.DeletionRequestedAt == nil {
			t.Fatalf("after deletion: %s %v", got.Status, got.DeletionRequestedAt)
		}
		if got.LegalName != "" || got.PreferredName != "" || got.Email != "" || got.Phone != "" || got.DateOfBirth != "" || got.Attestation != "" ||
			got.SelfIdentifies || got.Consent || got.Education != "" || got.EducationYear != 0 || len(got.Positions) != 0 || len(got.Courses) != 0 || len(got.Documents) != 0 {
			t.Fatalf("data left after deletion: %+v", got)
		}
		for _, doc := range []*eligibility.Document{d1, d2} {
			if _, err := f.store.Stat(f.ctx, doc.MediaKey); !errors.Is(err, media.ErrNotFound) {
				t.Errorf("document %s still stored: %v", doc.ID, err)
			}
			if _, err := f.svc.OpenDocument(f.ctx, actor(f.admin), f.admin, v.ID, doc.ID); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("admin opens a deleted document: %v", err)
			}
		}
		var row map[string]any
		must(t, f.db.NewSelect().Table("applications").Where("id = ?", v.ID).Scan(f.ctx, &row))
		for col, val := range row {
			if (strings.HasSuffix(col, "_sealed") || strings.Contains(col, "name")) && toString(val) != "" {
				t.Errorf("column %s not wiped: %v", col, val)
			}
		}
		q, err := f.svc.Queue(f.ctx, f.admin, eligibility.QueueFilter{})
		must(t, err)
		if len(q.Rows) != 1 || q.Rows[0].DisplayName != "" || !q.Rows[0].DeletionRequested || q.Counts[eligibility.StatusWithdrawn] != 1 {
			t.Fatalf("queue after deletion = %+v", q)
		}
		// Again: harmless. The purge job finds nothing left to do.
		must(t, f.svc.RequestDeletion(f.ctx, actor(f.cand), f.cand, v.ID))
		n, err := f.svc.PurgeExpired(f.ctx)
		if n != 0 || err != nil {
			t.Fatalf("purge after deletion: %d %v", n, err)
		}
		if f.auditCount("application.delete_data", v.ID) != 2 {
			t.Fatal("deletion not audited")
		}
		f.noPII()
	})
}

func TestPurgeExpired(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		c3 := f.user(account.RoleCandidate, "")
		c4 := f.user(account.RoleCandidate, "")

		withdrawn := f.start(f.cand, f.vendor)
		dw := f.upload(f.cand, withdrawn.ID, pdf)
		must(t, f.svc.Withdraw(f.ctx, actor(f.cand), f.cand, withdrawn.ID))

		rejected := f.start(f.cand2, f.vendor)
		must(t, f.svc.SaveDraft(f.ctx, actor(f.cand2), f.cand2, rejected.ID, draft()))
		dr := f.upload(f.cand2, rejected.ID, pdf)
		f.letter(f.cand2, rejected.ID)
		must(t, f.svc.Submit(f.ctx, actor(f.cand2), f.cand2, rejected.ID))
		f.now = f.now.Add(10 * 24 * time.Hour)
		must(t, f.svc.Decide(f.ctx, actor(f.admin), f.admin, rejected.ID, eligibility.DecisionReject, "Not eligible."))

		approved := f.start(c3, f.vendor)
		must(t, f.svc.SaveDraft(f.ctx, actor(c3), c3, approved.ID, draft()))
		da := f.upload(c3, approved.ID, pdf)
		f.letter(c3, approved.ID)
		must(t, f.svc.Submit(f.ctx, actor(c3), c3, approved.ID))
		must(t, f.svc.Decide(f.ctx, actor(f.admin), f.admin, approved.ID, eligibility.DecisionApprove, ""))

		draftApp := f.start(c4, f.vendor)
		dd := f.upload(c4, draftApp.ID, pdf)

		stored := func(doc *eligibility.Document) bool {
			_, err := f.store.Stat(f.ctx, doc.MediaKey)
			if err != nil && !errors.Is(err, media.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}

		// 25 days on: the withdrawn one (35 days old) is due, the rejected one (decided 25 days ago) is not.
		f.now = f.now.Add(25 * 24 * time.Hour)
		n, err := f.svc.PurgeExpired(f.ctx)
		must(t, err)
		if n != 1 || stored(dw) || !stored(dr) || !stored(da) || !stored(dd) {
			t.Fatalf("first purge: %d; stored w=%v r=%v a=%v d=%v", n, stored(dw), stored(dr), stored(da), stored(dd))
		}
		f.now = f.now.Add(6 * 24 * time.Hour)
		n, err = f.svc.PurgeExpired(f.ctx)
		must(t, err)
		if n != 2 || stored(dr) || !stored(da) || !stored(dd) { // the rejected one's GED and letter
			t.Fatalf("second purge: %d", n)
		}
		n, err = f.svc.PurgeExpired(f.ctx)
		if n != 0 || err != nil {
			t.Fatalf("idempotent run: %d %v", n, err)
		}
		// The rejected candidate and the reviewer no longer see the purged document.
		if got := f.load(f.cand2, rejected.ID); len(got.Documents) != 0 {
			t.Fatalf("purged document still listed: %+v", got.Documents)
		}
		if f.auditCount("document.purge", dr.ID) != 1 {
			t.Fatal("purge not audited")
		}

		// An abandoned draft loses its documents once nobody has changed it or uploaded to it for the
		// draft retention (180 days by default); a draft with a recent upload keeps them.
		c5 := f.user(account.RoleCandidate, "")
		busy := f.start(c5, f.vendor)
		f.now = f.now.Add(120 * 24 * time.Hour) // the first draft was last changed 151 days ago
		db := f.upload(c5, busy.ID, pdf)
		if n, err := f.svc.PurgeExpired(f.ctx); n != 0 || err != nil || !stored(dd) {
			t.Fatalf("draft purged early: %d %v", n, err)
		}
		f.now = f.now.Add(30 * 24 * time.Hour) // 181 days; the busy draft's upload is 30 days old
		n, err = f.svc.PurgeExpired(f.ctx)
		if n != 1 || err != nil || stored(dd) || !stored(db) {
			t.Fatalf("abandoned draft: %d %v; stored abandoned=%v busy=%v", n, err, stored(dd), stored(db))
		}
		var ev audit.Event
		must(t, f.db.NewSelect().Model(&ev).Where("action = 'document.purge'").Where("subject_id = ?", dd.ID).Scan(f.ctx))
		if !strings.Contains(ev.Details, `"reason":"abandoned draft"`) || ev.VendorID != nil && *ev.VendorID != "" {
			t.Fatalf("abandoned-draft purge audited as %+v", ev)
		}
		if got := f.load(c4, draftApp.ID); got.Status != eligibility.StatusDraft || len(got.Documents) != 0 {
			t.Fatalf("the draft itself should stay, without documents: %+v", got)
		}
		f.noPII()
	})
}

func TestPurgeExpiredConcurrently(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		var docs []*eligibility.Document
		for range 4 {
			c := f.user(account.RoleCandidate, "")
			v := f.start(c, f.vendor)
			for range 15 {
				docs = append(docs, f.upload(c, v.ID, pdf))
			}
			must(t, f.svc.Withdraw(f.ctx, actor(c), c, v.ID))
		}
		f.now = f.now.Add(31 * 24 * time.Hour)
		// Two instances, each with its own Service, run the job at the same time.
		svcs := []*eligibility.Service{f.service(f.svc.Keys), f.service(f.svc.Keys), f.service(f.svc.Keys)}
		counts := make([]int, len(svcs))
		var wg sync.WaitGroup
		for i, s := range svcs {
			wg.Go(func() {
				n, err := s.PurgeExpired(context.Background())
				if err != nil {
					t.Errorf("instance %d: %v", i, err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		total := 0
		for _, n := range counts {
			total += n
		}
		if total != len(docs) {
			t.Fatalf("purged %v = %d, want %d exactly once each", counts, total, len(docs))
		}
		for _, doc := range docs {
			if f.auditCount("document.purge", doc.ID) != 1 {
				t.Fatalf("document %s purge events != 1", doc.ID)
			}
		}
		objs, err := f.store.List(f.ctx, "applications/")
		must(t, err)
		if len(objs) != 0 {
			t.Fatalf("%d objects left", len(objs))
		}
	})
}

func TestQueueFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		a1 := f.submitted(f.cand, f.vendor)
		f.now = f.now.Add(time.Hour)
		c3 := f.user(account.RoleCandidate, "")
		v3 := f.start(c3, f.vendor)
		in := draft()
		in.LegalName, in.PreferredName, in.Email = "Marcus 50%_Off Bell", "", "marcus@example.net"
		must(t, f.svc.SaveDraft(f.ctx, actor(c3), c3, v3.ID, in))
		f.proofs(c3, v3.ID)
		must(t, f.svc.Submit(f.ctx, actor(c3), c3, v3.ID))
		f.start(f.cand2, f.vendor) // a draft: never in the queue
		f.submitted(f.cand2, f.other)
		must(t, f.svc.Decide(f.ctx, actor(f.admin), f.admin, v3.ID, eligibility.DecisionApprove, ""))

		q, err := f.svc.Queue(f.ctx, f.admin, eligibility.QueueFilter{})
		must(t, err)
		if q.Total != 2 || q.Rows[0].ID != a1 || q.Rows[1].ID != v3.ID || q.Counts[eligibility.StatusSubmitted] != 1 || q.Counts[eligibility.StatusApproved] != 1 {
			t.Fatalf("queue = %+v", q)
		}
		if _, ok := q.Counts[eligibility.StatusDraft]; ok {
			t.Fatal("drafts are counted")
		}
		for query, want := range map[string]int{"marcus": 1, "BELL": 1, "50%_": 1, "%": 1, "_": 1, "m%s": 0, "r_zzie": 0, "rozzie": 1, "example.net": 2, "nobody": 0} {
			q, err := f.svc.Queue(f.ctx, f.admin, eligibility.QueueFilter{Query: query})
			must(t, err)
			if q.Total != want {
				t.Errorf("query %q: %d rows, want %d", query, q.Total, want)
			}
		}
		q, err = f.svc.Queue(f.ctx, f.admin, eligibility.QueueFilter{Status: eligibility.StatusApproved})
		must(t, err)
		if q.Total != 1 || q.Rows[0].DisplayName != "Marcus 50%_Off Bell" {
			t.Fatalf("approved = %+v", q)
		}
		q, err = f.svc.Queue(f.ctx, f.admin, eligibility.QueueFilter{Limit: 1, Offset: 1})
		must(t, err)
		if q.Total != 2 || len(q.Rows) != 1 || q.Rows[0].ID != v3.ID {
			t.Fatalf("page 2 = %+v", q)
		}
		if _, err := f.svc.Queue(f.ctx, f.admin, eligibility.QueueFilter{Status: "bogus"}); err == nil {
			t.Fatal("bogus status accepted")
		}
	})
}

// After a rotation, Reseal moves every sealed value to the new key, so the old one can be dropped;
// running it again changes nothing.
func TestResealAfterRotation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		id := f.submitted(f.cand, f.vendor)
		f.start(f.cand2, f.vendor) // a draft with nothing sealed yet
		rotated, err := sealboxRotated()
		must(t, err)
		f.svc = f.service(rotated)
		n, err := f.svc.Reseal(f.ctx)
		if err != nil || n != 1 {
			t.Fatalf("reseal: %d %v; want 1 application", n, err)
		}
		var dobSealed, attSealed string
		must(t, f.db.NewSelect().Table("applications").Column("dob_sealed", "attestation_sealed").Where("id = ?", id).Scan(f.ctx, &dobSealed, &attSealed))
		if !strings.HasPrefix(dobSealed, "k2:") || !strings.HasPrefix(attSealed, "k2:") {
			t.Fatalf("after reseal: %q %q", dobSealed, attSealed)
		}
		onlyNew, err := sealbox.NewKeyring("k2", map[string][]byte{"k2": bytes.Repeat([]byte{8}, 32)})
		must(t, err)
		f.svc = f.service(onlyNew)
		if got := f.load(f.cand, id); got.DateOfBirth != dob || got.Attestation != attestation {
			t.Fatalf("with the old key removed: %q %q", got.DateOfBirth, got.Attestation)
		}
		if n, err := f.svc.Reseal(f.ctx); n != 0 || err != nil {
			t.Fatalf("second reseal: %d %v", n, err)
		}
		if f.auditCount("keys.reseal", "k2") != 1 {
			t.Fatal("reseal not audited once")
		}
	})
}
