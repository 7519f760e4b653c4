package cohort_test

import (
	"context"
	"testing"

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
		f := setup(t, d)
		a := audit.Actor{UserID: f.admin.ID, Role: f.admin.Role, VendorID: f.vendor.ID}
		ta := audit.Actor{UserID: f.trainer.ID, Role: f.trainer.Role, VendorID: f.vendor.ID}
		first, err := f.svc.Create(ctx, a, f.admin, cohort.CreateInput{Name: "Spring", Delivery: "virtual", Capacity: 5, Dates: dates("2027-03-10"), TrainerIDs: []string{f.trainer.ID}})
		if err != nil {
			t.Fatal(err)
		}
		second, err := f.svc.Create(ctx, a, f.admin, cohort.CreateInput{Name: "Summer", Delivery: "virtual", Capacity: 5, Dates: dates("2027-06-10"), TrainerIDs: []string{f.trainer.ID}})
		if err != nil {
			t.Fatal(err)
		}
		mover := f.env.User(account.RoleCandidate, "")
		stayer := f.env.User(account.RoleCandidate, "")
		for _, u := range []*account.User{mover, stayer} {
			if _, err := f.svc.Enroll(ctx, a, f.admin, first.ID, u.Email); err != nil {
				t.Fatal(err)
			}
		}
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
