package exam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
	_ "time/tzdata" // reopening dates are shown in the vendor's time zone, also on hosts without zoneinfo

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
)

// ---- the gate ----

// Gate says whether a candidate may start (or resume) the written exam, and if not, why.
type Gate struct {
	CanStart      bool   `json:"can_start"`
	OpenAttemptID string `json:"open_attempt_id,omitempty"` // set when an attempt is in progress: Start resumes it
	Code          string `json:"code,omitempty"`            // why not: not_enrolled, coursework_incomplete, already_passed, no_attempts_left, wait_period
	Message       string `json:"message,omitempty"`

	VendorID           string     `json:"vendor_id,omitempty"`
	CohortID           string     `json:"cohort_id,omitempty"`
	CourseworkComplete bool       `json:"coursework_complete"`
	Overridden         bool       `json:"overridden"` // admitted by a vendor's gate override
	AttemptsUsed       int        `json:"attempts_used"`
	MaxAttempts        int        `json:"max_attempts"`
	ReopensAt          *time.Time `json:"reopens_at,omitempty"`
	DurationMinutes    int        `json:"duration_minutes"` // including ExtraMinutes
	ExtraMinutes       int        `json:"extra_minutes"`
	FormLength         int        `json:"form_length"`
	PassPercent        int        `json:"pass_percent"`

	settings Settings
	extra    int
}

// Err is the refusal as a safe error, or nil when the candidate may start.
func (g *Gate) Err() error {
	if g.CanStart {
		return nil
	}
	return apperr.New(apperr.Forbidden, g.Code, g.Message)
}

func (g *Gate) refuse(code, msg string) *Gate {
	g.CanStart, g.Code, g.Message = false, code, msg
	return g
}

// Gate evaluates the rules for a candidate without starting anything. (An attempt whose time has run
// out is finalised first.)
func (s *Service) Gate(ctx context.Context, candidate *account.User) (*Gate, error) {
	if candidate == nil || candidate.Role != account.RoleCandidate {
		return nil, errCandidateOnly
	}
	now := s.now()
	if err := s.finalizeOverdueOf(ctx, candidate.ID, now); err != nil {
		return nil, err
	}
	complete, vendorID, cohortID, err := s.coursework(ctx, candidate.ID)
	if err != nil {
		return nil, err
	}
	return s.gate(ctx, s.DB, candidate.ID, complete, vendorID, cohortID, now)
}

func (s *Service) coursework(ctx context.Context, candidateID string) (bool, string, string, error) {
	if s.Coursework == nil {
		return false, "", "", nil
	}
	return s.Coursework.Complete(ctx, candidateID)
}

