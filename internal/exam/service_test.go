package exam_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/migrations"
)

func TestSettings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		st, err := f.svc.Settings(f.ctx, f.vendor.ID)
		must(t, err)
		if st != exam.DefaultSettings(f.vendor.ID) || st.Saved || st.DurationMinutes != 90 || st.PassPercent != 75 || st.MaxAttempts != 3 || st.WaitDays != 7 || st.FormLength != 60 {
			t.Fatalf("defaults: %+v", st)
		}
		bad := exam.Settings{DurationMinutes: 5, PassPercent: 0, MaxAttempts: 0, WaitDays: -1, FormLength: 0}
		_, err = f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, bad)
		e := wantCode(t, err, apperr.Invalid, "invalid_input")
		for _, k := range []string{"duration_minutes", "pass_percent", "max_attempts", "wait_days", "form_length"} {
			if e.Fields[k] == "" {
				t.Errorf("no message for %s", k)
			}
		}
		// A form longer than the bank can fill.
		tooLong := exam.DefaultSettings("")
		tooLong.FormLength = 250
		if _, err := f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, tooLong); err == nil || !strings.Contains(err.Error(), "cannot fill") {
			t.Fatalf("form of 250: %v", err)
		}
		if _, err := f.svc.UpdateSettings(f.ctx, actor(f.trainer), f.trainer, exam.DefaultSettings("")); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer changed settings: %v", err)
		}
		in := exam.Settings{VendorID: f.other.ID, DurationMinutes: 120, PassPercent: 80, MaxAttempts: 2, WaitDays: 14, FormLength: 50}
		_, err = f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, in)
		must(t, err)
		got, _ := f.svc.Settings(f.ctx, f.vendor.ID)
		if !got.Saved || got.DurationMinutes != 120 || got.PassPercent != 80 || got.MaxAttempts != 2 || got.WaitDays != 14 || got.FormLength != 50 {
			t.Fatalf("saved: %+v", got)
		}
		if other, _ := f.svc.Settings(f.ctx, f.other.ID); other.Saved {
			t.Fatal("the admin changed another vendor's settings")
		}
		if f.auditCount("exam.settings", f.vendor.ID) != 1 {
			t.Fatal("settings change not audited")
		}
		// Updating again overwrites the row.
		in.PassPercent = 70
		_, err = f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, in)
		must(t, err)
		if got, _ := f.svc.Settings(f.ctx, f.vendor.ID); got.PassPercent != 70 {
			t.Fatalf("second update: %+v", got)
		}
	})
}

func TestGateCourseworkOverrideAndPass(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))

		if _, err := f.svc.Start(f.ctx, actor(f.trainer), f.trainer); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer started the exam: %v", err)
		}
		loner := f.user(account.RoleCandidate, "")
		_, err := f.svc.Start(f.ctx, actor(loner), loner)
		wantCode(t, err, apperr.Forbidden, "not_enrolled")

		c := f.candidate(false)
		_, err = f.svc.Start(f.ctx, actor(c), c)
		e := wantCode(t, err, apperr.Forbidden, "coursework_incomplete")
		if !strings.Contains(e.Message, "completed every module") {
			t.Fatalf("message: %s", e.Message)
		}
		g, err := f.svc.Gate(f.ctx, c)
		must(t, err)
		if g.CanStart || g.Code != "coursework_incomplete" {
			t.Fatalf("gate: %+v", g)
		}

		// Overrides: vendor admins of a vendor the candidate deals with, with a reason.
		wantCode(t, f.svc.OverrideGate(f.ctx, actor(f.admin), f.admin, c.ID, "  "), apperr.Invalid, "invalid_input")
		wantCode(t, f.svc.OverrideGate(f.ctx, actor(f.admin2), f.admin2, c.ID, "why not"), apperr.NotFound, "not_found")
		if err := f.svc.OverrideGate(f.ctx, actor(f.trainer), f.trainer, c.ID, "why not"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer overrode the gate: %v", err)
		}
		must(t, f.svc.OverrideGate(f.ctx, actor(f.admin), f.admin, c.ID, "Completed the same course with us in 2026"))
		if f.auditCount("exam.override", c.ID) != 1 {
			t.Fatal("override not audited")
		}
		g, _ = f.svc.Gate(f.ctx, c)
		if !g.CanStart || !g.Overridden || g.VendorID != f.vendor.ID || g.DurationMinutes != 90 || g.FormLength != 60 {
			t.Fatalf("gate after override: %+v", g)
		}
		s := f.start(c)
		if s.Resumed || s.Questions != 60 || s.VendorID != f.vendor.ID || s.CohortID != f.cohortID || s.Status != exam.StatusOpen ||
			!s.DeadlineAt.Equal(f.clock().Add(90*time.Minute)) {
			t.Fatalf("started: %+v", s)
		}
		if f.auditCount("exam.start", s.ID) != 1 {
			t.Fatal("start not audited")
		}
		// Starting again resumes the open attempt.
		again := f.start(c)
		if again.ID != s.ID || !again.Resumed {
			t.Fatalf("second start: %+v", again)
		}
		if g, _ := f.svc.Gate(f.ctx, c); g.OpenAttemptID != s.ID {
			t.Fatalf("gate does not name the open attempt: %+v", g)
		}

		// A pass closes the exam for good.
		f.answerAll(c, s.ID, keyed)
		r, err := f.svc.Submit(f.ctx, actor(c), c, s.ID)
		must(t, err)
		if !r.Passed || r.Correct != 60 || r.Percent != 100 || r.Number != 1 || len(r.Domains) != 10 || r.Domains[0].ID != "foundations" || r.Domains[0].Total != 6 {
			t.Fatalf("result: %+v", r)
		}
		f.setNow(f.clock().AddDate(0, 1, 0))
		_, err = f.svc.Start(f.ctx, actor(c), c)
		wantCode(t, err, apperr.Forbidden, "already_passed")

		// Overrides also admit a candidate who is not enrolled anywhere (with that vendor).
		c2 := f.candidate(false)
		f.course.set(c2.ID, courseState{})
		must(t, f.svc.OverrideGate(f.ctx, actor(f.admin), f.admin, c2.ID, "Transferred from a closed vendor"))
		s2 := f.start(c2)
		if s2.VendorID != f.vendor.ID || s2.CohortID != "" {
			t.Fatalf("override-only start: %+v", s2)
		}
	})
}

