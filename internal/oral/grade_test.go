package oral_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

func TestGrading(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		start := f.at(2027, 3, 2, 9, 0)
		sl := f.slot(f.trainer, start, 45)
		c := f.candidate()
		b := f.book(c, sl.ID)
		first := f.rubric.Competencies[0].ID

		// Not before the exam starts.
		_, err := f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		wantCode(t, err, apperr.Conflict, "not_started")
		f.setNow(start.Add(50 * time.Minute))

		// Only the examiner or the vendor's administrators.
		_, err = f.svc.Grade(f.ctx, actor(f.trainer2), f.trainer2, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		wantCode(t, err, apperr.NotFound, "not_found")
		_, err = f.svc.Grade(f.ctx, actor(f.otherTrainer), f.otherTrainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		wantCode(t, err, apperr.NotFound, "not_found")
		_, err = f.svc.Grade(f.ctx, actor(c), c, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		wantCode(t, err, apperr.NotFound, "not_found")

		// Every competency, on the scale, nothing else.
		missing := f.scores(3)
		delete(missing, first)
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: missing}))
		if fs := fieldsOf(err); fs["scores."+first] == "" {
			t.Fatalf("missing competency: %v", err)
		}
		off := f.scores(3)
		off[first] = 4
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: off}))
		if fs := fieldsOf(err); !strings.Contains(fs["scores."+first], "1, 2, 3") {
			t.Fatalf("out of scale: %v", fs)
		}
		off[first] = 0
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: off}))
		if fs := fieldsOf(err); fs["scores."+first] == "" {
			t.Fatalf("score 0: %v", fs)
		}
		extra := f.scores(3)
		extra["charisma"] = 3
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: extra}))
		if fs := fieldsOf(err); !strings.Contains(fs["scores"], "charisma") {
			t.Fatalf("unknown competency: %v", fs)
		}
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3), Notes: map[string]string{"charisma": "x"}}))
		if fs := fieldsOf(err); fs["notes"] == "" {
			t.Fatalf("note on unknown competency: %v", fs)
		}
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3), Feedback: strings.Repeat("x", oral.MaxFeedbackLength+1)}))
		if fs := fieldsOf(err); fs["feedback"] == "" {
			t.Fatalf("long feedback: %v", fs)
		}

		// All 2s: 16, below the total of 18 although every competency reaches 2: fail.
		note := "SECRET-NOTE asked about the crisis plan"
		g, err := f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(2),
			Notes: map[string]string{first: note}, Feedback: "SECRET-FEEDBACK keep practising reflections"}))
		must(t, err)
		if g.Passed || g.Total != 2*len(f.rubric.Competencies) || g.RubricVersion != f.rubric.Version() || g.AmendsID != nil || g.TrainerID != f.trainer.ID {
			t.Fatalf("grade %+v", g)
		}
		if ok, _ := f.rubric.Passes(f.scores(2)); ok {
			t.Fatal("fixture assumption: all 2s should fail the real rubric")
		}
		got, err := f.svc.GetBooking(f.ctx, c, b.ID)
		must(t, err)
		if got.Status != oral.BookingCompleted || !got.Graded || got.Passed == nil || *got.Passed {
			t.Fatalf("booking after grading %+v", got)
		}

		// Cannot be graded twice, nor changed in place.
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		e := wantCode(t, err, apperr.Conflict, "already_graded")
		if !strings.Contains(e.Message, "already graded; submit an amendment") {
			t.Fatalf("message %q", e.Message)
		}
		if _, err := f.db.NewUpdate().Model((*oral.Grade)(nil)).Set("passed = ?", true).Where("id = ?", g.ID).Exec(f.ctx); err == nil {
			t.Fatal("the database let a grade be updated")
		}

		// The result: scores, notes, feedback, and when they may book again.
		r, err := f.svc.Result(f.ctx, c)
		must(t, err)
		if r.Passed || r.GradeID != g.ID || r.Feedback != "SECRET-FEEDBACK keep practising reflections" || len(r.Competencies) != len(f.rubric.Competencies) ||
			r.Competencies[0].Note != note || r.Competencies[0].Level != "Demonstrated" || r.Reason == "" || r.MinTotal != 18 || r.Amended {
			t.Fatalf("result %+v", r)
		}
		if r.RebookFrom == nil || !r.RebookFrom.Equal(f.at(2027, 3, 16, 0, 0)) {
			t.Fatalf("rebook from %v", r.RebookFrom)
		}

		// An amendment needs a reason, makes a new row, and becomes the effective grade.
		_, err = f.svc.Amend(f.ctx, actor(f.trainer), f.trainer, g.ID, " ", f.ok(oral.GradeInput{Scores: f.scores(3)}))
		if fs := fieldsOf(err); fs["reason"] == "" {
			t.Fatalf("amend without reason: %v", err)
		}
		_, err = f.svc.Amend(f.ctx, actor(f.trainer2), f.trainer2, g.ID, "x", f.ok(oral.GradeInput{Scores: f.scores(3)}))
		wantCode(t, err, apperr.NotFound, "not_found")
		a, err := f.svc.Amend(f.ctx, actor(f.admin), f.admin, g.ID, "SECRET-REASON added up wrongly", f.ok(oral.GradeInput{Scores: f.scores(3), Feedback: "Well done"}))
		must(t, err)
		if a.ID == g.ID || a.AmendsID == nil || *a.AmendsID != g.ID || !a.Passed || a.Total != 3*len(f.rubric.Competencies) || a.GradedBy != f.admin.ID || a.TrainerID != f.trainer.ID {
			t.Fatalf("amendment %+v", a)
		}
		r, err = f.svc.Result(f.ctx, c)
		must(t, err)
		if !r.Passed || r.GradeID != a.ID || !r.Amended || r.RebookFrom != nil || r.Feedback != "Well done" {
			t.Fatalf("result after amendment %+v", r)
		}
		gs, err := f.svc.Grades(f.ctx, f.trainer, b.ID)
		must(t, err)
		if len(gs) != 2 || gs[0].ID != g.ID || gs[1].ID != a.ID || gs[0].Passed || gs[0].Notes[first] != note {
			t.Fatalf("history %+v", gs)
		}
		_, err = f.svc.Grades(f.ctx, c, b.ID)
		wantCode(t, err, apperr.NotFound, "not_found")

		// The superseded grade cannot be amended again; two amendments of the current one at once: one wins.
		_, err = f.svc.Amend(f.ctx, actor(f.trainer), f.trainer, g.ID, "again", f.ok(oral.GradeInput{Scores: f.scores(2)}))
		wantCode(t, err, apperr.Conflict, "grade_amended")
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.svc.Amend(f.ctx, actor(f.trainer), f.trainer, a.ID, "race", f.ok(oral.GradeInput{Scores: f.scores(2 + i%2)}))
			}()
		}
		wg.Wait()
		okN := 0
		for _, err := range errs {
			if err == nil {
				okN++
			} else if e, _ := apperr.As(err); e == nil || e.Code != "grade_amended" {
				t.Fatalf("racing amendment: %v", err)
			}
		}
		if okN != 1 {
			t.Fatalf("%d racing amendments succeeded", okN)
		}
		var rows int
		must(t, f.db.NewSelect().Table("oral_grades").ColumnExpr("COUNT(*)").Where("booking_id = ?", b.ID).Scan(f.ctx, &rows))
		if rows != 3 {
			t.Fatalf("%d grade rows", rows)
		}

		// Audited, without notes, feedback or reasons.
		if f.auditCount("oral.grade", g.ID) != 1 || f.auditCount("oral.grade.amend", a.ID) != 1 {
			t.Fatal("grading not audited")
		}
		var details []string
		must(t, f.db.NewSelect().Table("audit_events").Column("details").Where("action LIKE ?", "oral.%").Scan(f.ctx, &details))
		for _, dd := range details {
			if strings.Contains(dd, "SECRET") || strings.Contains(dd, "Well done") {
				t.Fatalf("audit details leak text: %s", dd)
			}
		}
		// The candidate was told a result is ready, without the result.
		ms := f.mails(c.Email)
		if !strings.Contains(ms[0].Subject, "result") || strings.Contains(ms[0].Body, "SECRET") || strings.Contains(ms[0].Body, "passed") {
			t.Fatalf("result mail %q: %s", ms[0].Subject, ms[0].Body)
		}
	})
}

