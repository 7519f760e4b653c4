package seed

import (
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/eligibility"
)

// The first stages of a candidate's journey as rows, in batches of any size; the package doc says
// where the later stages come from.

// Approved inserts, for each candidate, an application to vendorID approved at the clock's time
// (no private answers: only the status, which is what enrolment asks for).
func (w *World) Approved(vendorID string, cands ...*account.User) []eligibility.Application {
	w.T.Helper()
	now := w.Clock.Now()
	apps := make([]eligibility.Application, len(cands))
	for i, c := range cands {
		apps[i] = eligibility.Application{ID: uuid.NewString(), CandidateID: c.ID, VendorID: vendorID, Status: eligibility.StatusApproved,
			LegalName: c.Name, EmailContact: c.Email, Education: eligibility.EducationGED, EducationYear: 2003, SelfIdentifies: true, Consent: true,
			SubmittedAt: &now, DecidedAt: &now, DecisionReason: "", CreatedAt: now, UpdatedAt: now}
	}
	insertAll(w, apps)
	return apps
}

// Enrolled approves each candidate with the cohort's vendor and enrols them in the cohort.
func (w *World) Enrolled(c *cohort.Cohort, cands ...*account.User) {
	w.T.Helper()
	w.Approved(c.VendorID, cands...)
	now := w.Clock.Now()
	ens := make([]cohort.Enrollment, len(cands))
	for i, u := range cands {
		ens[i] = cohort.Enrollment{ID: uuid.NewString(), CohortID: c.ID, CandidateID: u.ID, Status: cohort.EnrollActive, EnrolledAt: now}
	}
	insertAll(w, ens)
}

// Taught gives the cohort its ten teaching days, of the default length, on the ten days before the
// clock's date (in the cohort's time zone), unless it has sessions already; it returns them.
func (w *World) Taught(c *cohort.Cohort) []cohort.Session {
	w.T.Helper()
	var ss []cohort.Session
	if err := w.DB.NewSelect().Model(&ss).Where("cohort_id = ?", c.ID).Order("day").Scan(w.Ctx); err != nil {
		w.T.Fatal(err)
	}
	if len(ss) > 0 {
		return ss
	}
	first := w.Clock.Now().In(c.Loc()).AddDate(0, 0, -cohort.Days)
	for day := 1; day <= cohort.Days; day++ {
		d := first.AddDate(0, 0, day-1)
		opens := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, c.Loc()).UTC()
		ss = append(ss, cohort.Session{CohortID: c.ID, Day: day, Date: d.Format("2006-01-02"), OpensAt: opens, Minutes: cohort.DefaultSessionMinutes})
	}
	insertAll(w, ss)
	return ss
}

// CourseworkComplete enrols the candidates (approved first) in the cohort, gives it its teaching
// days (Taught), marks each candidate present on every day and completes each of modules (the
// curriculum's module slugs, of curriculum version cv): in four inserts, whatever the number.
func (w *World) CourseworkComplete(c *cohort.Cohort, modules []string, cv string, cands ...*account.User) {
	w.T.Helper()
	w.Enrolled(c, cands...)
	ss := w.Taught(c)
	now := database.Now()
	var att []cohort.Attendance
	var ps []cohort.Progress
	for _, u := range cands {
		for _, s := range ss {
			att = append(att, cohort.Attendance{CohortID: c.ID, Day: s.Day, CandidateID: u.ID, Status: cohort.Present, RecordedBy: "seed", RecordedAt: now})
		}
		for _, m := range modules {
			ps = append(ps, cohort.Progress{CandidateID: u.ID, ModuleSlug: m, StartedAt: now, LastViewedAt: now, CompletedAt: &now, CheckAttempts: 1, CurriculumVersion: cv})
		}
	}
	insertAll(w, att)
	insertAll(w, ps)
}

// insertAll inserts rows in chunks small enough for SQLite's limit on bound variables.
func insertAll[T any](w *World, rows []T) {
	w.T.Helper()
	for lo := 0; lo < len(rows); lo += 500 {
		chunk := rows[lo:min(lo+500, len(rows))]
		w.Insert(&chunk)
	}
}
