package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestOralExaminerRulesInBrowser is consistent oral grading in a real browser, staff switching
// sessions in one Chromium: the vendor administrator requires two examiners; the trainer, who taught
// the candidate's cohort, is told why grading is refused until the administrator records an
// exception with a reason on the grading page; the trainer then grades with the scenario, and the
// scores at the top of the scale are refused until each has its evidence note; a second trainer,
// who does not see the first grade, fails the candidate; the examiners disagree, so the
// administrator grades as the deciding third examiner, and the candidate reads the decided result.
func TestOralExaminerRulesInBrowser(t *testing.T) {
	chromium := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env, base := startApp(t, d)
		ctx := context.Background()
		cast := oralFixture(t, env)
		trainer2 := env.User(account.RoleTrainer, cast.vendor.ID)
		var clock atomic.Pointer[time.Time]
		env.App.Oral.Now = func() time.Time {
			if at := clock.Load(); at != nil {
				return *at
			}
			return time.Now()
		}
		rubric := env.App.Oral.Rubric
		adminActor := audit.Actor{UserID: cast.admin.ID, Role: cast.admin.Role, VendorID: cast.vendor.ID}

		// The trainer teaches the candidate's cohort; the candidate books the trainer's slot.
		cos, err := env.App.Cohorts.List(ctx, cast.admin)
		if err != nil || len(cos) != 1 {
			t.Fatalf("cohorts: %v %v", cos, err)
		}
		if err := env.App.Cohorts.SetTrainers(ctx, adminActor, cast.admin, cos[0].ID, []string{cast.trainer.ID}); err != nil {
			t.Fatalf("cohort trainers: %v", err)
		}
		loc, err := time.LoadLocation(oral.DefaultTimezone)
		if err != nil {
			t.Fatal(err)
		}
		day := time.Now().In(loc).AddDate(0, 0, 3)
		slots, err := env.App.Oral.CreateSlots(ctx, audit.Actor{UserID: cast.trainer.ID}, cast.trainer, oral.SlotInput{Date: day.Format("2006-01-02"), Start: "10:00", End: "10:45",
			Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/rules"})
		if err != nil || len(slots) != 1 {
			t.Fatalf("slot: %v %v", slots, err)
		}
		b, err := env.App.Oral.Book(ctx, audit.Actor{UserID: cast.candidate.ID}, cast.candidate, slots[0].ID)
		if err != nil {
			t.Fatalf("book: %v", err)
		}
		started := slots[0].StartsAt.Add(40 * time.Minute)
		clock.Store(&started)
		gradePath := "/oral/bookings/" + b.ID + "/grade"
		gradeButton := `//main//form[@action="` + gradePath + `"]//button[@type="submit"]`

		br := signedIn(t, env, chromium, base, cast.admin)
		dialogs := br.acceptDialogs()
		as := func(u *account.User) { br.setCookie("pa_session", env.Session(u, account.KindWeb)) }

		// 1. The administrator requires two examiners.
		p := br.open("/oral")
		wantPage(t, "administrator's oral page", p, http.StatusOK, "/oral")
		br.do("require two examiners", chromedp.Click(chromedp.CSS(`main input[name="two_examiners"]`)))
		p = br.load("save the rules", chromedp.Click(`//main//form[@action="/vendor/oral/settings"]//button[@type="submit"]`))
		wantPage(t, "after saving the rules", p, http.StatusOK, "/oral")
		if st, err := env.App.Oral.Settings(ctx, cast.vendor.ID); err != nil || !st.TwoExaminers {
			t.Fatalf("settings after saving: %+v %v", st, err)
		}

		// 2. The trainer taught the candidate: the grading page says why grading is refused, and
		// offers no grading form.
		as(cast.trainer)
		p = br.open(gradePath)
		wantPage(t, "grading page of a trainer who taught the candidate", p, http.StatusOK, gradePath)
		if m := br.text("[data-grading-refused]"); !strings.Contains(m, "You taught this candidate (cohort Oral cohort)") ||
			!strings.Contains(m, "A vendor administrator can record an exception with a reason") {
			t.Errorf("refusal: %q", m)
		}
		if n := run(br, "count grading forms", chromedp.Evaluate[int](`document.querySelectorAll('main form[action$="/grade"]').length`)); n != 0 {
			t.Errorf("%d grading forms shown to a trainer who may not grade", n)
		}

		// 3. The administrator records the exception on the grading page, with its reason.
		as(cast.admin)
		p = br.open(gradePath)
		wantPage(t, "administrator's grading page", p, http.StatusOK, gradePath)
		if m := br.text("[data-conflicts]"); !strings.Contains(m, cast.trainer.Name+" (Oral cohort)") {
			t.Errorf("conflicts section: %q", m)
		}
		br.checkA11y("administrator's grading page", "")
		p = br.load("record the exception without a reason", chromedp.Click(`//main//form[contains(@action,"/exceptions")]//button[@type="submit"]`))
		wantPage(t, "exception without a reason", p, http.StatusUnprocessableEntity, "/oral/bookings/"+b.ID+"/exceptions")
		if e := br.text("[data-conflicts] .error-message"); !strings.Contains(e, "Give the reason for the exception") {
			t.Errorf("exception without a reason: %q", e)
		}
		const reason = "The only examiner who signs; the candidate asked for an ASL exam."
		br.typeInto("f-exception_reason", reason)
		p = br.load("record the exception", chromedp.Click(`//main//form[contains(@action,"/exceptions")]//button[@type="submit"]`))
		wantPage(t, "after recording the exception", p, http.StatusOK, gradePath)
		if f := br.text(".flash-success"); f != "Exception recorded. The examiner may now grade this candidate." {
			t.Errorf("flash: %q", f)
		}

		// 4. The trainer now sees the exception and grades; scores at the top of the scale need their
		// evidence notes.
		as(cast.trainer)
		p = br.open(gradePath)
		wantPage(t, "grading page with the exception", p, http.StatusOK, gradePath)
		if m := br.text("[data-exception]"); !strings.Contains(m, "allows this examiner to grade") || !strings.Contains(m, reason) {
			t.Errorf("exception notice: %q", m)
		}
		br.do("choose the scenario", chromedp.SetValue(chromedp.ID("f-scenario"), rubric.Scenarios[1].ID))
		br.do("score every competency 3", scoreAll(rubric, 3)...)
		p = br.load("submit without evidence", chromedp.Click(gradeButton))
		dialogs.want(t, "submit without evidence", "Submit this grade? It cannot be edited afterwards.")
		wantPage(t, "grade without evidence", p, http.StatusUnprocessableEntity, gradePath)
		first := rubric.Competencies[0]
		if e := br.text("#n-" + first.ID + "-error"); !strings.Contains(e, "A score of 3") || !strings.Contains(e, "needs a written evidence note") {
			t.Errorf("evidence error: %q", e)
		}
		if v := br.value("f-scenario"); v != rubric.Scenarios[1].ID {
			t.Errorf("scenario kept as %q", v)
		}
		br.do("write the evidence", evidenceNotes(rubric.Competencies, "Seen: ")...)
		p = br.load("submit the first grade", chromedp.Click(gradeButton))
		dialogs.want(t, "submit the first grade", "Submit this grade? It cannot be edited afterwards.")
		wantPage(t, "after the first grade", p, http.StatusOK, "/oral")
		total := 3 * len(rubric.Competencies)
		if f, want := br.text(".flash-success"), fmt.Sprintf("Grade recorded: total %d, passed. The result waits for the second examiner's independent grade.", total); f != want {
			t.Errorf("flash %q, want %q", f, want)
		}
		if g, _ := env.App.Oral.Gate(ctx, cast.candidate); g.Code != "result_pending" {
			t.Errorf("candidate's gate after one of two grades: %+v", g)
		}

		// 5. A second trainer finds the exam waiting, does not see the first grade, and fails it.
		as(trainer2)
		p = br.open("/oral")
		wantPage(t, "second trainer's oral page", p, http.StatusOK, "/oral")
		if m := br.text("[data-awaiting]"); !strings.Contains(m, oralCandidateName) || !strings.Contains(m, "a second examiner is needed") {
			t.Errorf("awaiting: %q", m)
		}
		p = br.load("follow Grade", chromedp.Click(chromedp.CSS(`[data-awaiting] a[href="`+gradePath+`"]`)))
		wantPage(t, "second examiner's grading page", p, http.StatusOK, gradePath)
		if n := run(br, "count the grades shown", chromedp.Evaluate[int](`document.querySelectorAll('[data-grade]').length`)); n != 0 {
			t.Errorf("the second examiner sees %d grades before grading", n)
		}
		risk := "risk-response"
		br.do("choose the scenario", chromedp.SetValue(chromedp.ID("f-scenario"), rubric.Scenarios[1].ID))
		br.do("score every competency 2", scoreAll(rubric, 2)...)
		br.do("score risk-response 1", chromedp.Click(chromedp.CSS(`main input[name="score_`+risk+`"][value="1"]`)))
		br.typeInto("n-"+risk, "Agreed to keep the plan secret.")
		p = br.load("submit the second grade", chromedp.Click(gradeButton))
		dialogs.want(t, "submit the second grade", "Submit this grade? It cannot be edited afterwards.")
		wantPage(t, "after the second grade", p, http.StatusOK, "/oral")
		if f := br.text(".flash-success"); !strings.HasSuffix(f, "did not pass. The two examiners disagree on pass or fail: a third examiner decides.") {
			t.Errorf("flash after disagreement: %q", f)
		}

		// 6. The administrator decides as the third examiner.
		as(cast.admin)
		p = br.open("/oral")
		wantPage(t, "administrator's oral page (disagreement)", p, http.StatusOK, "/oral")
		if m := br.text("[data-awaiting]"); !strings.Contains(m, "the examiners disagree; a deciding examiner is needed") {
			t.Errorf("awaiting for the third: %q", m)
		}
		p = br.load("follow Grade", chromedp.Click(chromedp.CSS(`[data-awaiting] a[href="`+gradePath+`"]`)))
		wantPage(t, "deciding examiner's grading page", p, http.StatusOK, gradePath)
		if h := br.text("main form h2"); h != "Your deciding grade" {
			t.Errorf("form heading %q", h)
		}
		br.do("choose the scenario", chromedp.SetValue(chromedp.ID("f-scenario"), rubric.Scenarios[1].ID))
		br.do("score every competency 3", scoreAll(rubric, 3)...)
		br.do("write the evidence", evidenceNotes(rubric.Competencies, "Decided: ")...)
		p = br.load("submit the deciding grade", chromedp.Click(gradeButton))
		dialogs.want(t, "submit the deciding grade", "Submit this grade? It cannot be edited afterwards.")
		wantPage(t, "after the deciding grade", p, http.StatusOK, "/oral")
		if f := br.text(".flash-success"); !strings.HasSuffix(f, "The deciding examiner's grade settles it: the candidate passed, and can now see the result.") {
			t.Errorf("flash after deciding: %q", f)
		}
		p = br.open(gradePath)
		wantPage(t, "grading page after the decision", p, http.StatusOK, gradePath)
		grades := run(br, "read the grades", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('[data-grade] p')).map(p => p.innerText)`))
		if len(grades) != 3 || !strings.Contains(grades[0], "first examiner · scenario: "+rubric.Scenarios[1].Title) ||
			!strings.Contains(grades[1], "Not passed") || !strings.Contains(grades[2], "deciding examiner") {
			t.Errorf("grades after the decision: %q", grades)
		}
		if m := br.text("[data-panel]"); !strings.Contains(m, "The result is decided: passed (decided by the third examiner).") {
			t.Errorf("panel status: %q", m)
		}

		// 7. The candidate reads the decided result.
		as(cast.candidate)
		p = br.open("/oral")
		wantPage(t, "candidate's result", p, http.StatusOK, "/oral")
		if m := br.text("[data-examiners]"); !strings.Contains(m, "Graded independently by 3 examiners; the first two disagreed, so a third examiner decided.") {
			t.Errorf("candidate's result: %q", m)
		}
		if m := br.text("main"); !strings.Contains(m, "You passed the oral examination.") || !strings.Contains(m, "Scenario: "+rubric.Scenarios[1].Title) {
			t.Errorf("candidate's page: %.600s", m)
		}
		dialogs.none(t)
	})
}
