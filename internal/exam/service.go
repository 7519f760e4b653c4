package exam

// The written-exam service. Files: service.go (settings, accommodations, gate overrides), gate.go
// (eligibility to start, Start), delivery.go (View, SaveAnswer), finish.go (Submit, expiry, results),
// vendor.go (cohort results, CSV, item analysis, retiring items); form.go and grade.go are pure.
//
// Concurrency: one open attempt per candidate is a partial unique index (Start inserts with ON
// CONFLICT DO NOTHING, only if the candidate's attempts are as its gate counted, and resumes);
// finishing an attempt is one conditional UPDATE (status 'open' -> submitted/expired) graded in the
// same transaction, so each attempt is graded exactly once however many requests or workers race; answers are an upsert that only a larger seq can overwrite. Starts
// and answers that arrive together are written together (group commit, internal/batch), each row still
// decided by its statement's conditions.
// Privacy: audit details hold ids, counts and scores, never choices or accommodation reasons; the
// candidate-facing types (Question, AttemptView, AttemptResult) have no field for keys or rationales.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/batch"
	"github.com/peeracademy/peeracademy/internal/cache"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/eligibility"
)

// AnswerGrace is how long after the deadline an answer is still accepted (a save sent just before
// time ran out may arrive a moment late).
const AnswerGrace = 5 * time.Second

// Coursework says whether a candidate has completed the course and with which vendor and cohort
// ("" when the candidate is not enrolled anywhere). The app adapts the cohort service to it.
type Coursework interface {
	Complete(ctx context.Context, candidateID string) (complete bool, vendorID string, cohortID string, err error)
}

// Service runs the written exam: settings, the gate, delivery, grading and the vendor's reports.
type Service struct {
	DB         *bun.DB
	Bank       *Bank
	Coursework Coursework
	Now        func() time.Time

	versionOnce sync.Once
	version     string

	sittingsOnce sync.Once
	sittingCache *cache.Map[*sitting] // see sittingOf

	answersOnce sync.Once
	answers     *batch.Batcher[*saveReq] // answers written together (save_batch.go)
	startsOnce  sync.Once
	starts      *batch.Batcher[*startReq] // starts written together (start_batch.go)

	gateReadsOnce sync.Once
	gateReadsL    *batch.Loader[gateKey, gateFacts] // gate reads of many starts together (gate_batch.go)

	gateStmt prepared // the gate's statement, prepared on PostgreSQL (gate_stmt.go)
	viewStmt prepared // an open attempt's view, prepared on PostgreSQL (delivery.go)
}

// Errors a candidate may meet while sitting the exam.
var (
	ErrDeadlinePassed = apperr.New(apperr.Gone, "deadline_passed",
		"Time is up: answers can no longer be changed. Your saved answers have been submitted for grading.")
	ErrAttemptFinished = apperr.New(apperr.Conflict, "attempt_finished",
		"This exam has already been submitted: answers can no longer be changed.")
	errAttemptNotFound = apperr.New(apperr.NotFound, "not_found", "We could not find that exam attempt.")
	errCandidateOnly   = apperr.New(apperr.Forbidden, "forbidden", "Only candidates sit the written exam.")
	errAdminOnly       = apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators manage the written exam.")
	errNoCandidate     = apperr.New(apperr.NotFound, "not_found", "We could not find that candidate among your organisation's applicants and students.")
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return database.Now()
}

