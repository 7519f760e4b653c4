package eligibility_test

import (
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

type oneDayCourse struct{}

func (oneDayCourse) Version() string       { return "v-test" }
func (oneDayCourse) ModuleSlugs() []string { return []string{"d1"} }
func (oneDayCourse) DayOf(s string) (int, bool) {
	return 1, s == "d1"
}

// The cohort service asks this package before it enrols anyone.
func TestCohortEnrolmentNeedsApproval(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		cs := &cohort.Service{DB: f.db, Course: oneDayCourse{}, Eligibility: f.svc, Now: func() time.Time { return f.now }}
		var dates []string
		for i := range cohort.Days {
			dates = append(dates, f.now.AddDate(0, 1, i).Format("2006-01-02"))
		}
		c, err := cs.Create(f.ctx, actor(f.admin), f.admin, cohort.CreateInput{Name: "Autumn", Delivery: "virtual", Capacity: 10, Dates: dates})
		must(t, err)

		id := f.submitted(f.cand, f.vendor)
		_, err = cs.Enroll(f.ctx, actor(f.admin), f.admin, c.ID, f.cand.Email)
		if e, ok := apperr.As(err); !ok || e.Fields["email"] == "" {
			t.Fatalf("enrolled without an approved application: %v", err)
		}
		must(t, f.svc.Decide(f.ctx, actor(f.admin), f.admin, id, eligibility.DecisionApprove, ""))
		if _, err := cs.Enroll(f.ctx, actor(f.admin), f.admin, c.ID, f.cand.Email); err != nil {
			t.Fatalf("enrol after approval: %v", err)
		}
		// Approval by another vendor does not count here.
		f.submitted(f.cand2, f.other)
		_, err = cs.Enroll(f.ctx, actor(f.admin), f.admin, c.ID, f.cand2.Email)
		if err == nil {
			t.Fatalf("enrolled %s, approved by another vendor only", f.cand2.ID)
		}
	})
}