func TestGateAttemptsAndWait(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		fail := func() time.Time {
			t.Helper()
			s := f.start(c)
			f.answerAll(c, s.ID, wrong)
			f.setNow(f.clock().Add(10 * time.Minute))
			r, err := f.svc.Submit(f.ctx, actor(c), c, s.ID)
			must(t, err)
			if r.Passed || r.Correct != 0 || r.FinishedAt == nil || !r.FinishedAt.Equal(f.clock()) {
				t.Fatalf("failed attempt: %+v", r)
			}
			return *r.FinishedAt
		}
		for attempt := 1; attempt <= 3; attempt++ {
			finished := fail()
			reopens := finished.AddDate(0, 0, 7) // no DST change in April
			f.setNow(reopens.Add(-time.Second))
			_, err := f.svc.Start(f.ctx, actor(c), c)
			if attempt == 3 {
				e := wantCode(t, err, apperr.Forbidden, "no_attempts_left")
				if !strings.Contains(e.Message, "all 3 attempts") {
					t.Fatalf("message: %s", e.Message)
				}
				break
			}
			e := wantCode(t, err, apperr.Forbidden, "wait_period")
			local := reopens.In(mustLoc(t, "America/New_York"))
			if want := local.Format("January 2, 2006"); !strings.Contains(e.Message, want) || !strings.Contains(e.Message, local.Format("3:04 PM")) {
				t.Fatalf("wait message %q does not name %s", e.Message, want)
			}
			g, _ := f.svc.Gate(f.ctx, c)
			if g.ReopensAt == nil || !g.ReopensAt.Equal(reopens) || g.AttemptsUsed != attempt || g.MaxAttempts != 3 {
				t.Fatalf("gate: %+v", g)
			}
			f.setNow(reopens)
		}
		// The limit holds a year later too.
		f.setNow(f.clock().AddDate(1, 0, 0))
		_, err := f.svc.Start(f.ctx, actor(c), c)
		wantCode(t, err, apperr.Forbidden, "no_attempts_left")
		rs, err := f.svc.Results(f.ctx, c)
		must(t, err)
		if len(rs) != 3 || rs[0].Number != 1 || rs[2].Number != 3 || rs[2].Passed {
			t.Fatalf("results: %+v", rs)
		}
	})
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	must(t, err)
	return l
}