func (s *Service) bankVersion() string {
	s.versionOnce.Do(func() { s.version = BankVersion(s.Bank) })
	return s.version
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func isAdmin(u *account.User) bool {
	return u != nil && u.Role == account.RoleVendorAdmin && u.Vendor() != ""
}

// ---- settings ----

// Settings returns a vendor's exam settings, or the defaults when it has saved none.
func (s *Service) Settings(ctx context.Context, vendorID string) (Settings, error) {
	return settingsIn(ctx, s.DB, vendorID)
}

func settingsIn(ctx context.Context, db bun.IDB, vendorID string) (Settings, error) {
	var st Settings
	err := db.NewSelect().Model(&st).Where("vendor_id = ?", vendorID).Scan(ctx)
	if database.ErrIsNotFound(err) {
		return DefaultSettings(vendorID), nil
	}
	if err != nil {
		return Settings{}, err
	}
	st.Saved = true
	return st, nil
}

// UpdateSettings saves the settings of the administrator's own vendor. They apply to attempts started
// afterwards (an open attempt keeps its deadline and pass mark).
func (s *Service) UpdateSettings(ctx context.Context, a audit.Actor, admin *account.User, in Settings) (Settings, error) {
	if !isAdmin(admin) {
		return Settings{}, errAdminOnly
	}
	vendorID := admin.Vendor()
	f := apperr.Fields{}
	if in.DurationMinutes < 10 || in.DurationMinutes > 480 {
		f.Add("duration_minutes", "The time allowed must be between 10 and 480 minutes.")
	}
	if in.PassPercent < 1 || in.PassPercent > 100 {
		f.Add("pass_percent", "The pass mark must be a percentage between 1 and 100.")
	}
	if in.MaxAttempts < 1 || in.MaxAttempts > 10 {
		f.Add("max_attempts", "Allow between 1 and 10 attempts.")
	}
	if in.WaitDays < 0 || in.WaitDays > 365 {
		f.Add("wait_days", "The wait between attempts must be between 0 and 365 days.")
	}
	if in.FormLength < 1 || in.FormLength > 300 {
		f.Add("form_length", "A form must have between 1 and 300 questions.")
	}
	if err := f.Err(); err != nil {
		return Settings{}, err
	}
	st := Settings{VendorID: vendorID, DurationMinutes: in.DurationMinutes, PassPercent: in.PassPercent, MaxAttempts: in.MaxAttempts,
		WaitDays: in.WaitDays, FormLength: in.FormLength, UpdatedBy: &admin.ID, UpdatedAt: s.now(), Saved: true}
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		retired, err := retiredSet(ctx, tx, vendorID)
		if err != nil {
			return err
		}
		if _, err := AssembleForm(s.Bank, retired, st.FormLength, 1); err != nil {
			var short *ShortDomainError
			if errors.As(err, &short) {
				return apperr.Field("form_length", fmt.Sprintf("The item bank cannot fill a form of %d questions: domain %q has %d usable items and would need %d.",
					st.FormLength, short.Domain, short.Have, short.Need))
			}
			return err
		}
		_, err = tx.NewInsert().Model(&st).On("CONFLICT (vendor_id) DO UPDATE").
			Set("duration_minutes = EXCLUDED.duration_minutes").Set("pass_percent = EXCLUDED.pass_percent").
			Set("max_attempts = EXCLUDED.max_attempts").Set("wait_days = EXCLUDED.wait_days").Set("form_length = EXCLUDED.form_length").
			Set("updated_by = EXCLUDED.updated_by").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "exam.settings", SubjectType: "vendor", SubjectID: vendorID, VendorID: vendorID,
			Details: map[string]any{"duration_minutes": st.DurationMinutes, "pass_percent": st.PassPercent, "max_attempts": st.MaxAttempts,
				"wait_days": st.WaitDays, "form_length": st.FormLength}})
	})
	if err != nil {
		return Settings{}, err
	}
	return st, nil
}

// ---- accommodations and gate overrides ----

// related reports whether a candidate has dealings with a vendor: an enrolment in one of its cohorts
// or an application submitted to it. Administrators can act only on such candidates.
// Each question goes to the package that owns its table (an administrator's action, off the hot path).
func related(ctx context.Context, db bun.IDB, candidateID, vendorID string) (bool, error) {
	us, err := account.UsersByID(ctx, db, []string{candidateID}, account.RoleCandidate, "id")
	if err != nil || len(us) == 0 {
		return false, err
	}
	if ok, err := cohort.EnrolledWithVendor(ctx, db, candidateID, vendorID); ok || err != nil {
		return ok, err
	}
	return eligibility.AppliedTo(ctx, db, candidateID, vendorID)
}

