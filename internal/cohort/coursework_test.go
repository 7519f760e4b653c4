package cohort_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// A candidate's coursework counts the attendance and make-up work of the cohort they are enrolled in
// now, never that of a cohort they left (attendance is read by candidate, then sorted by cohort), and
// CourseworkOn on a held connection answers as CourseworkOf.
func TestCourseworkCountsTheActiveCohortOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		f, a, ta, first, second := springAndSummer(t, d)
		cands := enrolled(t, f, a, first, 2)
		mover, stayer := cands[0], cands[1]
		marks := []cohort.Mark{{CandidateID: mover.ID, Status: cohort.Present}, {CandidateID: stayer.ID, Status: cohort.Present}}
		for day := 1; day <= 2; day++ {
			if err := f.svc.RecordAttendance(ctx, ta, f.trainer, first.ID, day, marks); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.AddMakeup(ctx, ta, f.trainer, first.ID, cohort.MakeupInput{CandidateID: mover.ID, Day: 3, Description: "Reading", Minutes: 60}); err != nil {
			t.Fatal(err)
		}
		// The mover leaves for the summer cohort and attends its first day.
		if err := f.svc.Withdraw(ctx, a, f.admin, first.ID, mover.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Enroll(ctx, a, f.admin, second.ID, mover.Email); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RecordAttendance(ctx, ta, f.trainer, second.ID, 1, []cohort.Mark{{CandidateID: mover.ID, Status: cohort.Present}}); err != nil {
			t.Fatal(err)
		}

		cw, err := f.svc.CourseworkOf(ctx, []string{mover.ID, stayer.ID})
		if err != nil {
			t.Fatal(err)
		}
		if m := cw[mover.ID]; m.Cohort == nil || m.Cohort.ID != second.ID || m.Status.AttendedMinutes != 450 || m.Status.MakeupMinutes != 0 {
			t.Errorf("the mover's coursework: %+v (want the summer cohort's one day, without the spring cohort's two days and make-up)", m)
		}
		if s := cw[stayer.ID]; s.Cohort == nil || s.Cohort.ID != first.ID || s.Status.AttendedMinutes != 900 {
			t.Errorf("the stayer's coursework: %+v", s)
		}
		sts, err := f.svc.Statuses(ctx, second)
		if err != nil || len(sts) != 1 || sts[0].AttendedMinutes != 450 {
			t.Errorf("the summer cohort's statuses: %+v, %v", sts, err)
		}

		conn, err := f.env.App.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		on, err := f.svc.CourseworkOn(ctx, conn, []string{mover.ID, stayer.ID})
		if err != nil || len(on) != 2 || on[mover.ID].Status != cw[mover.ID].Status || on[stayer.ID].Status != cw[stayer.ID].Status {
			t.Errorf("CourseworkOn: %+v, %v; CourseworkOf: %+v", on, err, cw)
		}
	})
}

