package exam_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// An administrator acts on a candidate who sent their vendor an application (not a draft) as on
// one enrolled in its cohort; not on a stranger, a draft, or a staff member.
func TestAdministratorsActOnApplicants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		const reason = "Documented dyslexia: time and a half"
		c := f.user(account.RoleCandidate, "") // no enrolment anywhere
		wantCode(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin), f.admin, c.ID, 30, reason), apperr.NotFound, "not_found")

		now := time.Now().UTC().Truncate(time.Microsecond)
		app := &eligibility.Application{ID: uuid.NewString(), CandidateID: c.ID, VendorID: f.vendor.ID, Status: eligibility.StatusDraft,
			LegalName: c.Name, EmailContact: c.Email, CreatedAt: now, UpdatedAt: now}
		if _, err := f.db.NewInsert().Model(app).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		wantCode(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin), f.admin, c.ID, 30, reason), apperr.NotFound, "not_found")

		if _, err := f.db.NewUpdate().Model(app).Set("status = ?", eligibility.StatusSubmitted).WherePK().Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		must(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin), f.admin, c.ID, 30, reason))
		must(t, f.svc.OverrideGate(f.ctx, actor(f.admin), f.admin, c.ID, "Completed the course elsewhere"))
		wantCode(t, f.svc.GrantAccommodation(f.ctx, actor(f.admin2), f.admin2, c.ID, 30, reason), apperr.NotFound, "not_found")
		wantCode(t, f.svc.OverrideGate(f.ctx, actor(f.admin), f.admin, f.trainer.ID, "not a candidate"), apperr.NotFound, "not_found")
	})
}
