package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// people is the cast of the oral-exam and certificate journeys.
type people struct {
	vendor               *account.Vendor
	admin, trainer, cand *account.User
}

// passedWritten builds, through the services, a candidate named Zoë Nuñez-O'Brien with an approved
// application, coursework complete (every module, full attendance) and the written exam passed.
func passedWritten(t *testing.T, env *apptest.Env) people {
	t.Helper()
	ctx := context.Background()
	p := people{vendor: env.Vendor("omega")}
	p.admin = env.User(account.RoleVendorAdmin, p.vendor.ID)
	p.trainer = env.User(account.RoleTrainer, p.vendor.ID)
	p.cand = env.User(account.RoleCandidate, "")
	p.cand.Name = "Zoë Nuñez-O'Brien"
	if _, err := env.App.DB.NewUpdate().Model((*account.User)(nil)).Set("name = ?", p.cand.Name).Where("id = ?", p.cand.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	start := time.Now().In(ny).AddDate(0, 0, -20)
	var dates []string
	for i := 0; i < cohort.Days; i++ {
		dates = append(dates, start.AddDate(0, 0, i).Format("2006-01-02"))
	}
	a := audit.Actor{UserID: p.admin.ID, Role: p.admin.Role, VendorID: p.vendor.ID}
	co, err := env.App.Cohorts.Create(ctx, a, p.admin, cohort.CreateInput{Name: "Autumn", Delivery: "virtual", Capacity: 5, Dates: dates, TrainerIDs: []string{p.trainer.ID}})
	if err != nil {
		t.Fatal(err)
	}
	env.Enroll(p.admin, co.ID, p.cand)
	for day := 1; day <= cohort.Days; day++ {
		if err := env.App.Cohorts.RecordAttendance(ctx, a, p.admin, co.ID, day, []cohort.Mark{{CandidateID: p.cand.ID, Status: cohort.Present}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range env.App.Curriculum.Modules() {
		if err := env.App.Cohorts.RecordCheck(ctx, audit.Actor{UserID: p.cand.ID}, p.cand.ID, m.Slug, true); err != nil {
			t.Fatal(err)
		}
	}
	s, err := env.App.Exams.Settings(ctx, p.vendor.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.FormLength = 5
	if _, err := env.App.Exams.UpdateSettings(ctx, a, p.admin, s); err != nil {
		t.Fatal(err)
	}
	sum, err := env.App.Exams.Start(ctx, audit.Actor{UserID: p.cand.ID}, p.cand)
	if err != nil {
		t.Fatalf("start the written exam: %v", err)
	}
	v, err := env.App.Exams.View(ctx, p.cand, sum.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range v.Questions {
		it, _ := env.App.Exams.Bank.Item(q.ItemID)
		keyed := map[string]bool{}
		for _, o := range it.Answer {
			keyed[it.Options[o]] = true
		}
		var right []int
		for d, text := range q.Options {
			if keyed[text] {
				right = append(right, d)
			}
		}
		if _, err := env.App.Exams.SaveAnswer(ctx, p.cand, sum.ID, q.ItemID, right, false, int64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := env.App.Exams.Submit(ctx, audit.Actor{UserID: p.cand.ID}, p.cand, sum.ID)
	if err != nil || !r.Passed || r.Status != exam.StatusSubmitted {
		t.Fatalf("written exam: %+v %v", r, err)
	}
	return p
}

// signedIn returns a browser with a session of u.
func signedIn(t *testing.T, env *apptest.Env, exe, base string, u *account.User) *browser {
	b := newBrowser(t, exe, base)
	b.open("/privacy") // a page of the app, so the cookie's origin exists
	b.setCookie("pa_session", env.Session(u, account.KindWeb))
	return b
}

func TestIssueVerifyRevoke(t *testing.T) {
	exe := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		env, base := startApp(t, d)
		p := passedWritten(t, env)
		// The oral exam through the services (its browser journey is TestTrainerPublishesCandidateBooksTrainerGrades).
		ta := audit.Actor{UserID: p.trainer.ID, Role: p.trainer.Role, VendorID: p.vendor.ID}
		ny, _ := time.LoadLocation("America/New_York")
		slots, err := env.App.Oral.CreateSlots(ctx, ta, p.trainer, oral.SlotInput{Date: time.Now().In(ny).AddDate(0, 0, 3).Format("2006-01-02"), Start: "10:00", End: "10:45", Weeks: 1, Mode: "virtual", Location: "https://meet.example.org/x"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := env.App.Oral.Book(ctx, audit.Actor{UserID: p.cand.ID}, p.cand, slots[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		env.App.Oral.Now = func() time.Time { return slots[0].StartsAt.Add(time.Hour) }
		scores, notes := map[string]int{}, map[string]string{}
		for _, c := range env.App.Oral.Rubric.Competencies {
			scores[c.ID], notes[c.ID] = 3, "Clear evidence for "+c.Title
		}
		// The trainer taught the candidate's cohort: an administrator records an exception first.
		if _, err := env.App.Oral.AddException(ctx, audit.Actor{UserID: p.admin.ID, Role: p.admin.Role, VendorID: p.vendor.ID}, p.admin,
			oral.ExceptionInput{ExaminerID: p.trainer.ID, BookingID: b.ID, Reason: "The only examiner available this month."}); err != nil {
			t.Fatalf("examiner exception: %v", err)
		}
		in := oral.GradeInput{Scenario: env.App.Oral.Rubric.Scenarios[0].ID, Scores: scores, Notes: notes, Feedback: "Well done."}
		if g, err := env.App.Oral.Grade(ctx, ta, p.trainer, b.ID, in); err != nil || !g.Passed {
			t.Fatalf("oral grade: %v", err)
		}
		env.App.Oral.Now = nil

		// The vendor admin issues the certificate from the ready list.
		adm := signedIn(t, env, exe, base, p.admin)
		dialogs := adm.acceptDialogs()
		pg := adm.open("/vendor/certificates")
		wantPage(t, "certificates page", pg, http.StatusOK, "/vendor/certificates")
		if m := adm.text("main"); !strings.Contains(m, "Zoë Nuñez-O'Brien") {
			t.Fatalf("the candidate is not ready to certify: %.500s", m)
		}
		pg = adm.load("issue", chromedp.Click(`//form[@action="/vendor/certificates/issue"]//button[@type="submit"]`))
		dialogs.want(t, "issue", "Issue certificates to the selected candidates?")
		wantPage(t, "after issuing", pg, http.StatusOK, "/vendor/certificates")
		if m := adm.text("main"); !strings.Contains(m, "Issued PA-CPS-OMEGA-") {
			t.Fatalf("no success message: %.400s", m)
		}
		adm.screenshot("certificates-vendor-" + string(d) + ".png")
		certs, err := env.App.Certificates.List(ctx, p.admin)
		if err != nil || len(certs) != 1 {
			t.Fatalf("certificates: %v", err)
		}
		cert := certs[0]

		// The public (no session) verifies through the link on the certificate.
		pub := newBrowser(t, exe, base)
		pg = pub.open("/verify/" + cert.VerifyCode)
		wantPage(t, "verification", pg, http.StatusOK, "/verify/"+cert.VerifyCode)
		m := pub.text("main")
		for _, want := range []string{"Status: active", "Zoë Nuñez-O'Brien", cert.Number, "Certified Peer Specialist", p.vendor.Name} {
			if !strings.Contains(m, want) {
				t.Errorf("verification page lacks %q", want)
			}
		}
		for _, secret := range []string{p.cand.Email, "%", "written", "oral", "recovery"} {
			if strings.Contains(strings.ToLower(m), strings.ToLower(secret)) {
				t.Errorf("verification page shows %q", secret)
			}
		}
		robots := run(pub, "robots meta", chromedp.Evaluate[string](`document.querySelector('meta[name="robots"]').content`))
		if robots != "noindex, nofollow" {
			t.Errorf("robots meta %q", robots)
		}
		pub.screenshot("verify-active-" + string(d) + ".png")

		// The vendor admin revokes; the public page shows it at once.
		adm.do("give a reason", chromedp.SetValue(chromedp.CSS("#rv-"+cert.ID), "Issued in error"))
		pg = adm.load("revoke", chromedp.Click(fmt.Sprintf(`//form[@action="/vendor/certificates/%s/revoke"]//button`, cert.ID)))
		wantPage(t, "after revoking", pg, http.StatusOK, "/vendor/certificates")
		dialogs.want(t, "revoke", "Revoke "+cert.Number+"? Verification shows it as revoked at once.")
		if m := adm.text("main"); !strings.Contains(m, "The certificate is revoked") {
			t.Fatalf("no revocation message: %.300s", m)
		}
		pg = pub.open("/verify/" + cert.VerifyCode)
		wantPage(t, "verification after revocation", pg, http.StatusOK, "/verify/"+cert.VerifyCode)
		if m := pub.text("main"); !strings.Contains(m, "Status: revoked") {
			t.Fatalf("verification after revocation: %.300s", m)
		}
		pub.screenshot("verify-revoked-" + string(d) + ".png")
	})
}
