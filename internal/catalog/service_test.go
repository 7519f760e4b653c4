package catalog_test

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/catalog/catalogtest"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

func TestMain(m *testing.M) {
	app.ContentFS = catalogtest.WithFixtures(content.FS)
	os.Exit(m.Run())
}

// answerAll saves an answer to every question of an open attempt: the key when right, else a
// wrong option.
func answerAll(t *testing.T, env *apptest.Env, u *account.User, attemptID string, right func(i int) bool) {
	t.Helper()
	ctx := context.Background()
	s := env.App.Courses
	v, err := s.View(ctx, audit.Actor{UserID: u.ID}, u, attemptID)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := env.App.Catalogue.Course(v.Course)
	for i, q := range v.Questions {
		it, _ := c.Assessment.Item(q.ItemID)
		key := slices.Index(q.Options, it.Options[it.Answer[0]])
		choice := []int{key}
		if !right(i) {
			choice = []int{(key + 1) % len(q.Options)}
		}
		if it.Type == "multiple" && right(i) {
			choice = nil
			for _, k := range it.Answer {
				choice = append(choice, slices.Index(q.Options, it.Options[k]))
			}
		}
		if err := s.SaveAnswer(ctx, audit.Actor{UserID: u.ID}, u, attemptID, q.ItemID, choice); err != nil {
			t.Fatalf("save %s: %v", q.ItemID, err)
		}
	}
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// TestEthicsCourseCreditsCE: a certified holder enrols in the fixture ethics course, fails once,
// passes, marks the modules done, and the completion records 3 verified ethics hours on the
// certificate, which neither the vendor nor anyone else can change; on both databases.
func TestEthicsCourseCreditsCE(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		env := apptest.New(t, d)
		p, cert := env.Certified("cfx")
		s := env.App.Courses
		holder, admin := p.Cand, p.Admin
		ha, aa := p.CandActor(), p.AdminActor()

		// Offering: only vendor administrators; defaults from the course.
		if _, err := s.Offer(ctx, ha, holder, catalog.OfferingInput{Course: catalogtest.EthicsCE}); code(err) != "forbidden" {
			t.Fatalf("holder offers: %v", err)
		}
		if _, err := s.Offer(ctx, aa, admin, catalog.OfferingInput{Course: "cps"}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("offer the certification course: %v", err)
		}
		o, err := s.Offer(ctx, aa, admin, catalog.OfferingInput{Course: catalogtest.EthicsCE, AttemptsAllowed: 3, TimeLimitMinutes: 10})
		if err != nil || o.PassPercent != 80 || o.AttemptsAllowed != 3 {
			t.Fatalf("offer: %+v %v", o, err)
		}

		// Enrolment: a candidate without a certificate is refused; the holder enrols once.
		stranger := env.User(account.RoleCandidate, "")
		if _, err := s.Enrol(ctx, audit.Actor{UserID: stranger.ID}, stranger, o.ID); code(err) != "prerequisite_certificate" {
			t.Fatalf("uncertified enrols: %v", err)
		}
		e, err := s.Enrol(ctx, ha, holder, o.ID)
		if err != nil || e.CertificateID != cert.ID {
			t.Fatalf("enrol: %+v %v", e, err)
		}
		if _, err := s.Enrol(ctx, ha, holder, o.ID); code(err) != "already_enrolled" {
			t.Fatalf("enrol twice: %v", err)
		}

		// A failed attempt: graded, not complete.
		at, err := s.Start(ctx, ha, holder, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		answerAll(t, env, holder, at.ID, func(i int) bool { return i >= 3 })
		// With a 10-minute limit, a save after the deadline is refused and the attempt is graded
		// on what was saved.
		if at.Deadline == nil || at.Deadline.Sub(at.StartedAt) != 10*time.Minute {
			t.Fatalf("deadline of %+v", at)
		}
		s.Now = func() time.Time { return at.Deadline.Add(time.Minute) }
		if err := s.SaveAnswer(ctx, ha, holder, at.ID, "FXE-001", []int{0}); code(err) != "deadline_passed" {
			t.Fatalf("save after the deadline: %v", err)
		}
		s.Now = nil
		at, err = s.Submit(ctx, ha, holder, at.ID)
		if err != nil || at.Passed || at.Total != 8 || at.Correct != 5 {
			t.Fatalf("failed attempt: %+v %v", at, err)
		}
		if err := s.SaveAnswer(ctx, ha, holder, at.ID, "FXE-001", []int{0}); code(err) != "attempt_finished" {
			t.Fatalf("save after submit: %v", err)
		}

		// A passing attempt before the modules are done: passed, not yet complete.
		at2, err := s.Start(ctx, ha, holder, e.ID)
		if err != nil || at2.Number != 2 {
			t.Fatalf("second attempt: %+v %v", at2, err)
		}
		answerAll(t, env, holder, at2.ID, func(int) bool { return true })
		if at2, err = s.Submit(ctx, ha, holder, at2.ID); err != nil || !at2.Passed {
			t.Fatalf("passing attempt: %+v %v", at2, err)
		}
		pr, err := s.ProgressOf(ctx, holder, e.ID)
		if err != nil || pr.Enrolment.Completed() || !pr.Passed || pr.CanAttempt {
			t.Fatalf("progress before modules: %+v %v", pr, err)
		}

		// The vendor's administrator of another vendor sees nothing; the holder's own does.
		other := env.User(account.RoleVendorAdmin, env.Vendor("cfy").ID)
		if _, err := s.ProgressOf(ctx, other, e.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("other vendor reads the enrolment: %v", err)
		}
		if _, err := s.MarkDone(ctx, aa, admin, e.ID, "fixture-dual-roles"); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("admin marks a module done: %v", err)
		}

		// Modules done: complete, and the CE credit is there.
		for _, m := range []string{"fixture-dual-roles", "fixture-gifts-and-money", "fixture-gifts-and-money"} {
			if pr, err = s.MarkDone(ctx, ha, holder, e.ID, m); err != nil {
				t.Fatal(err)
			}
		}
		if !pr.Enrolment.Completed() || pr.Enrolment.CEActivityID == nil {
			t.Fatalf("not completed: %+v", pr.Enrolment)
		}
		progress, err := env.App.CE.Progress(ctx, holder, cert.ID)
		if err != nil || len(progress) == 0 {
			t.Fatal(err)
		}
		if h := progress[0].Hours[ce.Ethics]; h != 3 || progress[0].Total != 3 {
			t.Errorf("verified ethics hours %v, want 3 (%+v)", h, progress)
		}
		acts, err := env.App.CE.List(ctx, holder, cert.ID)
		if err != nil || len(acts) != 1 || !acts[0].Credited() || acts[0].Status != ce.StatusVerified || acts[0].CourseSlug != catalogtest.EthicsCE {
			t.Fatalf("activities %+v %v", acts, err)
		}
		if err := env.App.CE.Review(ctx, aa, admin, acts[0].ID, false, "not convinced"); code(err) != "credited_by_course" {
			t.Fatalf("reject a credited activity: %v", err)
		}

		// The audit log has enrol, complete and credit.
		for _, action := range []string{"course.offer", "course.enrol", "course.assessment", "course.complete", "ce.credit"} {
			evs, _, err := audit.List(ctx, env.App.DB, audit.Filter{Action: action, Limit: 10})
			if err != nil || len(evs) == 0 {
				t.Errorf("no audit event %s (%v)", action, err)
			}
		}
	})
}

