package seed_test

import (
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/seed"
)

// course is a curriculum of two modules, one on each of the first two days.
type course struct{}

func (course) Version() string          { return "cv-seed" }
func (course) ModuleSlugs() []string    { return []string{"day-01-a", "day-02-a"} }
func (course) DayOf(string) (int, bool) { return 1, true }

// TestStagesAsTheOwnersReadThem checks each stage the rows stand for against the owning service's
// own read: approved lets the cohort enrol, enrolled is not yet complete, coursework complete is.
func TestStagesAsTheOwnersReadThem(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		w := seed.Open(t, d, time.Date(2027, 5, 3, 15, 0, 0, 0, time.UTC))
		v := w.Vendor("stages")
		other := w.Vendor("elsewhere")
		elig := &eligibility.Service{DB: w.DB}
		cs := &cohort.Service{DB: w.DB, Course: course{}, Eligibility: elig, Now: w.Clock.Now}

		a, b, c := w.User(account.RoleCandidate, ""), w.User(account.RoleCandidate, ""), w.User(account.RoleCandidate, "")
		w.Approved(v.ID, a)
		for _, tc := range []struct {
			cand   *account.User
			vendor string
			want   bool
		}{{a, v.ID, true}, {a, other.ID, false}, {b, v.ID, false}} {
			ok, _, err := elig.Enrollable(w.Ctx, w.DB, tc.cand.ID, tc.vendor)
			if err != nil || ok != tc.want {
				t.Errorf("Enrollable(%s) = %v, %v; want %v", tc.cand.Name, ok, err, tc.want)
			}
		}

		co := w.Cohort(v.ID)
		w.Enrolled(co, b)
		w.CourseworkComplete(co, course{}.ModuleSlugs(), course{}.Version(), c)
		if ok, _, err := elig.Enrollable(w.Ctx, w.DB, c.ID, v.ID); err != nil || !ok {
			t.Errorf("coursework complete but not approved: %v, %v", ok, err)
		}
		got, err := cs.CourseworkOf(w.Ctx, []string{a.ID, b.ID, c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got[a.ID]; ok {
			t.Errorf("approved only, yet enrolled: %+v", got[a.ID].Status)
		}
		if st := got[b.ID].Status; got[b.ID].Cohort == nil || st.Complete || st.ModulesCompleted != 0 || st.AttendedMinutes != 0 {
			t.Errorf("enrolled: %+v, want in the cohort with nothing done", st)
		}
		if st := got[c.ID].Status; !st.Complete || st.ModulesCompleted != 2 || st.AttendedMinutes != cohort.DefaultRequiredMinutes {
			t.Errorf("coursework complete: %+v, want complete with every module and %d minutes", st, cohort.DefaultRequiredMinutes)
		}
	})
}

// TestCourseworkCompleteInBatches seeds more rows than one insert of SQLite may bind.
func TestCourseworkCompleteInBatches(t *testing.T) {
	w := seed.Open(t, dbtest.SQLite, time.Date(2027, 5, 3, 15, 0, 0, 0, time.UTC))
	v := w.Vendor("many")
	co := w.Cohort(v.ID)
	cands := make([]*account.User, 600)
	for i := range cands {
		cands[i] = w.User(account.RoleCandidate, "")
	}
	w.CourseworkComplete(co, course{}.ModuleSlugs(), course{}.Version(), cands...)
	cs := &cohort.Service{DB: w.DB, Course: course{}, Now: w.Clock.Now}
	got, err := cs.CourseworkOf(w.Ctx, []string{cands[0].ID, cands[599].ID})
	if err != nil || !got[cands[0].ID].Status.Complete || !got[cands[599].ID].Status.Complete {
		t.Fatalf("%+v %v", got, err)
	}
}