func TestAccommodation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		const reason = "Documented dyslexia: time and a half"
		wantCode(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin), f.admin, c.ID, -5, reason), apperr.Invalid, "invalid_input")
		wantCode(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin), f.admin, c.ID, 45, ""), apperr.Invalid, "invalid_input")
		wantCode(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin2), f.admin2, c.ID, 45, reason), apperr.NotFound, "not_found")
		must(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin), f.admin, c.ID, 30, reason))
		must(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin), f.admin, c.ID, 45, reason)) // changed: upsert
		accs, err := f.svc.Accommodations(f.ctx, f.admin)
		must(t, err)
		if len(accs) != 1 || accs[0].ExtraMinutes != 45 || accs[0].Reason != reason {
			t.Fatalf("accommodations: %+v", accs)
		}
		if others, _ := f.svc.Accommodations(f.ctx, f.admin2); len(others) != 0 {
			t.Fatal("another vendor sees the accommodation")
		}
		g, _ := f.svc.Gate(f.ctx, c)
		if g.ExtraMinutes != 45 || g.DurationMinutes != 135 {
			t.Fatalf("gate: %+v", g)
		}
		s := f.start(c)
		if !s.DeadlineAt.Equal(f.clock().Add(135 * time.Minute)) {
			t.Fatalf("deadline %s, want start + 135 minutes", s.DeadlineAt)
		}
		if f.auditCount("exam.accommodation", c.ID) != 2 {
			t.Fatal("accommodation not audited")
		}
		// Nothing private in the audit trail: no accommodation reason, no choices.
		f.answerAll(c, s.ID, keyed)
		_, err = f.svc.Submit(f.ctx, actor(c), c, s.ID)
		must(t, err)
		var evs []audit.Event
		must(t, f.db.NewSelect().Model(&evs).Scan(f.ctx))
		for _, e := range evs {
			low := strings.ToLower(e.Details)
			for _, bad := range []string{"dyslexia", "choice", "selected", "answer", "perm"} {
				if strings.Contains(low, bad) {
					t.Errorf("audit %s details hold %q: %s", e.Action, bad, e.Details)
				}
			}
		}
	})
}

func TestDeadlineGrace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		s := f.start(c)
		qs := f.view(c, s.ID).Questions
		cases := []struct {
			after time.Duration
			ok    bool
		}{
			{-time.Minute, true},
			{0, true},
			{4 * time.Second, true},
			{exam.AnswerGrace, true}, // the boundary itself is inside the grace
			{6 * time.Second, false},
			{time.Hour, false},
		}
		for i, tc := range cases {
			f.setNow(s.DeadlineAt.Add(tc.after))
			saved, err := f.svc.SaveAnswer(f.ctx, c, s.ID, qs[i].ItemID, []int{0}, false, 1)
			if tc.ok {
				if err != nil || !saved.Applied {
					t.Fatalf("deadline%+v: %v %+v", tc.after, err, saved)
				}
				continue
			}
			e := wantCode(t, err, apperr.Gone, "deadline_passed")
			if e.Message != "Time is up: answers can no longer be changed. Your saved answers have been submitted for grading." {
				t.Fatalf("message %q", e.Message)
			}
		}
		// As the message says, the refused save had the attempt graded on what was saved (four answers).
		rs, err := f.svc.Results(f.ctx, c)
		must(t, err)
		if len(rs) != 1 || rs[0].Status != exam.StatusExpired || !rs[0].Graded || !rs[0].FinishedAt.Equal(s.DeadlineAt) || f.auditCount("exam.expire", s.ID) != 1 {
			t.Fatalf("after a refused save: %+v", rs)
		}
	})
}

func TestFinalizeExpired(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		var cands []*account.User
		var ids []string
		for i := 0; i < 4; i++ {
			c := f.candidate(true)
			cands = append(cands, c)
			ids = append(ids, f.start(c).ID)
		}
		// The first candidate saved ten right answers and five wrong ones; the others nothing.
		v := f.view(cands[0], ids[0])
		for i, q := range v.Questions[:15] {
			it, _ := f.bank.Item(q.ItemID)
			pick := keyed(it)
			if i >= 10 {
				pick = wrong(it)
			}
			_, err := f.svc.SaveAnswer(f.ctx, cands[0], ids[0], q.ItemID, f.displayed(q, pick), false, 1)
			must(t, err)
		}
		deadline := v.DeadlineAt
		if n, err := f.svc.FinalizeExpired(f.ctx, deadline.Add(exam.AnswerGrace)); err != nil || n != 0 {
			t.Fatalf("finalized %d within the grace (%v)", n, err)
		}
		// Two workers at once: each attempt graded by exactly one.
		var wg sync.WaitGroup
		counts := make([]int, 2)
		errs := make([]error, 2)
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				counts[w], errs[w] = f.svc.FinalizeExpired(f.ctx, deadline.Add(6*time.Second))
			}()
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		if counts[0]+counts[1] != 4 {
			t.Fatalf("workers graded %v, want 4 in all", counts)
		}
		for _, id := range ids {
			if n := f.auditCount("exam.expire", id); n != 1 {
				t.Fatalf("attempt %s expired %d times", id, n)
			}
		}
		f.setNow(deadline.Add(time.Minute))
		rs, err := f.svc.Results(f.ctx, cands[0])
		must(t, err)
		r := rs[0]
		if r.Status != exam.StatusExpired || r.FinishedAt == nil || !r.FinishedAt.Equal(deadline) || !r.Graded || r.Correct != 10 || r.Total != 60 || r.Passed {
			t.Fatalf("expired result: %+v", r)
		}
		if n, _ := f.svc.FinalizeExpired(f.ctx, deadline.Add(time.Hour)); n != 0 {
			t.Fatalf("finalized %d again", n)
		}
		// Afterwards: no saving; Submit returns the recorded result without grading again.
		_, err = f.svc.SaveAnswer(f.ctx, cands[0], ids[0], v.Questions[20].ItemID, []int{0}, false, 9)
		wantCode(t, err, apperr.Gone, "deadline_passed")
		again, err := f.svc.Submit(f.ctx, actor(cands[0]), cands[0], ids[0])
		must(t, err)
		if again.Correct != 10 || again.Status != exam.StatusExpired || f.auditCount("exam.submit", ids[0]) != 0 {
			t.Fatalf("submit after expiry: %+v", again)
		}
	})
}

func TestLateSubmitAndLazyExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c1, c2 := f.candidate(true), f.candidate(true)
		s1, s2 := f.start(c1), f.start(c2)
		f.setNow(s1.DeadlineAt.Add(time.Minute))
		// Submitting too late counts as expired at the deadline.
		r, err := f.svc.Submit(f.ctx, actor(c1), c1, s1.ID)
		must(t, err)
		if r.Status != exam.StatusExpired || !r.FinishedAt.Equal(s1.DeadlineAt) || f.auditCount("exam.expire", s1.ID) != 1 {
			t.Fatalf("late submit: %+v", r)
		}
		// Viewing an attempt whose time ran out grades it; the view then shows the result, no items.
		v := f.view(c2, s2.ID)
		if v.Status != exam.StatusExpired || v.Result == nil || !v.Result.Graded || len(v.Questions) != 0 {
			t.Fatalf("view after time: %+v", v)
		}
	})
}

func TestDoubleSubmitGradesOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		s := f.start(c)
		first := f.view(c, s.ID).Questions[0].ItemID
		f.answerAll(c, s.ID, keyed)
		f.setNow(f.clock().Add(30 * time.Minute))
		results := make([]*exam.AttemptResult, 10)
		errs := make([]error, 10)
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = f.svc.Submit(f.ctx, actor(c), c, s.ID)
			}()
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		for _, r := range results {
			if r.AttemptID != s.ID || r.Status != exam.StatusSubmitted || !r.Graded || r.Correct != 60 || !r.Passed || !r.FinishedAt.Equal(*results[0].FinishedAt) {
				t.Fatalf("result: %+v", r)
			}
		}
		if n := f.auditCount("exam.submit", s.ID); n != 1 {
			t.Fatalf("graded %d times", n)
		}
		_, err := f.svc.SaveAnswer(f.ctx, c, s.ID, first, []int{0}, false, 99)
		wantCode(t, err, apperr.Conflict, "attempt_finished")
		// Another candidate cannot submit (or see) the attempt.
		other := f.candidate(true)
		if _, err := f.svc.Submit(f.ctx, actor(other), other, s.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another candidate submitted: %v", err)
		}
	})
}

func TestSeqOrdering(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		s := f.start(c)
		var q exam.Question
		for _, x := range f.view(c, s.ID).Questions {
			if x.Type == exam.TypeSingle {
				q = x
				break
			}
		}
		selected := func() exam.Question {
			for _, x := range f.view(c, s.ID).Questions {
				if x.ItemID == q.ItemID {
					return x
				}
			}
			t.Fatal("question gone")
			return exam.Question{}
		}
		steps := []struct {
			name     string
			choice   []int
			flagged  bool
			seq      int64
			applied  bool
			stored   int64
			selected []int
		}{
			{"first save", []int{2}, false, 5, true, 5, []int{2}},
			{"late retry with an older seq", []int{0}, true, 3, false, 5, []int{2}},
			{"same seq again", []int{1}, false, 5, false, 5, []int{2}},
			{"newer seq", []int{1}, true, 6, true, 6, []int{1}},
			{"cleared", []int{}, true, 7, true, 7, []int{}},
		}
		for _, st := range steps {
			saved, err := f.svc.SaveAnswer(f.ctx, c, s.ID, q.ItemID, st.choice, st.flagged, st.seq)
			must(t, err)
			if saved.Applied != st.applied || saved.Seq != st.stored {
				t.Fatalf("%s: %+v", st.name, saved)
			}
			got := selected()
			if !slices.Equal(got.Selected, st.selected) || got.Seq != st.stored {
				t.Fatalf("%s: view shows %v seq %d", st.name, got.Selected, got.Seq)
			}
		}
		if got := selected(); !got.Flagged {
			t.Fatal("flag lost")
		}
	})
}

func TestSaveAnswerValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		s := f.start(c)
		v := f.view(c, s.ID)
		byType := map[string]exam.Question{}
		for _, q := range v.Questions {
			if _, ok := byType[q.Type]; !ok {
				byType[q.Type] = q
			}
		}
		onForm := map[string]bool{}
		for _, q := range v.Questions {
			onForm[q.ItemID] = true
		}
		var notOnForm string
		for _, it := range f.bank.Items {
			if !onForm[it.ID] {
				notOnForm = it.ID
				break
			}
		}
		single, multiple, tf := byType[exam.TypeSingle], byType[exam.TypeMultiple], byType[exam.TypeTrueFalse]
		cases := []struct {
			name   string
			item   string
			choice []int
			seq    int64
			field  string
		}{
			{"item not on the form", notOnForm, []int{0}, 1, "item_id"},
			{"unknown item", "NOPE-1", []int{0}, 1, "item_id"},
			{"single: two choices", single.ItemID, []int{0, 1}, 1, "choice"},
			{"truefalse: two choices", tf.ItemID, []int{0, 1}, 1, "choice"},
			{"index too large", multiple.ItemID, []int{len(multiple.Options)}, 1, "choice"},
			{"negative index", single.ItemID, []int{-1}, 1, "choice"},
			{"repeated option", multiple.ItemID, []int{1, 1}, 1, "choice"},
			{"no seq", single.ItemID, []int{0}, 0, "seq"},
		}
		for _, tc := range cases {
			_, err := f.svc.SaveAnswer(f.ctx, c, s.ID, tc.item, tc.choice, false, tc.seq)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || e.Fields[tc.field] == "" {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		// Multiple select takes any subset, including all and none.
		all := make([]int, len(multiple.Options))
		for i := range all {
			all[i] = i
		}
		for i, choice := range [][]int{all, {}, {0}} {
			if _, err := f.svc.SaveAnswer(f.ctx, c, s.ID, multiple.ItemID, choice, false, int64(i+1)); err != nil {
				t.Fatalf("multiple %v: %v", choice, err)
			}
		}
		// Someone else's attempt does not exist for them.
		other := f.candidate(true)
		if _, err := f.svc.SaveAnswer(f.ctx, other, s.ID, single.ItemID, []int{0}, false, 1); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another candidate saved: %v", err)
		}
		if _, err := f.svc.View(f.ctx, other, s.ID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another candidate viewed: %v", err)
		}
	})
}

func TestConcurrentAutosave(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		s := f.start(c)
		qs := f.view(c, s.ID).Questions
		if len(qs) != 60 {
			t.Fatalf("%d questions", len(qs))
		}
		const writers = 50
		var wg sync.WaitGroup
		errs := make(chan error, writers*len(qs))
		for g := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range qs {
					q := qs[k]
					if g%2 == 1 {
						q = qs[len(qs)-1-k] // half the writers go the other way round
					}
					if _, err := f.svc.SaveAnswer(f.ctx, c, s.ID, q.ItemID, []int{g % len(q.Options)}, g%2 == 0, int64(g+1)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		n, err := f.db.NewSelect().Table("exam_answers").Where("attempt_id = ?", s.ID).Count(f.ctx)
		must(t, err)
		if n != 60 {
			t.Fatalf("%d answer rows, want 60", n)
		}
		for _, q := range f.view(c, s.ID).Questions {
			want := (writers - 1) % len(q.Options)
			if q.Seq != writers || !slices.Equal(q.Selected, []int{want}) || q.Flagged {
				t.Fatalf("%s: seq %d selected %v flagged %v, want the last writer's [%d]", q.ItemID, q.Seq, q.Selected, q.Flagged, want)
			}
		}
	})
}

