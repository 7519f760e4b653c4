package cohort_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

type fakeCourse struct{ slugs []string }

func (f fakeCourse) Version() string       { return "v-test" }
func (f fakeCourse) ModuleSlugs() []string { return f.slugs }
func (f fakeCourse) DayOf(s string) (int, bool) {
	for i, x := range f.slugs {
		if x == s {
			return i/2 + 1, true // two modules a day
		}
	}
	return 0, false
}

func course() fakeCourse {
	var s []string
	for d := 1; d <= 10; d++ {
		s = append(s, fmt.Sprintf("d%d-a", d), fmt.Sprintf("d%d-b", d))
	}
	return fakeCourse{s}
}

func TestOpensAtAcrossTimeZonesAndDST(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	la, _ := time.LoadLocation("America/Los_Angeles")
	cases := []struct {
		date string
		loc  *time.Location
		want string
	}{
		{"2027-01-12", ny, "2027-01-12T05:00:00Z"}, // EST, UTC-5
		{"2027-07-12", ny, "2027-07-12T04:00:00Z"}, // EDT, UTC-4
		{"2027-03-14", ny, "2027-03-14T05:00:00Z"}, // DST starts at 02:00 that day: midnight is still EST
		{"2027-03-15", ny, "2027-03-15T04:00:00Z"}, // the day after: EDT
		{"2027-11-07", ny, "2027-11-07T04:00:00Z"}, // DST ends at 02:00: midnight is still EDT
		{"2027-11-08", ny, "2027-11-08T05:00:00Z"},
		{"2027-01-12", la, "2027-01-12T08:00:00Z"},
		{"2027-01-12", time.UTC, "2027-01-12T00:00:00Z"},
	}
	for _, tc := range cases {
		got, err := cohort.OpensAt(tc.date, tc.loc)
		if err != nil || got.Format(time.RFC3339) != tc.want {
			t.Errorf("OpensAt(%s, %s) = %s %v, want %s", tc.date, tc.loc, got.Format(time.RFC3339), err, tc.want)
		}
	}
	if _, err := cohort.OpensAt("2027-02-30", ny); err == nil {
		t.Error("accepted February 30")
	}
}