// TestSpecialtyEndorsement: completing the fixture specialty adds its endorsement to the
// certificate: on the verification page (by the certificate's code and by its own), as a signed
// credential that verifies offline and against the vendor's status list, and with an achievement
// description. Revoking the certificate flips the endorsement's status bit and shows it as not
// current.
func TestSpecialtyEndorsement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		env := apptest.New(t, d)
		p, cert := env.Certified("efx")
		s, certs := env.App.Courses, env.App.Certificates
		ha, aa := p.CandActor(), p.AdminActor()
		o, err := s.Offer(ctx, aa, p.Admin, catalog.OfferingInput{Course: catalogtest.Specialty})
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.Enrol(ctx, ha, p.Cand, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		course, _ := env.App.Catalogue.Course(catalogtest.Specialty)
		for _, m := range course.Modules.Modules() {
			if _, err := s.MarkDone(ctx, ha, p.Cand, e.ID, m.Slug); err != nil {
				t.Fatal(err)
			}
		}
		if ends, _ := certs.Endorsements(ctx, cert.ID); len(ends) != 0 {
			t.Fatalf("endorsed before the assessment: %+v", ends)
		}
		at, err := s.Start(ctx, ha, p.Cand, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		answerAll(t, env, p.Cand, at.ID, func(int) bool { return true })
		if at, err = s.Submit(ctx, ha, p.Cand, at.ID); err != nil || !at.Passed {
			t.Fatalf("submit: %+v %v", at, err)
		}
		ends, err := certs.Endorsements(ctx, cert.ID)
		if err != nil || len(ends) != 1 || !ends[0].Current || ends[0].Slug != "fixture-reentry" {
			t.Fatalf("endorsements %+v %v", ends, err)
		}
		end := ends[0]

		// The public verification page, by the certificate's code and by the endorsement's.
		for _, code := range []string{cert.VerifyCode, end.VerifyCode} {
			resp := env.Do(apptest.Request("GET", "/verify/"+code, nil))
			body := apptest.Body(resp)
			if resp.StatusCode != 200 || !strings.Contains(body, "Endorsement: Reentry peer support (fixture), since") {
				t.Fatalf("verification page %d: %.2000s", resp.StatusCode, body)
			}
		}

		// The signed credential verifies offline, and its status-list bit is clear.
		jws, err := certs.EndorsementCredential(ctx, p.Cand, end.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := certs.EndorsementCredential(ctx, env.User(account.RoleVendorAdmin, env.Vendor("other-efx").ID), end.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another vendor's admin downloads the credential: %v", err)
		}
		if doc, err := certs.EndorsementPDF(ctx, p.Cand, end.ID); err != nil || !strings.HasPrefix(string(doc), "%PDF") {
			t.Fatalf("endorsement PDF: %v", err)
		}
		keys, err := certificate.EmbeddedKey(jws)
		if err != nil {
			t.Fatal(err)
		}
		claims, err := certificate.VerifyCredentialAt(jws, keys, time.Now())
		if err != nil || claims.Status == nil {
			t.Fatalf("verify offline: %+v %v", claims, err)
		}
		if !strings.Contains(string(claims.CredentialPayload), `/credentials/fixture-reentry"`) {
			t.Errorf("achievement id: %s", claims.CredentialPayload)
		}
		if a, err := certs.Achievement("fixture-reentry"); err != nil || a.Name != "Reentry peer support (fixture)" {
			t.Errorf("achievement: %+v %v", a, err)
		}
		index, _ := strconv.Atoi(claims.Status.StatusListIndex)
		bit := func() bool {
			l, err := certs.StatusList(ctx, p.Vendor.Slug)
			if err != nil {
				t.Fatal(err)
			}
			list, err := certificate.VerifyStatusList(l.JWS, keys, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			b, err := list.Bit(index)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if bit() {
			t.Fatal("the endorsement's bit is set before revocation")
		}

		// Revoking the certificate: the bit flips, the endorsement is not current.
		if err := certs.Revoke(ctx, aa, p.Admin, cert.ID, "Test revocation."); err != nil {
			t.Fatal(err)
		}
		if !bit() {
			t.Error("the endorsement's bit is clear after the certificate was revoked")
		}
		if ends, _ := certs.Endorsements(ctx, cert.ID); len(ends) != 1 || ends[0].Current {
			t.Errorf("endorsement after revocation: %+v", ends)
		}
		body := apptest.Body(env.Do(apptest.Request("GET", "/verify/"+end.VerifyCode, nil)))
		if !strings.Contains(body, "(not current)") {
			t.Errorf("verification page after revocation: %.2000s", body)
		}

		// The vendor's reports count the enrolment, its completion and the endorsement, not current now.
		req := apptest.Request("GET", "/vendor/reports.csv", nil)
		req.AddCookie(&http.Cookie{Name: "pa_session", Value: env.Session(p.Admin, account.KindWeb)})
		report := apptest.Body(env.Do(req))
		for _, want := range []string{"\ncourse enrolments,1\n", "\ncourses completed,1\n", "\nendorsements issued,1\n", "\nendorsements not current (certificate revoked),1\n"} {
			if !strings.Contains(report, want) {
				t.Errorf("reports.csv lacks %q: %s", strings.TrimSpace(want), report)
			}
		}
	})
}