func TestOneOpenAttempt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		const n = 10
		sums := make([]*exam.Summary, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sums[i], errs[i] = f.svc.Start(f.ctx, actor(c), c)
			}()
		}
		wg.Wait()
		must(t, errors.Join(errs...))
		fresh := 0
		for _, s := range sums {
			if s.ID != sums[0].ID {
				t.Fatalf("two attempts: %s and %s", s.ID, sums[0].ID)
			}
			if !s.Resumed {
				fresh++
			}
		}
		open, err := f.db.NewSelect().Table("exam_attempts").Where("candidate_id = ?", c.ID).Where("status = 'open'").Count(f.ctx)
		must(t, err)
		if open != 1 || fresh != 1 || f.auditCount("exam.start", sums[0].ID) != 1 {
			t.Fatalf("open %d, fresh starts %d", open, fresh)
		}
		// The database itself refuses a second open attempt.
		_, err = f.db.NewRaw(`INSERT INTO exam_attempts (id, candidate_id, vendor_id, seed, form, bank_version, pass_percent, started_at, deadline_at, status)
VALUES ('x-second', ?, ?, 1, '[]', 'v', 75, ?, ?, 'open')`, c.ID, f.vendor.ID, f.clock(), f.clock()).Exec(f.ctx)
		if !errors.Is(database.Err(err), database.ErrConflict) {
			t.Fatalf("second open attempt: %v", err)
		}
		// A finished attempt does not count.
		_, err = f.db.NewRaw(`INSERT INTO exam_attempts (id, candidate_id, vendor_id, seed, form, bank_version, pass_percent, started_at, deadline_at, status)
VALUES ('x-done', ?, ?, 1, '[]', 'v', 75, ?, ?, 'submitted')`, c.ID, f.vendor.ID, f.clock(), f.clock()).Exec(f.ctx)
		must(t, err)
	})
}

// walkKeys calls fn with every object key in a decoded JSON value.
func walkKeys(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			fn(k)
			walkKeys(e, fn)
		}
	case []any:
		for _, e := range x {
			walkKeys(e, fn)
		}
	}
}

func TestViewNeverShowsKeys(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		s := f.start(c)
		v := f.view(c, s.ID)
		// Save the key of the first five questions, flag two.
		for i, q := range v.Questions[:5] {
			it, _ := f.bank.Item(q.ItemID)
			_, err := f.svc.SaveAnswer(f.ctx, c, s.ID, q.ItemID, f.displayed(q, it.Answer), i < 2, 1)
			must(t, err)
		}
		v = f.view(c, s.ID)
		if v.Completed != 5 || v.FlaggedCount != 2 || !v.Now.Equal(f.clock()) || v.SecondsLeft != 90*60 || len(v.Questions) != 60 {
			t.Fatalf("view: completed %d flagged %d now %s left %d", v.Completed, v.FlaggedCount, v.Now, v.SecondsLeft)
		}
		for i, q := range v.Questions {
			it, _ := f.bank.Item(q.ItemID)
			if q.Number != i+1 || q.Stem != it.Stem || !slices.Equal(slices.Sorted(slices.Values(q.Options)), slices.Sorted(slices.Values(it.Options))) {
				t.Fatalf("question %d: %+v", i, q)
			}
			if i < 5 && !slices.Equal(q.Selected, slices.Sorted(slices.Values(f.displayed(q, it.Answer)))) {
				t.Fatalf("question %d shows %v", i, q.Selected)
			}
		}
		j, err := json.Marshal(v)
		must(t, err)
		var decoded any
		must(t, json.Unmarshal(j, &decoded))
		forbidden := map[string]bool{"answer": true, "answers": true, "key": true, "keys": true, "rationale": true, "correct": true, "perm": true, "seed": true}
		walkKeys(decoded, func(k string) {
			if forbidden[strings.ToLower(k)] {
				t.Errorf("view JSON has key %q", k)
			}
		})
		for _, q := range v.Questions {
			it, _ := f.bank.Item(q.ItemID)
			rj, _ := json.Marshal(it.Rationale)
			if bytes.Contains(j, rj[1:len(rj)-1]) {
				t.Fatalf("rationale of %s in the view", q.ItemID)
			}
		}
		// The question type carries no key field at all.
		for _, name := range []string{"Answer", "Rationale", "Key", "Perm"} {
			if _, ok := fieldOf(exam.Question{}, name); ok {
				t.Errorf("exam.Question has a %s field", name)
			}
		}
	})
}

func fieldOf(v any, name string) (any, bool) {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for k, x := range m {
		if strings.EqualFold(k, name) {
			return x, true
		}
	}
	return nil, false
}