func (s *Service) gate(ctx context.Context, db bun.IDB, candidateID string, complete bool, vendorID, cohortID string, now time.Time) (*Gate, error) {
	g := &Gate{CanStart: true, CourseworkComplete: complete, VendorID: vendorID, CohortID: cohortID}
	var open []string
	if err := db.NewSelect().Model((*attempt)(nil)).Column("id").Where("candidate_id = ?", candidateID).Where("status = ?", StatusOpen).Scan(ctx, &open); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	if len(open) > 0 {
		g.OpenAttemptID = open[0]
		return g, nil
	}
	passed, err := db.NewSelect().Model((*attempt)(nil)).Where("candidate_id = ?", candidateID).Where("passed = ?", true).Count(ctx)
	if err != nil {
		return nil, err
	}
	if passed > 0 {
		return g.refuse("already_passed", "You have already passed the written exam."), nil
	}
	if g.VendorID == "" {
		// Not enrolled anywhere: a vendor's override alone admits the candidate.
		var ovs []GateOverride
		if err := db.NewSelect().Model(&ovs).Where("candidate_id = ?", candidateID).OrderExpr("granted_at DESC").Limit(1).Scan(ctx); err != nil && !database.ErrIsNotFound(err) {
			return nil, err
		}
		if len(ovs) == 0 {
			return g.refuse("not_enrolled", "The written exam opens once you are enrolled in a cohort and have completed the coursework."), nil
		}
		g.VendorID, g.CohortID, g.Overridden = ovs[0].VendorID, "", true
	} else if !complete {
		n, err := db.NewSelect().Model((*GateOverride)(nil)).Where("candidate_id = ?", candidateID).Where("vendor_id = ?", g.VendorID).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return g.refuse("coursework_incomplete", "The written exam opens when you have completed every module and the required training hours. Your training organisation can tell you what is left."), nil
		}
		g.Overridden = true
	}

	st, err := settingsIn(ctx, db, g.VendorID)
	if err != nil {
		return nil, err
	}
	g.settings = st
	g.MaxAttempts, g.FormLength, g.PassPercent = st.MaxAttempts, st.FormLength, st.PassPercent
	var acc []Accommodation
	if err := db.NewSelect().Model(&acc).Where("candidate_id = ?", candidateID).Where("vendor_id = ?", g.VendorID).Scan(ctx); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	if len(acc) > 0 {
		g.extra = acc[0].ExtraMinutes
	}
	g.ExtraMinutes, g.DurationMinutes = g.extra, st.DurationMinutes+g.extra

	var finished []time.Time
	if err := db.NewSelect().Model((*attempt)(nil)).Column("finished_at").Where("candidate_id = ?", candidateID).Where("vendor_id = ?", g.VendorID).
		Where("status <> ?", StatusOpen).OrderExpr("finished_at DESC").Scan(ctx, &finished); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	g.AttemptsUsed = len(finished)
	if g.AttemptsUsed >= st.MaxAttempts {
		return g.refuse("no_attempts_left", fmt.Sprintf("You have used all %d attempts at the written exam with this training organisation. Please contact them about what comes next.", st.MaxAttempts)), nil
	}
	if len(finished) > 0 && st.WaitDays > 0 {
		loc := s.vendorLocation(ctx, db, g.VendorID)
		reopens := finished[0].In(loc).AddDate(0, 0, st.WaitDays)
		if now.Before(reopens) {
			r := reopens.UTC()
			g.ReopensAt = &r
			return g.refuse("wait_period", fmt.Sprintf("You can take the written exam again from %s.", reopens.Format("3:04 PM MST on Monday, January 2, 2006"))), nil
		}
	}
	return g, nil
}

func (s *Service) vendorLocation(ctx context.Context, db bun.IDB, vendorID string) *time.Location {
	var tz string
	_ = db.NewSelect().Model((*account.Vendor)(nil)).Column("timezone").Where("id = ?", vendorID).Scan(ctx, &tz)
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		return time.UTC
	}
	return loc
}

// ---- starting ----