// GrantAccommodation gives a candidate extra minutes on attempts started from now on with the
// administrator's vendor; 0 removes the accommodation. The reason is required and stays out of the
// audit trail (it may describe a disability).
func (s *Service) GrantAccommodation(ctx context.Context, a audit.Actor, admin *account.User, candidateID string, extraMinutes int, reason string) error {
	if !isAdmin(admin) {
		return errAdminOnly
	}
	reason = strings.TrimSpace(reason)
	f := apperr.Fields{}
	if extraMinutes < 0 || extraMinutes > 480 {
		f.Add("extra_minutes", "Extra time must be between 0 and 480 minutes (0 removes it).")
	}
	if reason == "" || len(reason) > 1000 {
		f.Add("reason", "Give the reason for the accommodation (at most 1000 characters).")
	}
	if err := f.Err(); err != nil {
		return err
	}
	vendorID := admin.Vendor()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		ok, err := related(ctx, tx, candidateID, vendorID)
		if err != nil {
			return err
		}
		if !ok {
			return errNoCandidate
		}
		if extraMinutes == 0 {
			if _, err := tx.NewDelete().Model((*Accommodation)(nil)).Where("candidate_id = ?", candidateID).Where("vendor_id = ?", vendorID).Exec(ctx); err != nil {
				return err
			}
		} else {
			acc := &Accommodation{CandidateID: candidateID, VendorID: vendorID, ExtraMinutes: extraMinutes, Reason: reason, GrantedBy: admin.ID, GrantedAt: s.now()}
			if _, err := tx.NewInsert().Model(acc).On("CONFLICT (candidate_id, vendor_id) DO UPDATE").Set("extra_minutes = EXCLUDED.extra_minutes").
				Set("reason = EXCLUDED.reason").Set("granted_by = EXCLUDED.granted_by").Set("granted_at = EXCLUDED.granted_at").Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "exam.accommodation", SubjectType: "user", SubjectID: candidateID, VendorID: vendorID,
			Details: map[string]any{"extra_minutes": extraMinutes}})
	})
}

// OverrideGate lets a candidate start the exam with the administrator's vendor although their
// coursework is not complete (other rules still apply). The reason is required.
func (s *Service) OverrideGate(ctx context.Context, a audit.Actor, admin *account.User, candidateID, reason string) error {
	if !isAdmin(admin) {
		return errAdminOnly
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return apperr.Field("reason", "Give the reason for letting this candidate sit the exam (at most 1000 characters).")
	}
	vendorID := admin.Vendor()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		ok, err := related(ctx, tx, candidateID, vendorID)
		if err != nil {
			return err
		}
		if !ok {
			return errNoCandidate
		}
		o := &GateOverride{CandidateID: candidateID, VendorID: vendorID, Reason: reason, GrantedBy: admin.ID, GrantedAt: s.now()}
		if _, err := tx.NewInsert().Model(o).On("CONFLICT (candidate_id, vendor_id) DO UPDATE").Set("reason = EXCLUDED.reason").
			Set("granted_by = EXCLUDED.granted_by").Set("granted_at = EXCLUDED.granted_at").Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "exam.override", SubjectType: "user", SubjectID: candidateID, VendorID: vendorID})
	})
}

// Accommodations lists the accommodations the administrator's vendor has granted.
func (s *Service) Accommodations(ctx context.Context, admin *account.User) ([]Accommodation, error) {
	if !isAdmin(admin) {
		return nil, errAdminOnly
	}
	var out []Accommodation
	return out, s.DB.NewSelect().Model(&out).Where("vendor_id = ?", admin.Vendor()).OrderExpr("granted_at DESC").Scan(ctx)
}

// Overrides lists the gate overrides the administrator's vendor has granted.
func (s *Service) Overrides(ctx context.Context, admin *account.User) ([]GateOverride, error) {
	if !isAdmin(admin) {
		return nil, errAdminOnly
	}
	var out []GateOverride
	return out, s.DB.NewSelect().Model(&out).Where("vendor_id = ?", admin.Vendor()).OrderExpr("granted_at DESC").Scan(ctx)
}