// CourseworkOf for one candidate, for none, for someone not enrolled, and for someone holding two
// active enrolments: Enroll allows one, but two enrolments of the same person into two cohorts at the
// same moment are serialised per cohort only, so both can land (PostgreSQL); the coursework is then
// always that of the earlier enrolment, never the two cohorts mixed. A failed read is an error, never
// "no coursework".
func TestCourseworkOfOneNoneAndTwoEnrolments(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		f, a, ta, spring, summer := springAndSummer(t, d)
		cands := enrolled(t, f, a, spring, 2)
		solo, twice := cands[0], cands[1]
		never := f.env.User(account.RoleCandidate, "")
		second := &cohort.Enrollment{ID: uuid.NewString(), CohortID: summer.ID, CandidateID: twice.ID, Status: cohort.EnrollActive, EnrolledAt: f.now.Add(time.Minute)}
		if _, err := f.env.App.DB.NewInsert().Model(second).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RecordAttendance(ctx, ta, f.trainer, spring.ID, 1, []cohort.Mark{{CandidateID: solo.ID, Status: cohort.Present}, {CandidateID: twice.ID, Status: cohort.Late, MinutesAttended: 100}}); err != nil {
			t.Fatal(err)
		}
		for day := 1; day <= 2; day++ {
			if err := f.svc.RecordAttendance(ctx, ta, f.trainer, summer.ID, day, []cohort.Mark{{CandidateID: twice.ID, Status: cohort.Present}}); err != nil {
				t.Fatal(err)
			}
		}

		for _, ids := range [][]string{nil, {}, {never.ID}} {
			if cw, err := f.svc.CourseworkOf(ctx, ids); err != nil || cw == nil || len(cw) != 0 {
				t.Errorf("coursework of %v: %+v, %v (want none, no error)", ids, cw, err)
			}
		}
		cw, err := f.svc.CourseworkOf(ctx, []string{solo.ID})
		if s := cw[solo.ID]; err != nil || len(cw) != 1 || s.Cohort == nil || s.Cohort.ID != spring.ID || len(s.Cohort.Sessions) != 10 || s.Status.AttendedMinutes != 450 {
			t.Errorf("one candidate's coursework: %+v, %v", cw, err)
		}
		for ids, enrolled := range map[string]int{twice.ID: 1, twice.ID + " " + solo.ID + " " + never.ID: 2} {
			cw, err := f.svc.CourseworkOf(ctx, strings.Fields(ids))
			if s := cw[twice.ID]; err != nil || len(cw) != enrolled || s.Cohort == nil || s.Cohort.ID != spring.ID || s.Status.AttendedMinutes != 100 {
				t.Errorf("coursework of %d candidates, one enrolled twice: %+v, %v (want the spring cohort's 100 minutes)", enrolled, cw, err)
			}
		}

		// The course pages ask ActiveCohort: the same earlier enrolment, even when its row is stored
		// after the later one (deleted and written again, as a restore or a correction may do).
		first := new(cohort.Enrollment)
		if err := f.env.App.DB.NewSelect().Model(first).Where("candidate_id = ? AND cohort_id = ?", twice.ID, spring.ID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.env.App.DB.NewDelete().Model(first).WherePK().Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.env.App.DB.NewInsert().Model(first).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if c, err := f.svc.ActiveCohort(ctx, twice.ID); err != nil || c.ID != spring.ID {
			t.Errorf("active cohort of a candidate enrolled twice: %+v, %v (want the spring cohort)", c, err)
		}

		gone, cancel := context.WithCancel(ctx)
		cancel()
		if cw, err := f.svc.CourseworkOf(gone, []string{solo.ID}); err == nil {
			t.Errorf("CourseworkOf without a database answered %+v", cw)
		}
	})
}

// springAndSummer makes the fixture with two cohorts of the same trainer, in March and in June, and
// the administrator's and the trainer's audit actors.
func springAndSummer(t *testing.T, d dbtest.Dialect) (f *fixture, admin, trainer audit.Actor, spring, summer *cohort.Cohort) {
	t.Helper()
	f = setup(t, d)
	admin = audit.Actor{UserID: f.admin.ID, Role: f.admin.Role, VendorID: f.vendor.ID}
	trainer = audit.Actor{UserID: f.trainer.ID, Role: f.trainer.Role, VendorID: f.vendor.ID}
	cs := make([]*cohort.Cohort, 2)
	for i, start := range []string{"2027-03-10", "2027-06-10"} {
		c, err := f.svc.Create(context.Background(), admin, f.admin, cohort.CreateInput{Name: []string{"Spring", "Summer"}[i], Delivery: "virtual", Capacity: 5, Dates: dates(start), TrainerIDs: []string{f.trainer.ID}})
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
	}
	return f, admin, trainer, cs[0], cs[1]
}

// enrolled makes n candidates enrolled in c.
func enrolled(t *testing.T, f *fixture, a audit.Actor, c *cohort.Cohort, n int) []*account.User {
	t.Helper()
	var us []*account.User
	for range n {
		u := f.env.User(account.RoleCandidate, "")
		if _, err := f.svc.Enroll(context.Background(), a, f.admin, c.ID, u.Email); err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	return us
}
