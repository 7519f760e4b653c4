package oral_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// started books a slot of the trainer for a new candidate and moves the clock into the exam.
func (f *fixture) started(trainer *account.User, day int) (*account.User, *oral.BookingView) {
	f.t.Helper()
	start := f.at(2027, 3, day, 9, 0)
	sl := f.slot(trainer, start, 45)
	c := f.candidate()
	b := f.book(c, sl.ID)
	f.setNow(start.Add(50 * time.Minute))
	return c, b
}

// taught enrols the candidate in a cohort of the vendor that the trainer teaches.
func (f *fixture) taught(trainer, candidate *account.User, name string) {
	f.t.Helper()
	id := uuid.NewString()
	now := time.Now().UTC()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO cohorts (id, vendor_id, name, timezone, delivery, capacity, curriculum_version, created_at) VALUES (?, ?, ?, 'America/New_York', 'virtual', 10, 'v1', ?)`,
			[]any{id, f.vendor.ID, name, now}},
		{`INSERT INTO cohort_trainers (cohort_id, user_id) VALUES (?, ?)`, []any{id, trainer.ID}},
		{`INSERT INTO enrollments (id, cohort_id, candidate_id, status, enrolled_at) VALUES (?, ?, ?, 'withdrawn', ?)`, []any{uuid.NewString(), id, candidate.ID, now}},
	} {
		if _, err := f.db.NewRaw(q.sql, q.args...).Exec(f.ctx); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) auditDetails(action, subjectID string) string {
	f.t.Helper()
	var e audit.Event
	if err := f.db.NewSelect().Model(&e).Where("action = ?", action).Where("subject_id = ?", subjectID).Scan(f.ctx); err != nil {
		f.t.Fatalf("audit %s %s: %v", action, subjectID, err)
	}
	return e.Details
}

func TestGradeRecordsScenarioAndNeedsEvidenceAtTheEnds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		_, b := f.started(f.trainer, 2)
		comps := f.rubric.Competencies
		scores := f.scores(2)
		scores[comps[0].ID], scores[comps[1].ID], scores[comps[2].ID] = 3, 3, 1

		// The scenario is required and must be one of the rubric's.
		in := f.ok(oral.GradeInput{Scores: scores})
		in.Scenario = ""
		_, err := f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, in)
		if fs := fieldsOf(err); fs["scenario"] != "Choose the scenario you used." {
			t.Fatalf("no scenario: %v", err)
		}
		in.Scenario = "mystery-guest"
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, in)
		if fs := fieldsOf(err); !strings.Contains(fs["scenario"], `"mystery-guest" is not a scenario`) {
			t.Fatalf("unknown scenario: %v", err)
		}

		// A 3 (the top) or a 1 (the bottom) without its evidence note is refused, per competency;
		// a 2 needs none. A blank note is no note.
		in = f.ok(oral.GradeInput{Scores: scores})
		in.Scenario = f.rubric.Scenarios[2].ID
		delete(in.Notes, comps[0].ID)
		in.Notes[comps[2].ID] = "   "
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, in)
		fs := fieldsOf(err)
		if len(fs) != 2 || !strings.Contains(fs["notes."+comps[0].ID], "A score of 3 (Demonstrated with skill) for “"+comps[0].Title+"” needs a written evidence note") ||
			!strings.Contains(fs["notes."+comps[2].ID], "A score of 1 (Not yet demonstrated)") {
			t.Fatalf("missing evidence: %v", fs)
		}
		in.Notes[comps[0].ID], in.Notes[comps[2].ID] = "Named the feeling and checked it.", "Promised to keep the plan secret."
		g, err := f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, in)
		must(t, err)
		if g.ScenarioID != f.rubric.Scenarios[2].ID || g.Seat != oral.SeatFirst || g.Panel != 1 || g.Decision == nil || !g.Decision.Decided || g.Decision.By != oral.DecidedSingle {
			t.Fatalf("grade %+v (decision %+v)", g, g.Decision)
		}
		gs, err := f.svc.Grades(f.ctx, f.trainer, b.ID)
		must(t, err)
		if len(gs) != 1 || gs[0].ScenarioTitle != f.rubric.Scenarios[2].Title {
			t.Fatalf("grades %+v", gs)
		}
		if det := f.auditDetails("oral.grade", g.ID); !strings.Contains(det, `"scenario":"`+g.ScenarioID+`"`) || strings.Contains(det, "Promised") {
			t.Errorf("audit details %s", det)
		}

		// Amendments follow the same rules.
		_, err = f.svc.Amend(f.ctx, actor(f.trainer), f.trainer, g.ID, "typo", oral.GradeInput{Scenario: g.ScenarioID, Scores: f.scores(3)})
		if fs := fieldsOf(err); len(fs) != len(comps) {
			t.Fatalf("amendment without evidence: %v", fs)
		}
	})
}

func TestExaminerWhoTaughtTheCandidateNeedsAnException(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		c, b := f.started(f.trainer, 2)
		f.taught(f.trainer, c, "Spring cohort")

		// The slot's trainer taught the candidate (even though the candidate later withdrew): refused,
		// also when an administrator submits for them; the status says why.
		st, err := f.svc.GradingStatus(f.ctx, f.trainer, b.ID)
		must(t, err)
		if st.CanGrade || st.Code != "examiner_conflict" || len(st.TaughtIn) != 1 || st.TaughtIn[0] != "Spring cohort" || st.Exception != nil ||
			!strings.Contains(st.Message, "You taught this candidate (cohort Spring cohort)") || !strings.Contains(st.Message, "vendor administrator can record an exception") {
			t.Fatalf("status %+v", st)
		}
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		wantCode(t, err, apperr.Forbidden, "examiner_conflict")
		_, err = f.svc.Grade(f.ctx, actor(f.admin), f.admin, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		if e := wantCode(t, err, apperr.Forbidden, "examiner_conflict"); !strings.Contains(e.Message, "The examiner of this slot taught") {
			t.Errorf("admin for the examiner: %q", e.Message)
		}
		ast, err := f.svc.GradingStatus(f.ctx, f.admin, b.ID)
		must(t, err)
		if len(ast.Conflicts[f.trainer.ID]) != 1 {
			t.Errorf("the administrator's status lists no conflict: %+v", ast)
		}

		// Only the vendor's administrators record exceptions, for their own staff and candidates,
		// with a reason.
		in := oral.ExceptionInput{ExaminerID: f.trainer.ID, BookingID: b.ID, Reason: "SECRET-REASON only examiner with ASL"}
		_, err = f.svc.AddException(f.ctx, actor(f.trainer), f.trainer, in)
		wantCode(t, err, apperr.Forbidden, "forbidden")
		for name, bad := range map[string]oral.ExceptionInput{
			"reason":       {ExaminerID: f.trainer.ID, BookingID: b.ID, Reason: " "},
			"examiner_id":  {ExaminerID: f.otherTrainer.ID, BookingID: b.ID, Reason: "x"},
			"booking_id":   {ExaminerID: f.trainer.ID, BookingID: uuid.NewString(), Reason: "x"},
			"candidate_id": {ExaminerID: f.trainer.ID, CandidateID: f.user(account.RoleCandidate, "").ID, Reason: "x"},
		} {
			if _, err := f.svc.AddException(f.ctx, actor(f.admin), f.admin, bad); fieldsOf(err)[name] == "" {
				t.Errorf("exception with a bad %s: %v", name, err)
			}
		}
		exc, err := f.svc.AddException(f.ctx, actor(f.admin), f.admin, in)
		must(t, err)
		if n := f.auditCount("oral.examiner_exception", exc.ID); n != 1 {
			t.Errorf("%d audit events for the exception", n)
		}
		if det := f.auditDetails("oral.examiner_exception", exc.ID); strings.Contains(det, "SECRET-REASON") || !strings.Contains(det, f.trainer.ID) {
			t.Errorf("exception audit details %s", det)
		}
		es, err := f.svc.Exceptions(f.ctx, f.admin)
		must(t, err)
		if len(es) != 1 || es[0].Reason != in.Reason || es[0].CandidateID != c.ID {
			t.Errorf("exceptions %+v", es)
		}

		// With the exception the examiner grades; the grade's audit names the exception.
		st, err = f.svc.GradingStatus(f.ctx, f.trainer, b.ID)
		must(t, err)
		if !st.CanGrade || st.Exception == nil || st.Exception.ID != exc.ID {
			t.Fatalf("status with the exception %+v", st)
		}
		g, err := f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		must(t, err)
		if det := f.auditDetails("oral.grade", g.ID); !strings.Contains(det, `"exception":"`+exc.ID+`"`) {
			t.Errorf("grade audit details %s", det)
		}

		// A booking's exception covers that booking only; a candidate-wide one covers every exam.
		c2 := f.candidate()
		f.taught(f.trainer, c2, "Summer cohort")
		earlier := f.book(c2, f.slot(f.trainer, f.at(2027, 3, 8, 9, 0), 45).ID)
		_, err = f.svc.AddException(f.ctx, actor(f.admin), f.admin, oral.ExceptionInput{ExaminerID: f.trainer.ID, BookingID: earlier.ID, Reason: "For that day only."})
		must(t, err)
		must(t, f.svc.Cancel(f.ctx, actor(f.trainer), f.trainer, earlier.ID, "Examiner unwell."))
		b2 := f.book(c2, f.slot(f.trainer, f.at(2027, 3, 9, 9, 0), 45).ID)
		f.setNow(f.at(2027, 3, 9, 9, 50))
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b2.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		wantCode(t, err, apperr.Forbidden, "examiner_conflict")
		_, err = f.svc.AddException(f.ctx, actor(f.admin), f.admin, oral.ExceptionInput{ExaminerID: f.trainer.ID, CandidateID: c2.ID, Reason: "Small team this term."})
		must(t, err)
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b2.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		must(t, err)

		// Another trainer, who did not teach the candidate, is not affected by the rule.
		c3, b3 := f.started(f.trainer2, 16)
		f.taught(f.trainer, c3, "Autumn cohort")
		_, err = f.svc.Grade(f.ctx, actor(f.trainer2), f.trainer2, b3.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		must(t, err)
	})
}

func TestTwoExaminersAndADecidingThird(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		st, err := f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, oral.Settings{CutoffHours: 24, RetakeWaitDays: 14, TwoExaminers: true})
		must(t, err)
		if got, _ := f.svc.Settings(f.ctx, f.vendor.ID); !got.TwoExaminers {
			t.Fatalf("settings not saved: %+v", got)
		}
		if det := f.auditDetails("oral.settings", f.vendor.ID); !strings.Contains(det, `"two_examiners":true`) {
			t.Errorf("settings audit %s", det)
		}
		third := f.user(account.RoleTrainer, f.vendor.ID)
		c, b := f.started(f.trainer, 2)
		pass, fail := f.ok(oral.GradeInput{Scores: f.scores(3)}), f.ok(oral.GradeInput{Scores: f.scores(2)})

		// The first examiner: the result waits for a second one; the candidate is told nothing yet
		// and cannot book again.
		g1, err := f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, pass)
		must(t, err)
		if g1.Seat != 1 || g1.Panel != 2 || g1.Decision.Decided || g1.Decision.NextSeat != oral.SeatSecond {
			t.Fatalf("first grade %+v (%+v)", g1, g1.Decision)
		}
		for _, m := range f.mails(c.Email) {
			if strings.Contains(m.Subject, "result") {
				t.Errorf("result mail before the decision: %q", m.Subject)
			}
		}
		_, err = f.svc.Result(f.ctx, c)
		wantCode(t, err, apperr.NotFound, "no_result")
		gate, err := f.svc.Gate(f.ctx, c)
		must(t, err)
		if gate.Code != "result_pending" || gate.ActiveBookingID != b.ID || !strings.Contains(gate.Message, "another examiner") {
			t.Fatalf("gate while waiting: %+v", gate)
		}
		if v, _ := f.svc.GetBooking(f.ctx, c, b.ID); v.Graded {
			t.Errorf("the booking shows graded before the decision")
		}
		// Turning the setting off now does not change this booking's panel.
		st.TwoExaminers = false
		_, err = f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, st)
		must(t, err)

		// The same examiner cannot take the second seat; the other trainers see the exam waiting but
		// not the first grade (they grade independently).
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, pass)
		wantCode(t, err, apperr.Conflict, "already_examined")
		aw, err := f.svc.AwaitingGrades(f.ctx, f.trainer2)
		must(t, err)
		if len(aw) != 1 || aw[0].BookingID != b.ID || aw[0].Seat != oral.SeatSecond || aw[0].CandidateName != c.Name {
			t.Fatalf("awaiting for trainer2: %+v", aw)
		}
		if aw, _ := f.svc.AwaitingGrades(f.ctx, f.trainer); len(aw) != 0 {
			t.Errorf("awaiting for the first examiner: %+v", aw)
		}
		if v, err := f.svc.GetBooking(f.ctx, f.trainer2, b.ID); err != nil || v.ID != b.ID {
			t.Fatalf("trainer2 cannot open the booking: %v", err)
		}
		if _, err := f.svc.GetBooking(f.ctx, f.otherTrainer, b.ID); err == nil {
			t.Fatal("another vendor's trainer opens the booking")
		}
		if gs, err := f.svc.Grades(f.ctx, f.trainer2, b.ID); err != nil || len(gs) != 0 {
			t.Fatalf("trainer2 sees %d grades before grading (%v)", len(gs), err)
		}
		_, err = f.svc.Grade(f.ctx, actor(f.otherTrainer), f.otherTrainer, b.ID, pass)
		wantCode(t, err, apperr.NotFound, "not_found")

		// The second examiner disagrees: a third, different examiner must decide. A grade sent for
		// the second seat after another examiner took it is refused, not made the deciding one.
		st2, err := f.svc.GradingStatus(f.ctx, f.trainer2, b.ID)
		must(t, err)
		if !st2.CanGrade || st2.Seat != oral.SeatSecond || st2.ExaminerID != f.trainer2.ID {
			t.Fatalf("trainer2's status: %+v", st2)
		}
		g2, err := f.svc.Grade(f.ctx, actor(f.trainer2), f.trainer2, b.ID, fail)
		must(t, err)
		if g2.Seat != 2 || g2.TrainerID != f.trainer2.ID || g2.Decision.Decided || g2.Decision.NextSeat != oral.SeatDeciding {
			t.Fatalf("second grade %+v (%+v)", g2, g2.Decision)
		}
		for _, u := range []*account.User{f.trainer, f.trainer2} {
			_, err = f.svc.Grade(f.ctx, actor(u), u, b.ID, pass)
			if e := wantCode(t, err, apperr.Conflict, "already_examined"); !strings.Contains(e.Message, "third examiner") {
				t.Errorf("already examined: %q", e.Message)
			}
		}
		// Only a seat's own examiner (or an administrator) amends it.
		_, err = f.svc.Amend(f.ctx, actor(f.trainer), f.trainer, g2.ID, "I disagree", pass)
		wantCode(t, err, apperr.NotFound, "not_found")
		if gate, _ := f.svc.Gate(f.ctx, c); gate.Code != "result_pending" {
			t.Fatalf("gate while the examiners disagree: %+v", gate)
		}

		late := pass
		late.Seat = oral.SeatSecond
		_, err = f.svc.Grade(f.ctx, actor(third), third, b.ID, late)
		wantCode(t, err, apperr.Conflict, "seat_changed")
		g3, err := f.svc.Grade(f.ctx, actor(third), third, b.ID, pass)
		must(t, err)
		if g3.Seat != 3 || !g3.Decision.Decided || !g3.Decision.Passed || g3.Decision.By != oral.DecidedThird || g3.Decision.GradeID != g3.ID {
			t.Fatalf("deciding grade %+v (%+v)", g3, g3.Decision)
		}
		res, err := f.svc.Result(f.ctx, c)
		must(t, err)
		if !res.Passed || res.GradeID != g3.ID || res.DecidedBy != oral.DecidedThird || res.Examiners != 3 || res.ExaminerName != third.Name {
			t.Fatalf("result %+v", res)
		}
		if gate, _ := f.svc.Gate(f.ctx, c); gate.Code != "already_passed" {
			t.Fatalf("gate after the decision: %+v", gate)
		}
		if ms := f.mails(c.Email); len(ms) == 0 || ms[0].Subject != "Your oral exam result is ready" {
			t.Errorf("no result mail after the decision")
		}
		_, err = f.svc.Grade(f.ctx, actor(f.admin), f.admin, b.ID, pass)
		wantCode(t, err, apperr.Conflict, "already_graded")
		// Every grade is kept, and now every examiner may see them all.
		gs, err := f.svc.Grades(f.ctx, f.trainer2, b.ID)
		must(t, err)
		if len(gs) != 3 || gs[0].ID != g1.ID || gs[1].ID != g2.ID || gs[2].ID != g3.ID {
			t.Fatalf("grades after the decision: %d", len(gs))
		}
		if decided, passed, err := oral.VendorOutcomes(f.ctx, f.db, f.vendor.ID); err != nil || decided != 1 || passed != 1 {
			t.Errorf("vendor outcomes %d/%d (%v), want the one exam once", passed, decided, err)
		}

		// Two examiners who agree decide without a third (the setting on again for new bookings).
		st.TwoExaminers = true
		_, err = f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, st)
		must(t, err)
		c2, b2 := f.started(f.trainer2, 9)
		_, err = f.svc.Grade(f.ctx, actor(f.trainer2), f.trainer2, b2.ID, fail)
		must(t, err)
		g, err := f.svc.Grade(f.ctx, actor(f.admin), f.admin, b2.ID, fail)
		must(t, err)
		if !g.Decision.Decided || g.Decision.Passed || g.Decision.By != oral.DecidedAgreement {
			t.Fatalf("agreement %+v", g.Decision)
		}
		_, err = f.svc.Grade(f.ctx, actor(third), third, b2.ID, pass)
		wantCode(t, err, apperr.Conflict, "already_graded")
		if res, err := f.svc.Result(f.ctx, c2); err != nil || res.Passed || res.DecidedBy != oral.DecidedAgreement || res.RebookFrom == nil {
			t.Fatalf("result by agreement %+v (%v)", res, err)
		}
		if gate, _ := f.svc.Gate(f.ctx, c2); gate.Code != "retake_wait" {
			t.Fatalf("gate after a failed decision: %+v", gate)
		}
		// An amendment by the seat's examiner that turns agreement into disagreement reopens the
		// decision for a third examiner.
		_, err = f.svc.Amend(f.ctx, actor(f.trainer2), f.trainer2, g.ID, "wrong booking", pass)
		wantCode(t, err, apperr.NotFound, "not_found")
		a, err := f.svc.Amend(f.ctx, actor(f.admin), f.admin, g.ID, "Scores were entered for the wrong candidate.", pass)
		must(t, err)
		if a.Seat != 2 || a.Decision.Decided || a.Decision.NextSeat != oral.SeatDeciding {
			t.Fatalf("amended seat: %+v (%+v)", a, a.Decision)
		}
		if decided, passed, _ := oral.VendorOutcomes(f.ctx, f.db, f.vendor.ID); decided != 1 || passed != 1 {
			t.Errorf("vendor outcomes with one exam reopened: %d/%d", passed, decided)
		}
	})
}
