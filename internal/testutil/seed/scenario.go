package seed

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/eligibility"
)

// The first stages of a candidate's journey as rows, in batches of any size; the package doc says
// where the later stages come from. Each stage is a function returning an error, for callers without
// a testing.TB (cmd/examload seeds thousands of candidates with them), and a World method that fails
// the test instead.

// NewCohort inserts a virtual cohort of vendorID in America/New_York with room for capacity, the
// default required minutes, curriculum version cv, and no sessions yet (Taught gives it some).
func NewCohort(ctx context.Context, db bun.IDB, vendorID string, capacity int, cv string) (*cohort.Cohort, error) {
	c := &cohort.Cohort{ID: uuid.NewString(), VendorID: vendorID, Name: "Spring", Timezone: "America/New_York", Delivery: "virtual",
		Capacity: capacity, RequiredMinutes: cohort.DefaultRequiredMinutes, CurriculumVersion: cv, CreatedAt: database.Now()}
	_, err := db.NewInsert().Model(c).Exec(ctx)
	return c, err
}

// Approved inserts, for each candidate, an application to vendorID approved at now (no private
// answers: only the status, which is what enrolment asks for).
func Approved(ctx context.Context, db bun.IDB, now time.Time, vendorID string, cands ...*account.User) error {
	apps := make([]eligibility.Application, len(cands))
	for i, c := range cands {
		apps[i] = eligibility.Application{ID: uuid.NewString(), CandidateID: c.ID, VendorID: vendorID, Status: eligibility.StatusApproved,
			LegalName: c.Name, EmailContact: c.Email, Education: eligibility.EducationGED, EducationYear: 2003, SelfIdentifies: true, Consent: true,
			SubmittedAt: &now, DecidedAt: &now, CreatedAt: now, UpdatedAt: now}
	}
	return insertAll(ctx, db, apps)
}

// Enrolled approves each candidate with the cohort's vendor and enrols them in the cohort at now.
func Enrolled(ctx context.Context, db bun.IDB, now time.Time, c *cohort.Cohort, cands ...*account.User) error {
	if err := Approved(ctx, db, now, c.VendorID, cands...); err != nil {
		return err
	}
	ens := make([]cohort.Enrollment, len(cands))
	for i, u := range cands {
		ens[i] = cohort.Enrollment{ID: uuid.NewString(), CohortID: c.ID, CandidateID: u.ID, Status: cohort.EnrollActive, EnrolledAt: now}
	}
	return insertAll(ctx, db, ens)
}

// Taught gives the cohort its ten teaching days, of the default length, on the ten days before now's
// date (in the cohort's time zone), unless it has sessions already; it returns them.
func Taught(ctx context.Context, db bun.IDB, now time.Time, c *cohort.Cohort) ([]cohort.Session, error) {
	var ss []cohort.Session
	if err := db.NewSelect().Model(&ss).Where("cohort_id = ?", c.ID).Order("day").Scan(ctx); err != nil || len(ss) > 0 {
		return ss, err
	}
	first := now.In(c.Loc()).AddDate(0, 0, -cohort.Days)
	for day := 1; day <= cohort.Days; day++ {
		d := first.AddDate(0, 0, day-1)
		opens := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, c.Loc()).UTC()
		ss = append(ss, cohort.Session{CohortID: c.ID, Day: day, Date: d.Format("2006-01-02"), OpensAt: opens, Minutes: cohort.DefaultSessionMinutes})
	}
	return ss, insertAll(ctx, db, ss)
}

// CourseworkComplete enrols the candidates (approved first) in the cohort, gives it its teaching
// days (Taught), marks each candidate present on every day and completes each of modules (the
// curriculum's module slugs, of curriculum version cv): a few inserts, whatever the number.
func CourseworkComplete(ctx context.Context, db bun.IDB, now time.Time, c *cohort.Cohort, modules []string, cv string, cands ...*account.User) error {
	if err := Enrolled(ctx, db, now, c, cands...); err != nil {
		return err
	}
	ss, err := Taught(ctx, db, now, c)
	if err != nil {
		return err
	}
	var att []cohort.Attendance
	for _, u := range cands {
		for _, s := range ss {
			att = append(att, cohort.Attendance{CohortID: c.ID, Day: s.Day, CandidateID: u.ID, Status: cohort.Present, RecordedBy: "seed", RecordedAt: now})
		}
	}
	if err := insertAll(ctx, db, att); err != nil {
		return err
	}
	return ModulesDone(ctx, db, now, modules, cv, cands...)
}

// ModulesDone records each of modules (of curriculum version cv) as completed at now, its check
// passed at the first attempt, by each candidate.
func ModulesDone(ctx context.Context, db bun.IDB, now time.Time, modules []string, cv string, cands ...*account.User) error {
	var ps []cohort.Progress
	for _, u := range cands {
		for _, m := range modules {
			ps = append(ps, cohort.Progress{CandidateID: u.ID, ModuleSlug: m, StartedAt: now, LastViewedAt: now, CompletedAt: &now, CheckAttempts: 1, CurriculumVersion: cv})
		}
	}
	return insertAll(ctx, db, ps)
}

// insertAll inserts rows in chunks small enough for SQLite's limit on bound variables.
func insertAll[T any](ctx context.Context, db bun.IDB, rows []T) error {
	for lo := 0; lo < len(rows); lo += 500 {
		chunk := rows[lo:min(lo+500, len(rows))]
		if _, err := db.NewInsert().Model(&chunk).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Cohort inserts a cohort of vendorID with room for 20 (see NewCohort).
func (w *World) Cohort(vendorID string) *cohort.Cohort {
	w.T.Helper()
	c, err := NewCohort(w.Ctx, w.DB, vendorID, 20, "v-test")
	w.must(err)
	return c
}

// Approved: see the function; at the clock's time.
func (w *World) Approved(vendorID string, cands ...*account.User) {
	w.T.Helper()
	w.must(Approved(w.Ctx, w.DB, w.Clock.Now(), vendorID, cands...))
}

// Enrolled: see the function; at the clock's time.
func (w *World) Enrolled(c *cohort.Cohort, cands ...*account.User) {
	w.T.Helper()
	w.must(Enrolled(w.Ctx, w.DB, w.Clock.Now(), c, cands...))
}

// Taught: see the function; before the clock's date.
func (w *World) Taught(c *cohort.Cohort) []cohort.Session {
	w.T.Helper()
	ss, err := Taught(w.Ctx, w.DB, w.Clock.Now(), c)
	w.must(err)
	return ss
}

// CourseworkComplete: see the function; at the clock's time.
func (w *World) CourseworkComplete(c *cohort.Cohort, modules []string, cv string, cands ...*account.User) {
	w.T.Helper()
	w.must(CourseworkComplete(w.Ctx, w.DB, w.Clock.Now(), c, modules, cv, cands...))
}

func (w *World) must(err error) {
	w.T.Helper()
	if err != nil {
		w.T.Fatal(err)
	}
}
