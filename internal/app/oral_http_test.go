package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/api"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// passedWith stands in for the written exam: every candidate passed it with one vendor.
type passedWith string

func (v passedWith) Passed(context.Context, string) (string, bool, error) {
	return string(v), true, nil
}

// TestOralGradingRulesOverAPI: the examiner rules through the JSON API: a trainer who taught the
// candidate is refused (403, and the grading view says why) until a vendor administrator records an
// exception with a reason; a grade needs the scenario and evidence notes at the ends of the scale
// (422 with field errors); with "two examiners" set, the second examiner's disagreement leaves the
// result to a third.
func TestOralGradingRulesOverAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		ctx := context.Background()
		vendor := env.Vendor("api-oral")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		trainer := env.User(account.RoleTrainer, vendor.ID)
		trainer2 := env.User(account.RoleTrainer, vendor.ID)
		svc := env.App.Oral
		svc.Written = passedWith(vendor.ID)
		client := func(u *account.User) examClient {
			return examClient{t: t, env: env, token: env.Session(u, account.KindAPI)}
		}
		asAdmin, asTrainer, asTrainer2 := client(admin), client(trainer), client(trainer2)

		start := time.Now().UTC().Truncate(time.Hour).Add(48 * time.Hour)
		book := func(day int) (*account.User, string) {
			c := env.User(account.RoleCandidate, "")
			at := start.Add(time.Duration(day) * 24 * time.Hour).In(time.UTC)
			loc, _ := time.LoadLocation(oral.DefaultTimezone)
			l := at.In(loc)
			ss, err := svc.CreateSlots(ctx, audit.Actor{UserID: trainer.ID}, trainer, oral.SlotInput{Date: l.Format("2006-01-02"), Start: l.Format("15:04"),
				End: l.Add(45 * time.Minute).Format("15:04"), Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/api"})
			if err != nil || len(ss) != 1 {
				t.Fatalf("slot: %v", err)
			}
			b, err := svc.Book(ctx, audit.Actor{UserID: c.ID}, c, ss[0].ID)
			if err != nil {
				t.Fatalf("book: %v", err)
			}
			return c, b.ID
		}
		c, bookingID := book(0)
		c2, booking2 := book(2)
		// The trainer taught the candidate's cohort.
		cohortID := uuid.NewString()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO cohorts (id, vendor_id, name, timezone, delivery, capacity, curriculum_version, created_at) VALUES (?, ?, 'Winter cohort', 'America/New_York', 'virtual', 10, 'v1', ?)`, []any{cohortID, vendor.ID, time.Now().UTC()}},
			{`INSERT INTO cohort_trainers (cohort_id, user_id) VALUES (?, ?)`, []any{cohortID, trainer.ID}},
			{`INSERT INTO enrollments (id, cohort_id, candidate_id, status, enrolled_at) VALUES (?, ?, ?, 'active', ?)`, []any{uuid.NewString(), cohortID, c.ID, time.Now().UTC()}},
		} {
			if _, err := env.App.DB.NewRaw(q.sql, q.args...).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		svc.Now = func() time.Time { return start.Add(60 * 24 * time.Hour) } // after every exam of the test
		r := svc.Rubric
		scores, notes := map[string]int{}, map[string]string{}
		for _, comp := range r.Competencies {
			scores[comp.ID], notes[comp.ID] = 3, "Evidence for "+comp.Title
		}
		good := oral.GradeInput{Scenario: r.Scenarios[1].ID, Scores: scores, Notes: notes, Feedback: "Clear and warm."}

		var view api.GradingView
		asTrainer.want(http.StatusOK, "GET", "/oral/bookings/"+bookingID+"/grading", nil, &view)
		if view.Status.CanGrade || view.Status.Code != "examiner_conflict" || len(view.Status.TaughtIn) != 1 || view.Status.TaughtIn[0] != "Winter cohort" ||
			!strings.Contains(view.Status.Message, "vendor administrator can record an exception") {
			t.Fatalf("grading view of a trainer who taught the candidate: %+v", view.Status)
		}
		var e apiError
		asTrainer.want(http.StatusForbidden, "POST", "/oral/bookings/"+bookingID+"/grade", good, &e)
		if e.Error.Code != "examiner_conflict" {
			t.Fatalf("grade by a trainer who taught the candidate: %+v", e)
		}

		// Exceptions: administrators only, a reason required.
		asTrainer.want(http.StatusForbidden, "POST", "/oral/exceptions", oral.ExceptionInput{ExaminerID: trainer.ID, BookingID: bookingID, Reason: "mine"}, nil)
		e = apiError{}
		asAdmin.want(http.StatusUnprocessableEntity, "POST", "/oral/exceptions", oral.ExceptionInput{ExaminerID: trainer.ID, BookingID: bookingID}, &e)
		if e.Error.Fields["reason"] == "" {
			t.Fatalf("exception without a reason: %+v", e)
		}
		var exc oral.Exception
		asAdmin.want(http.StatusCreated, "POST", "/oral/exceptions", oral.ExceptionInput{ExaminerID: trainer.ID, BookingID: bookingID, Reason: "Only examiner who signs."}, &exc)
		var list api.ExceptionList
		asAdmin.want(http.StatusOK, "GET", "/oral/exceptions", nil, &list)
		if len(list.Exceptions) != 1 || list.Exceptions[0].ID != exc.ID || list.Exceptions[0].CandidateID != c.ID {
			t.Fatalf("exceptions: %+v", list)
		}
		asTrainer.want(http.StatusOK, "GET", "/oral/bookings/"+bookingID+"/grading", nil, &view)
		if !view.Status.CanGrade || view.Status.Exception == nil || view.Status.Exception.ID != exc.ID {
			t.Fatalf("grading view with the exception: %+v", view.Status)
		}

		// The scenario and the evidence notes at either end of the scale.
		bad := good
		bad.Scenario, bad.Notes = "", map[string]string{}
		e = apiError{}
		asTrainer.want(http.StatusUnprocessableEntity, "POST", "/oral/bookings/"+bookingID+"/grade", bad, &e)
		if e.Error.Fields["scenario"] == "" || !strings.Contains(e.Error.Fields["notes."+r.Competencies[0].ID], "needs a written evidence note") {
			t.Fatalf("grade without scenario and evidence: %+v", e)
		}
		var g oral.Grade
		asTrainer.want(http.StatusCreated, "POST", "/oral/bookings/"+bookingID+"/grade", good, &g)
		if g.ScenarioID != r.Scenarios[1].ID || !g.Passed || g.Decision == nil || !g.Decision.Decided || g.Decision.By != oral.DecidedSingle {
			t.Fatalf("grade: %+v", g)
		}

		// Two examiners.
		var st oral.Settings
		asAdmin.want(http.StatusOK, "PUT", "/oral/settings", oral.Settings{CutoffHours: 24, RetakeWaitDays: 14, TwoExaminers: true}, &st)
		if !st.TwoExaminers {
			t.Fatalf("settings: %+v", st)
		}
		asTrainer.want(http.StatusForbidden, "PUT", "/oral/settings", st, nil)
		asTrainer.want(http.StatusCreated, "POST", "/oral/bookings/"+booking2+"/grade", good, &g)
		if g.Seat != 1 || g.Panel != 2 || g.Decision.Decided || g.Decision.NextSeat != 2 {
			t.Fatalf("first of two: %+v %+v", g, g.Decision)
		}
		var aw api.AwaitingList
		asTrainer2.want(http.StatusOK, "GET", "/oral/awaiting", nil, &aw)
		if len(aw.Awaiting) != 1 || aw.Awaiting[0].BookingID != booking2 || aw.Awaiting[0].Seat != 2 {
			t.Fatalf("awaiting: %+v", aw)
		}
		asTrainer2.want(http.StatusOK, "GET", "/oral/bookings/"+booking2+"/grading", nil, &view)
		if !view.Status.CanGrade || view.Status.Seat != 2 || len(view.Grades) != 0 {
			t.Fatalf("second examiner's view before grading (must not show the first grade): %+v, %d grades", view.Status, len(view.Grades))
		}
		fail := good
		fail.Scores = map[string]int{}
		for id := range scores {
			fail.Scores[id] = 1
		}
		asTrainer2.want(http.StatusCreated, "POST", "/oral/bookings/"+booking2+"/grade", fail, &g)
		if g.Decision.Decided || g.Decision.NextSeat != 3 {
			t.Fatalf("disagreement: %+v", g.Decision)
		}
		e = apiError{}
		asTrainer.want(http.StatusConflict, "POST", "/oral/bookings/"+booking2+"/grade", good, &e)
		if e.Error.Code != "already_examined" {
			t.Fatalf("the first examiner again: %+v", e)
		}
		asAdmin.want(http.StatusCreated, "POST", "/oral/bookings/"+booking2+"/grade", fail, &g)
		if !g.Decision.Decided || g.Decision.Passed || g.Decision.By != oral.DecidedThird {
			t.Fatalf("deciding grade: %+v", g.Decision)
		}
		var status api.OralStatus
		client(c2).want(http.StatusOK, "GET", "/oral", nil, &status)
		if status.Result == nil || status.Result.Passed || status.Result.DecidedBy != oral.DecidedThird || status.Result.Examiners != 3 {
			t.Fatalf("the candidate's result: %+v", status.Result)
		}
	})
}