func TestItemAnalysisAndReports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, smallBank(t))
		f.settings(4)
		// The hand-computed example (see TestAnalyzeItemsHandExample), ORIGINAL indexes.
		responses := []map[string][]int{
			{"ALP-1": {1}, "ALP-2": {0, 3}, "ALP-3": {1}, "BET-1": {1}},
			{"ALP-1": {1}, "ALP-2": {0}, "ALP-3": {1}, "BET-1": {1}},
			{"ALP-1": {0}, "ALP-2": {0, 3}, "ALP-3": {0}, "BET-1": {1}},
			{"ALP-2": {1, 2}, "ALP-3": {0}, "BET-1": {1}},
		}
		var cands []*account.User
		for i, resp := range responses {
			c := f.candidate(true)
			c.Name = []string{"Avery Adams", "=cmd|' /C calc'!A0", "Casey Chen", "Drew Diaz"}[i]
			_, err := f.db.NewUpdate().Model(c).Column("name").WherePK().Exec(f.ctx)
			must(t, err)
			cands = append(cands, c)
			s := f.start(c)
			for _, q := range f.view(c, s.ID).Questions {
				if choice, ok := resp[q.ItemID]; ok {
					_, err := f.svc.SaveAnswer(f.ctx, c, s.ID, q.ItemID, f.displayed(q, choice), false, 1)
					must(t, err)
				}
			}
			f.setNow(f.clock().Add(time.Minute))
			_, err = f.svc.Submit(f.ctx, actor(c), c, s.ID)
			must(t, err)
		}
		// An open attempt does not count.
		f.start(f.candidate(true))

		stats, err := f.svc.ItemAnalysis(f.ctx, f.admin)
		must(t, err)
		by := map[string]exam.ItemStat{}
		for _, s := range stats {
			by[s.ItemID] = s
		}
		want := []struct {
			id      string
			p, disc float64
			defined bool
			counts  []int
			omitted int
		}{
			{"ALP-1", 0.5, 1 / math.Sqrt2, true, []int{1, 2, 0}, 1},
			{"ALP-2", 0.5, 0, true, []int{3, 1, 1, 2}, 0},
			{"ALP-3", 0.5, 1 / math.Sqrt2, true, []int{2, 2}, 0},
			{"BET-1", 1, 0, false, []int{0, 4, 0}, 0},
		}
		for _, w := range want {
			s := by[w.id]
			if s.N != 4 || math.Abs(s.P-w.p) > 1e-12 || math.Abs(s.Discrimination-w.disc) > 1e-12 || s.Defined != w.defined ||
				!slices.Equal(s.OptionCounts, w.counts) || s.Omitted != w.omitted {
				t.Errorf("%s: %+v", w.id, s)
			}
		}
		j, _ := json.Marshal(stats)
		if bytes.Contains(j, []byte("RATIONALE")) || bytes.Contains(j, []byte(`"answer"`)) {
			t.Fatalf("item analysis leaks keys: %s", j)
		}
		if other, err := f.svc.ItemAnalysis(f.ctx, f.admin2); err != nil || other[0].N != 0 {
			t.Fatalf("another vendor's analysis: %v %+v", err, other)
		}
		if _, err := f.svc.ItemAnalysis(f.ctx, f.trainer); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer: %v", err)
		}

		// Cohort results: scoped to the admin's vendor.
		rows, err := f.svc.CohortResults(f.ctx, f.admin, f.cohortID)
		must(t, err)
		if len(rows) != 4 {
			t.Fatalf("%d rows", len(rows))
		}
		byName := map[string]exam.CohortResult{}
		for _, r := range rows {
			byName[r.Name] = r
		}
		avery := byName["Avery Adams"]
		if avery.Email != cands[0].Email || avery.Number != 1 || avery.Percent != 100 || !avery.Passed || avery.FinishedAt == nil {
			t.Fatalf("Avery: %+v", avery)
		}
		if r := byName["Casey Chen"]; r.Percent != 50 || r.Passed {
			t.Fatalf("Casey: %+v", r)
		}
		if r := byName[cands[1].Name]; r.Percent != 75 || !r.Passed {
			t.Fatalf("second candidate (75%% exactly): %+v", r)
		}
		if _, err := f.svc.CohortResults(f.ctx, f.admin2, f.cohortID); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another vendor's admin saw the cohort: %v", err)
		}

		// CSV export.
		var buf bytes.Buffer
		must(t, f.svc.ExportCSV(f.ctx, f.admin, f.cohortID, &buf))
		recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
		must(t, err)
		header := []string{"candidate_name", "candidate_email", "attempt", "status", "finished_at", "correct", "total", "percent", "passed", "domain_alpha", "domain_beta"}
		if len(recs) != 5 || !slices.Equal(recs[0], header) {
			t.Fatalf("csv: %q", recs)
		}
		wantRow := []string{"Avery Adams", cands[0].Email, "1", "submitted", avery.FinishedAt.Format(time.RFC3339), "4", "4", "100.0", "yes", "3/3", "1/1"}
		found := false
		for _, r := range recs[1:] {
			if slices.Equal(r, wantRow) {
				found = true
			}
			if strings.HasPrefix(r[0], "=") {
				t.Errorf("formula not defused: %q", r[0])
			}
		}
		if !found {
			t.Fatalf("no row %q in %q", wantRow, recs)
		}
		if strings.Contains(buf.String(), "RATIONALE") {
			t.Fatal("CSV holds rationales")
		}
		if err := f.svc.ExportCSV(f.ctx, f.admin2, f.cohortID, &bytes.Buffer{}); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("another vendor exported: %v", err)
		}

		// The candidate's own results, by domain in blueprint order.
		rs, err := f.svc.Results(f.ctx, cands[2])
		must(t, err)
		if len(rs) != 1 || rs[0].Correct != 2 || len(rs[0].Domains) != 2 || rs[0].Domains[0].ID != "alpha" || rs[0].Domains[0].Title != "Alpha things" ||
			rs[0].Domains[0].Correct != 1 || rs[0].Domains[0].Total != 3 || rs[0].Domains[1].Correct != 1 {
			t.Fatalf("results: %+v", rs)
		}
	})
}