// Summary describes an attempt that was started or resumed.
type Summary struct {
	ID         string    `json:"id"`
	VendorID   string    `json:"vendor_id"`
	CohortID   string    `json:"cohort_id,omitempty"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	DeadlineAt time.Time `json:"deadline_at"`
	Questions  int       `json:"questions"`
	Resumed    bool      `json:"resumed"` // the candidate already had this attempt open
}

func summaryOf(at *attempt, resumed bool) (*Summary, error) {
	form, err := parseForm(at)
	if err != nil {
		return nil, err
	}
	sum := &Summary{ID: at.ID, VendorID: at.VendorID, Status: at.Status, StartedAt: at.StartedAt.UTC(), DeadlineAt: at.DeadlineAt.UTC(), Questions: len(form), Resumed: resumed}
	if at.CohortID != nil {
		sum.CohortID = *at.CohortID
	}
	return sum, nil
}

func parseForm(at *attempt) (Form, error) {
	var f Form
	if err := json.Unmarshal([]byte(at.Form), &f); err != nil {
		return nil, fmt.Errorf("exam: attempt %s: bad form: %w", at.ID, err)
	}
	return f, nil
}

// Start begins the written exam for a candidate, or resumes the attempt they have open. It refuses
// (apperr Forbidden, see Gate for the codes) unless the coursework is complete or a vendor overrode
// the gate, after a pass, once the vendor's attempts are used up, and during the wait after an
// attempt. The deadline is now + the vendor's duration + any accommodation. The database allows one
// open attempt per candidate; concurrent starts all get the same attempt.
func (s *Service) Start(ctx context.Context, a audit.Actor, candidate *account.User) (*Summary, error) {
	if candidate == nil || candidate.Role != account.RoleCandidate {
		return nil, errCandidateOnly
	}
	if s.Bank == nil {
		return nil, errors.New("exam: no item bank loaded")
	}
	now := s.now()
	if err := s.finalizeOverdueOf(ctx, candidate.ID, now); err != nil {
		return nil, err
	}
	complete, vendorID, cohortID, err := s.coursework(ctx, candidate.ID)
	if err != nil {
		return nil, err
	}
	var out *Summary
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if database.IsPostgres(tx) {
			// Serialise a candidate's starts so the rules below see every earlier start.
			if _, err := tx.NewRaw("SELECT id FROM users WHERE id = ? FOR UPDATE", candidate.ID).Exec(ctx); err != nil {
				return err
			}
		}
		g, err := s.gate(ctx, tx, candidate.ID, complete, vendorID, cohortID, now)
		if err != nil {
			return err
		}
		if g.OpenAttemptID != "" {
			out, err = s.openSummary(ctx, tx, candidate.ID)
			return err
		}
		if err := g.Err(); err != nil {
			return err
		}
		retired, err := retiredSet(ctx, tx, g.VendorID)
		if err != nil {
			return err
		}
		seed := rand.Int64()
		form, err := AssembleForm(s.Bank, retired, g.settings.FormLength, seed)
		if err != nil {
			var short *ShortDomainError
			if errors.As(err, &short) {
				return apperr.New(apperr.Conflict, "exam_unavailable", "The exam cannot be put together right now. Please contact your training organisation.")
			}
			return err
		}
		fj, err := json.Marshal(form)
		if err != nil {
			return err
		}
		at := &attempt{ID: newID(), CandidateID: candidate.ID, VendorID: g.VendorID, Seed: seed, Form: string(fj), BankVersion: s.bankVersion(),
			PassPercent: g.settings.PassPercent, StartedAt: now, DeadlineAt: now.Add(time.Duration(g.DurationMinutes) * time.Minute), Status: StatusOpen}
		if g.CohortID != "" {
			at.CohortID = &g.CohortID
		}
		res, err := tx.NewInsert().Model(at).On("CONFLICT (candidate_id) WHERE status = 'open' DO NOTHING").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			out, err = s.openSummary(ctx, tx, candidate.ID) // started elsewhere a moment ago: resume it
			return err
		}
		if out, err = summaryOf(at, false); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "exam.start", SubjectType: "exam_attempt", SubjectID: at.ID, VendorID: at.VendorID,
			Details: map[string]any{"questions": len(form), "minutes": g.DurationMinutes, "accommodated": g.extra > 0, "gate_override": g.Overridden,
				"bank_version": at.BankVersion}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) openSummary(ctx context.Context, db bun.IDB, candidateID string) (*Summary, error) {
	at := new(attempt)
	if err := db.NewSelect().Model(at).Where("candidate_id = ?", candidateID).Where("status = ?", StatusOpen).Scan(ctx); err != nil {
		return nil, err
	}
	return summaryOf(at, true)
}

func retiredSet(ctx context.Context, db bun.IDB, vendorID string) (map[string]bool, error) {
	var ids []string
	if err := db.NewSelect().Model((*RetiredItem)(nil)).Column("item_id").Where("vendor_id = ?", vendorID).Scan(ctx, &ids); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m, nil
}