func TestCompletionRule(t *testing.T) {
	cases := []struct {
		name                                    string
		done, total, attended, makeup, required int
		want                                    bool
	}{
		{"all modules, full hours", 50, 50, 4500, 0, 4500, true},
		{"one module short", 49, 50, 4500, 0, 4500, false},
		{"a minute short", 50, 50, 4499, 0, 4500, false},
		{"made up exactly", 50, 50, 4050, 450, 4500, true},
		{"more than enough", 50, 50, 4500, 60, 4500, true},
		{"empty curriculum never completes", 0, 0, 4500, 0, 4500, false},
	}
	for _, tc := range cases {
		if got := cohort.Completion(tc.done, tc.total, tc.attended, tc.makeup, tc.required); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
	for status, want := range map[string]int{cohort.Present: 450, cohort.Late: 200, cohort.Absent: 0, cohort.Excused: 0} {
		if got := cohort.AttendedMinutes(cohort.Attendance{Status: status, MinutesAttended: 200}, 450); got != want {
			t.Errorf("%s counts %d, want %d", status, got, want)
		}
	}
	if cohort.Hours(450) != "7.5" || cohort.Hours(4500) != "75" || cohort.Hours(20) != "0.33" {
		t.Errorf("hours: %s %s %s", cohort.Hours(450), cohort.Hours(4500), cohort.Hours(20))
	}
}

type fixture struct {
	env            *apptest.Env
	svc            *cohort.Service
	vendor         *account.Vendor
	admin, trainer *account.User
	other          *account.User // trainer not assigned
	foreignAdmin   *account.User
	now            time.Time
}

func setup(t *testing.T, d dbtest.Dialect) *fixture {
	env := apptest.New(t, d)
	f := &fixture{env: env, vendor: env.Vendor("delta"), now: time.Date(2027, 3, 14, 12, 0, 0, 0, time.UTC)}
	f.admin = env.User(account.RoleVendorAdmin, f.vendor.ID)
	f.trainer = env.User(account.RoleTrainer, f.vendor.ID)
	f.other = env.User(account.RoleTrainer, f.vendor.ID)
	f.foreignAdmin = env.User(account.RoleVendorAdmin, env.Vendor("epsilon").ID)
	f.svc = &cohort.Service{DB: env.App.DB, Course: course(), Eligibility: cohort.VerifiedCandidates{}, Now: func() time.Time { return f.now }}
	return f
}

func dates(start string) []string {
	d, _ := time.Parse("2006-01-02", start)
	var out []string
	for i := 0; i < 10; i++ {
		out = append(out, d.AddDate(0, 0, i).Format("2006-01-02"))
	}
	return out
}

func TestCohortRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		f := setup(t, d)
		a := audit.Actor{UserID: f.admin.ID, Role: f.admin.Role, VendorID: f.vendor.ID}

		// Validation.
		_, err := f.svc.Create(ctx, a, f.admin, cohort.CreateInput{Name: "", Delivery: "moon", Capacity: 0, Dates: []string{"2027-01-01"}})
		e, ok := apperr.As(err)
		if !ok || e.Fields["name"] == "" || e.Fields["delivery"] == "" || e.Fields["capacity"] == "" || e.Fields["dates"] == "" {
			t.Fatalf("validation: %v", err)
		}
		bad := dates("2027-03-10")
		bad[4] = bad[2]
		if _, err := f.svc.Create(ctx, a, f.admin, cohort.CreateInput{Name: "X", Delivery: "virtual", Capacity: 2, Dates: bad}); err == nil {
			t.Fatal("dates out of order accepted")
		}
		if _, err := f.svc.Create(ctx, a, f.admin, cohort.CreateInput{Name: "X", Delivery: "virtual", Capacity: 2, Dates: dates("2027-03-10"), TrainerIDs: []string{f.foreignAdmin.ID}}); err == nil {
			t.Fatal("another vendor's staff accepted as trainer")
		}
		if _, err := f.svc.Create(ctx, audit.Actor{}, f.trainer, cohort.CreateInput{}); !apperr.Is(err, apperr.Forbidden) {
			t.Fatalf("trainer created a cohort: %v", err)
		}

		// A cohort whose days straddle the 2027 DST change in New York (March 14).
		c, err := f.svc.Create(ctx, a, f.admin, cohort.CreateInput{Name: "Spring", Delivery: "in_person", Location: "100 Main St, Harrisburg", Capacity: 2, Dates: dates("2027-03-10"), TrainerIDs: []string{f.trainer.ID}})
		if err != nil {
			t.Fatal(err)
		}
		c, _ = f.svc.Get(ctx, c.ID)
		if len(c.Sessions) != 10 || c.CurriculumVersion != "v-test" || len(c.Trainers) != 1 {
			t.Fatalf("cohort: %+v", c)
		}
		// At 2027-03-14 12:00 UTC (08:00 EDT) days 1..5 are open, day 6 (March 15) is not.
		for day := 1; day <= 10; day++ {
			if got, want := c.DayOpen(day, f.now), day <= 5; got != want {
				t.Errorf("day %d open = %v at %s", day, got, f.now)
			}
		}
		// Day 6 opens at 04:00 UTC on March 15 (midnight EDT), not 05:00.
		if !c.DayOpen(6, time.Date(2027, 3, 15, 4, 0, 0, 0, time.UTC)) || c.DayOpen(6, time.Date(2027, 3, 15, 3, 59, 59, 0, time.UTC)) {
			t.Error("day 6 opening instant is wrong across DST")
		}

		// Access: assigned trainer and vendor admin, not the unassigned trainer or another vendor.
		if _, err := f.svc.GetFor(ctx, f.trainer, c.ID); err != nil {
			t.Fatal(err)
		}
		for _, u := range []*account.User{f.other, f.foreignAdmin} {
			if _, err := f.svc.GetFor(ctx, u, c.ID); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("%s sees the cohort: %v", u.Email, err)
			}
		}

		// Enrolment: capacity and one active cohort per candidate.
		c1, c2, c3 := f.env.User(account.RoleCandidate, ""), f.env.User(account.RoleCandidate, ""), f.env.User(account.RoleCandidate, "")
		for _, u := range []*account.User{c1, c2} {
			if _, err := f.svc.Enroll(ctx, a, f.admin, c.ID, u.Email); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Enroll(ctx, a, f.admin, c.ID, c3.Email); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("over capacity: %v", err)
		}
		if _, err := f.svc.Enroll(ctx, a, f.admin, c.ID, "nobody@example.org"); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("unknown email: %v", err)
		}
		if _, err := f.svc.Enroll(ctx, a, f.foreignAdmin, c.ID, c3.Email); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("foreign admin enrolled: %v", err)
		}
		if err := f.svc.Withdraw(ctx, a, f.admin, c.ID, c2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Enroll(ctx, a, f.admin, c.ID, c3.Email); err != nil {
			t.Fatalf("place freed by withdrawal: %v", err)
		}
		if got, err := f.svc.ActiveCohort(ctx, c1.ID); err != nil || got.ID != c.ID {
			t.Fatalf("active cohort: %v", err)
		}
		if _, err := f.svc.ActiveCohort(ctx, c2.ID); err != cohort.ErrNotEnrolled {
			t.Fatalf("withdrawn candidate still active: %v", err)
		}

		// Module gating by day.
		if err := f.svc.CanOpenModule(ctx, c1.ID, "d5-b"); err != nil {
			t.Fatalf("day 5 module: %v", err)
		}
		if err := f.svc.CanOpenModule(ctx, c1.ID, "d6-a"); err != cohort.ErrDayLocked {
			t.Fatalf("day 6 module: %v", err)
		}

		// Attendance: validation, then the rule.
		ta := audit.Actor{UserID: f.trainer.ID, Role: f.trainer.Role, VendorID: f.vendor.ID}
		err = f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, 1, []cohort.Mark{{CandidateID: c1.ID, Status: cohort.Late, MinutesAttended: 0}})
		if e, ok := apperr.As(err); !ok || e.Fields["mark_"+c1.ID] == "" {
			t.Fatalf("late without minutes: %v", err)
		}
		if err := f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, 1, []cohort.Mark{{CandidateID: c2.ID, Status: cohort.Present}}); err == nil {
			t.Fatal("withdrawn candidate marked")
		}
		if err := f.svc.RecordAttendance(ctx, ta, f.other, c.ID, 1, []cohort.Mark{{CandidateID: c1.ID, Status: cohort.Present}}); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unassigned trainer took attendance: %v", err)
		}
		for day := 1; day <= 10; day++ {
			st := cohort.Present
			if day == 3 {
				st = cohort.Late
			}
			if day == 7 {
				st = cohort.Excused
			}
			if err := f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, day, []cohort.Mark{{CandidateID: c1.ID, Status: st, MinutesAttended: 300, Note: "ok"}, {CandidateID: c3.ID, Status: cohort.Present}}); err != nil {
				t.Fatal(err)
			}
		}
		// Correcting a line overwrites it (upsert), it does not add a second one.
		if err := f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, 3, []cohort.Mark{{CandidateID: c1.ID, Status: cohort.Late, MinutesAttended: 390}}); err != nil {
			t.Fatal(err)
		}
		// Modules: c1 completes all, c3 all but one.
		for i, slug := range course().slugs {
			if err := f.svc.RecordCheck(ctx, audit.Actor{UserID: c1.ID}, c1.ID, slug, true); err != nil {
				t.Fatal(err)
			}
			if i > 0 {
				_ = f.svc.RecordCheck(ctx, audit.Actor{UserID: c3.ID}, c3.ID, slug, true)
			}
		}
		_ = f.svc.RecordCheck(ctx, audit.Actor{UserID: c3.ID}, c3.ID, course().slugs[0], false) // a failed attempt does not complete
		sts, err := f.svc.Statuses(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		by := map[string]cohort.Status{}
		for _, s := range sts {
			by[s.CandidateID] = s
		}
		// c1: 8 full days (3600) + late 390 = 3990 attended; needs 510 more.
		s1 := by[c1.ID]
		if s1.AttendedMinutes != 3990 || s1.ModulesCompleted != 20 || s1.Complete {
			t.Fatalf("c1 before make-up: %+v", s1)
		}
		if _, err := f.svc.AddMakeup(ctx, ta, f.trainer, c.ID, cohort.MakeupInput{CandidateID: c1.ID, Day: 7, Description: "Day 7 reading and reflection with trainer", Minutes: 510}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.AddMakeup(ctx, ta, f.trainer, c.ID, cohort.MakeupInput{CandidateID: c1.ID, Description: "", Minutes: -5}); !apperr.Is(err, apperr.Invalid) {
			t.Fatalf("bad make-up accepted: %v", err)
		}
		sts, _ = f.svc.Statuses(ctx, c)
		for _, s := range sts {
			switch s.CandidateID {
			case c1.ID:
				if !s.Complete || s.MakeupMinutes != 510 {
					t.Fatalf("c1 after make-up: %+v", s)
				}
			case c3.ID:
				if s.Complete || s.ModulesCompleted != 19 || s.AttendedMinutes != 4500 {
					t.Fatalf("c3: %+v", s)
				}
			}
		}
		// Resume where they left off.
		f.now = f.now.Add(time.Hour)
		if err := f.svc.Viewed(ctx, c3.ID, "d4-a"); err != nil {
			t.Fatal(err)
		}
		if slug, _ := f.svc.LastViewed(ctx, c3.ID); slug != "d4-a" {
			t.Fatalf("last viewed %q", slug)
		}
	})
}

func TestConcurrentEnrolmentRespectsCapacity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		f := setup(t, d)
		a := audit.Actor{UserID: f.admin.ID, Role: f.admin.Role}
		c, err := f.svc.Create(ctx, a, f.admin, cohort.CreateInput{Name: "Small", Delivery: "virtual", Capacity: 3, Dates: dates("2027-05-03")})
		if err != nil {
			t.Fatal(err)
		}
		var cands []*account.User
		for i := 0; i < 12; i++ {
			cands = append(cands, f.env.User(account.RoleCandidate, ""))
		}
		var wg sync.WaitGroup
		for _, u := range cands {
			wg.Add(1)
			go func(u *account.User) {
				defer wg.Done()
				_, _ = f.svc.Enroll(ctx, a, f.admin, c.ID, u.Email)
			}(u)
		}
		wg.Wait()
		n, err := f.env.App.DB.NewSelect().Model((*cohort.Enrollment)(nil)).Where("cohort_id = ?", c.ID).Where("status = 'active'").Count(ctx)
		if err != nil || n != 3 {
			t.Fatalf("enrolled %d, want 3 (%v)", n, err)
		}
	})
}
