package standing_test

import (
	"context"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The written exam's gate keeps each candidate's coursework answer in memory, and every write it was
// computed from takes the copy away, on either database (on PostgreSQL the change reaches the cache
// through LISTEN, a moment after the commit): attendance, make-up work, module progress, the cohort's
// required hours and the enrolment.
func TestCourseworkAnswerFollowsEveryWriteItDependsOn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		e := apptest.New(t, d)
		ctx := context.Background()
		r := &dbtest.Reads{Tables: []string{`FROM "attendance"`}}
		e.App.DB.AddQueryHook(r)
		p := e.Cast("cwcache")
		p.Cand = e.User("candidate", "")
		cand := p.Cand
		co := e.CourseworkComplete(p, true, cand)
		a := p.AdminActor()

		// eventually waits for the gate's answer to become want (the feed's delivery on PostgreSQL).
		eventually := func(step string, want bool, vendor string) {
			t.Helper()
			deadline := time.Now().Add(10 * time.Second)
			for {
				got, v, _, err := e.App.Standing.Complete(ctx, cand.ID)
				if err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				if got == want && v == vendor {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: coursework complete %v with vendor %q, want %v with %q", step, got, v, want, vendor)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		eventually("all done", true, p.Vendor.ID)
		// On PostgreSQL the notifications of the set-up's own writes may still be arriving, each
		// dropping the copy: wait for an answer given from memory, then ask a few more times.
		for deadline := time.Now().Add(10 * time.Second); ; {
			before := r.N()
			eventually("all done", true, p.Vendor.ID)
			if r.N() == before {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("every answer read the attendance: the answer is never kept")
			}
		}
		before := r.N()
		for range 3 {
			eventually("asked again", true, p.Vendor.ID)
		}
		if n := r.N() - before; n != 0 {
			t.Errorf("asking again read the attendance %d times, want 0 (answered from memory)", n)
		}

		mark := func(status string) {
			t.Helper()
			if err := e.App.Cohorts.RecordAttendance(ctx, a, p.Admin, co.ID, 1, []cohort.Mark{{CandidateID: cand.ID, Status: status}}); err != nil {
				t.Fatal(err)
			}
		}
		mark(cohort.Absent)
		eventually("absent on day 1", false, p.Vendor.ID)
		if _, err := e.App.Cohorts.AddMakeup(ctx, a, p.Admin, co.ID, cohort.MakeupInput{CandidateID: cand.ID, Day: 1, Description: "Read day 1 and met the trainer", Minutes: 600}); err != nil {
			t.Fatal(err)
		}
		eventually("make-up work for day 1", true, p.Vendor.ID)

		if _, err := e.App.DB.NewUpdate().Table("cohorts").Set("required_minutes = required_minutes + 6000").Where("id = ?", co.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		eventually("more hours required", false, p.Vendor.ID)
		if _, err := e.App.DB.NewUpdate().Table("cohorts").Set("required_minutes = required_minutes - 6000").Where("id = ?", co.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		eventually("hours back", true, p.Vendor.ID)

		var slug string
		if err := e.App.DB.NewRaw("SELECT module_slug FROM module_progress WHERE candidate_id = ? ORDER BY module_slug LIMIT 1", cand.ID).Scan(ctx, &slug); err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.DB.NewDelete().Table("module_progress").Where("candidate_id = ? AND module_slug = ?", cand.ID, slug).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		eventually("a module undone", false, p.Vendor.ID)
		if err := e.App.Cohorts.RecordCheck(ctx, p.CandActor(), cand.ID, slug, true); err != nil {
			t.Fatal(err)
		}
		eventually("the module done again", true, p.Vendor.ID)

		if err := e.App.Cohorts.Withdraw(ctx, a, p.Admin, co.ID, cand.ID); err != nil {
			t.Fatal(err)
		}
		eventually("withdrawn", false, "")
	})
}