func TestRetireItems(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		a := actor(f.admin)
		wantCode(t, f.svc.RetireItem(f.ctx, a, f.admin, "NOPE-1", "bad"), apperr.NotFound, "not_found")
		fnd := f.bank.ByDomain("foundations")
		wantCode(t, f.svc.RetireItem(f.ctx, a, f.admin, fnd[0].ID, " "), apperr.Invalid, "invalid_input")
		if err := f.svc.RetireItem(f.ctx, actor(f.trainer), f.trainer, fnd[0].ID, "x"); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer retired: %v", err)
		}
		for _, it := range fnd[:18] {
			must(t, f.svc.RetireItem(f.ctx, a, f.admin, it.ID, "Ambiguous wording"))
		}
		must(t, f.svc.RetireItem(f.ctx, a, f.admin, fnd[0].ID, "again")) // already retired: no change
		if f.auditCount("item.retire", fnd[0].ID) != 1 {
			t.Fatal("retirement not audited once")
		}
		// One more would leave foundations with 5 items for a form that draws 6.
		wantCode(t, f.svc.RetireItem(f.ctx, a, f.admin, fnd[18].ID, "x"), apperr.Conflict, "too_few_items")
		list, err := f.svc.Retired(f.ctx, f.admin)
		must(t, err)
		if len(list) != 18 {
			t.Fatalf("%d retired", len(list))
		}
		// New forms use only the six items left.
		left := map[string]bool{}
		for _, it := range fnd[18:] {
			left[it.ID] = true
		}
		c := f.candidate(true)
		s := f.start(c)
		nf := 0
		for _, q := range f.view(c, s.ID).Questions {
			if q.Domain == "foundations" {
				nf++
				if !left[q.ItemID] {
					t.Fatalf("retired item %s on a new form", q.ItemID)
				}
			}
		}
		if nf != 6 {
			t.Fatalf("%d foundations items", nf)
		}
		// Another vendor is not affected.
		if other, _ := f.svc.Retired(f.ctx, f.admin2); len(other) != 0 {
			t.Fatal("retirement leaked to another vendor")
		}
		stats, err := f.svc.ItemAnalysis(f.ctx, f.admin)
		must(t, err)
		for _, st := range stats {
			if st.ItemID == fnd[0].ID && !st.Retired {
				t.Fatal("item analysis does not mark the retired item")
			}
		}
		must(t, f.svc.RestoreItem(f.ctx, a, f.admin, fnd[0].ID))
		must(t, f.svc.RestoreItem(f.ctx, a, f.admin, fnd[0].ID)) // not retired: no change
		if f.auditCount("item.restore", fnd[0].ID) != 1 {
			t.Fatal("restore not audited once")
		}
		must(t, f.svc.RetireItem(f.ctx, a, f.admin, fnd[18].ID, "now there is room"))
	})
}

func TestMigrationDownAndUp(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		m, err := database.NewMigrator(db, migrations.FS)
		must(t, err)
		if _, err := m.Down(ctx); err != nil {
			t.Fatalf("down: %v", err)
		}
		if _, err := db.NewSelect().Table("exam_attempts").Limit(1).Exec(ctx); err == nil {
			t.Fatal("exam_attempts still exists after down")
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatalf("up again: %v", err)
		}
		for _, table := range []string{"exam_settings", "exam_accommodations", "exam_gate_overrides", "exam_attempts", "exam_answers", "exam_retired_items"} {
			if _, err := db.NewSelect().Table(table).Limit(1).Exec(ctx); err != nil {
				t.Fatalf("%s after up: %v", table, err)
			}
		}
	})
}