// After a fail a candidate books again only after the vendor's wait; after a pass, never.
func TestRebookAfterFail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		start := f.at(2027, 3, 2, 9, 0)
		sl := f.slot(f.trainer, start, 45)
		later := f.slot(f.trainer, f.at(2027, 4, 6, 9, 0), 45)
		c := f.candidate()
		b := f.book(c, sl.ID)
		f.setNow(start.Add(time.Hour))
		low := f.scores(3)
		low[f.rubric.Competencies[2].ID] = 1 // one competency below the minimum: fail
		g, err := f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: low}))
		must(t, err)
		if g.Passed {
			t.Fatal("a 1 should fail")
		}
		// 14 days (the default) from the exam's date: from March 16 (local midnight).
		f.setNow(f.at(2027, 3, 15, 23, 59))
		_, err = f.svc.Book(f.ctx, actor(c), c, later.ID)
		e := wantCode(t, err, apperr.Forbidden, "retake_wait")
		if !strings.Contains(e.Message, "Tuesday, March 16, 2027") {
			t.Fatalf("message %q", e.Message)
		}
		gate, err := f.svc.Gate(f.ctx, c)
		must(t, err)
		if gate.CanBook || gate.RebookFrom == nil || !gate.RebookFrom.Equal(f.at(2027, 3, 16, 0, 0)) {
			t.Fatalf("gate %+v", gate)
		}
		f.setNow(f.at(2027, 3, 16, 0, 0))
		b2 := f.book(c, later.ID)

		// A vendor's own wait applies.
		_, err = f.svc.UpdateSettings(f.ctx, actor(f.trainer), f.trainer, oral.Settings{CutoffHours: 48, RetakeWaitDays: 30})
		wantCode(t, err, apperr.Forbidden, "forbidden")
		_, err = f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, oral.Settings{CutoffHours: -1, RetakeWaitDays: 30})
		if fs := fieldsOf(err); fs["cutoff_hours"] == "" {
			t.Fatalf("bad cutoff: %v", err)
		}
		st, err := f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, oral.Settings{CutoffHours: 48, RetakeWaitDays: 30})
		must(t, err)
		if !st.Saved || st.CutoffHours != 48 {
			t.Fatalf("settings %+v", st)
		}
		// The new cutoff applies to the candidate's booking: 47 hours before is too late now.
		f.setNow(later.StartsAt.Add(-47 * time.Hour))
		err = f.svc.Cancel(f.ctx, actor(c), c, b2.ID, "")
		e = wantCode(t, err, apperr.Forbidden, "cancel_deadline")
		if !strings.Contains(e.Message, "48 hours") {
			t.Fatalf("message %q", e.Message)
		}

		// Second fail: 30 days now.
		f.setNow(later.StartsAt.Add(time.Hour))
		_, err = f.svc.Grade(f.ctx, actor(f.admin), f.admin, b2.ID, f.ok(oral.GradeInput{Scores: low}))
		must(t, err)
		gate, err = f.svc.Gate(f.ctx, c)
		must(t, err)
		if gate.Code != "retake_wait" || !gate.RebookFrom.Equal(f.at(2027, 5, 6, 0, 0)) {
			t.Fatalf("gate after second fail %+v", gate)
		}
		r, err := f.svc.Result(f.ctx, c)
		must(t, err)
		if r.BookingID != b2.ID || r.RebookFrom == nil || !r.RebookFrom.Equal(f.at(2027, 5, 6, 0, 0)) {
			t.Fatalf("result %+v", r)
		}

		// A pass ends booking for good.
		third := f.slot(f.trainer, f.at(2027, 5, 11, 9, 0), 45)
		f.setNow(f.at(2027, 5, 6, 0, 0))
		b3 := f.book(c, third.ID)
		f.setNow(third.StartsAt.Add(time.Hour))
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b3.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		must(t, err)
		fourth := f.slot(f.trainer, f.at(2027, 6, 1, 9, 0), 45)
		_, err = f.svc.Book(f.ctx, actor(c), c, fourth.ID)
		wantCode(t, err, apperr.Forbidden, "already_passed")
		r, err = f.svc.Result(f.ctx, c)
		must(t, err)
		if !r.Passed || r.BookingID != b3.ID {
			t.Fatalf("result %+v", r)
		}
		bs, err := f.svc.Bookings(f.ctx, c)
		must(t, err)
		if len(bs) != 3 || bs[0].ID != b3.ID || !bs[0].Graded || !*bs[0].Passed || *bs[1].Passed {
			t.Fatalf("bookings %+v", bs)
		}
		// No result yet for someone else.
		_, err = f.svc.Result(f.ctx, f.candidate())
		wantCode(t, err, apperr.NotFound, "no_result")
	})
}

func TestRubricVersionStable(t *testing.T) {
	r := realRubric(t)
	if r.Version() != realRubric(t).Version() || len(r.Version()) != 16 {
		t.Fatalf("version %q", r.Version())
	}
	r2 := realRubric(t)
	r2.MinTotal++
	if r2.Version() == r.Version() {
		t.Fatal("the version ignores the pass rule")
	}
}
