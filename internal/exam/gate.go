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
	"github.com/peeracademy/peeracademy/internal/batch"
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

	settings     Settings
	extra        int
	openDeadline time.Time       // of the open attempt, when there is one
	retired      map[string]bool // the vendor's retired items (read with the rest, for Start)
	attempts     int             // the candidate's attempts when the facts were read (Start's guard)
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
	complete, vendorID, cohortID, err := s.coursework(ctx, candidate.ID)
	if err != nil {
		return nil, err
	}
	g, err := s.gate(ctx, s.DB, candidate.ID, complete, vendorID, cohortID, now)
	if err != nil || !g.overdue(now) {
		return g, err
	}
	if _, err := s.finish(ctx, audit.System, g.OpenAttemptID, StatusExpired, now); err != nil {
		return nil, err
	}
	return s.gate(ctx, s.DB, candidate.ID, complete, vendorID, cohortID, now)
}

// overdue reports whether the candidate's open attempt ran out of time (it is to be expired and
// graded before anything else).
func (g *Gate) overdue(now time.Time) bool {
	return g.OpenAttemptID != "" && now.After(g.openDeadline.Add(AnswerGrace))
}

// errOverdue leaves Start's transaction to expire the open attempt, then Start tries again.
var errOverdue = errors.New("exam: the open attempt is overdue")

func (s *Service) coursework(ctx context.Context, candidateID string) (bool, string, string, error) {
	if s.Coursework == nil {
		return false, "", "", nil
	}
	return s.Coursework.Complete(ctx, candidateID)
}

// gateFacts is everything the gate rules read, fetched in one statement.
type gateFacts struct {
	OpenID       *string    `bun:"open_id"`
	OpenDeadline *time.Time `bun:"open_deadline"`
	Passed       int        `bun:"passed"`
	VendorID     *string    `bun:"vendor_id"`     // the enrolment's vendor, else the latest override's
	OverrideHere int        `bun:"override_here"` // overrides for that vendor
	Duration     *int       `bun:"duration_minutes"`
	PassPercent  *int       `bun:"pass_percent"`
	MaxAttempts  *int       `bun:"max_attempts"`
	WaitDays     *int       `bun:"wait_days"`
	FormLength   *int       `bun:"form_length"`
	Extra        *int       `bun:"extra_minutes"`
	Used         int        `bun:"used"` // finished attempts with the vendor
	LastFinished *time.Time `bun:"last_finished"`
	Retired      *string    `bun:"retired"`  // the vendor's retired item ids, a JSON array (or NULL)
	Attempts     int        `bun:"attempts"` // all the candidate's attempts, with any vendor
}

// gateQuery reads the gate's facts in one round trip (it was eight): the open attempt, a pass, the
// vendor (the enrolment's, or else that of the latest gate override), its override, settings and
// accommodation for the candidate, the finished attempts with it, and its retired items.
//
// The vendor is computed once (MATERIALIZED: otherwise each use re-runs its sorted look-up) and the
// candidate's attempts are read in one pass with conditional aggregates (at most one attempt is open:
// the partial unique index). The earlier form with a sub-select per fact took 3.2 ms of the
// database's time per call (2.4 ms of it planning), this one 1.1 ms (README, "Load test"). It is
// what a start that finds nobody else starting runs (prepared on PostgreSQL, gate_stmt.go); starts
// that arrive together read the same facts in one statement (gateBatchQuery, gate_batch.go), and
// TestGateFactsReadTogetherAgree keeps the two in step.
const gateQuery = `WITH v AS MATERIALIZED (SELECT COALESCE(CAST(? AS TEXT), (SELECT o.vendor_id FROM exam_gate_overrides AS o WHERE o.candidate_id = ? ORDER BY o.granted_at DESC LIMIT 1)) AS vendor_id),
t AS MATERIALIZED (SELECT
  MAX(CASE WHEN a.status = 'open' THEN a.id END) AS open_id,
  MAX(CASE WHEN a.status = 'open' THEN a.deadline_at END) AS open_deadline,
  COALESCE(SUM(CASE WHEN a.passed = ? THEN 1 ELSE 0 END), 0) AS passed,
  COALESCE(SUM(CASE WHEN a.vendor_id = v.vendor_id AND a.status <> 'open' THEN 1 ELSE 0 END), 0) AS used,
  MAX(CASE WHEN a.vendor_id = v.vendor_id AND a.status <> 'open' THEN a.finished_at END) AS last_finished,
  COUNT(*) AS attempts
  FROM exam_attempts AS a, v WHERE a.candidate_id = ?)
SELECT
  t.open_id, t.open_deadline, t.passed, v.vendor_id,
  (SELECT COUNT(*) FROM exam_gate_overrides AS o WHERE o.candidate_id = ? AND o.vendor_id = v.vendor_id) AS override_here,
  st.duration_minutes, st.pass_percent, st.max_attempts, st.wait_days, st.form_length,
  (SELECT ac.extra_minutes FROM exam_accommodations AS ac WHERE ac.candidate_id = ? AND ac.vendor_id = v.vendor_id) AS extra_minutes,
  t.used, t.last_finished,
  (SELECT %s(r.item_id) FROM exam_retired_items AS r WHERE r.vendor_id = v.vendor_id) AS retired,
  t.attempts
FROM v CROSS JOIN t LEFT JOIN exam_settings AS st ON st.vendor_id = v.vendor_id`

// The retired items come as one JSON array, whatever the characters of their ids.
var (
	gateQueryPG     = fmt.Sprintf(gateQuery, "json_agg")
	gateQuerySQLite = fmt.Sprintf(gateQuery, "json_group_array")
)

func (s *Service) gate(ctx context.Context, db bun.IDB, candidateID string, complete bool, vendorID, cohortID string, now time.Time) (*Gate, error) {
	g := &Gate{CanStart: true, CourseworkComplete: complete, VendorID: vendorID, CohortID: cohortID}
	var enrolled *string
	if vendorID != "" {
		enrolled = &vendorID
	}
	f, err := s.gateFactsOf(ctx, db, enrolled, candidateID)
	if err != nil {
		return nil, err
	}
	g.attempts = f.Attempts
	if f.OpenID != nil {
		g.OpenAttemptID = *f.OpenID
		if f.OpenDeadline != nil {
			g.openDeadline = *f.OpenDeadline
		}
		return g, nil
	}
	if f.Passed > 0 {
		return g.refuse("already_passed", "You have already passed the written exam."), nil
	}
	if g.VendorID == "" {
		// Not enrolled anywhere: a vendor's override alone admits the candidate.
		if f.VendorID == nil {
			return g.refuse("not_enrolled", "The written exam opens once you are enrolled in a cohort and have completed the coursework."), nil
		}
		g.VendorID, g.CohortID, g.Overridden = *f.VendorID, "", true
	} else if !complete {
		if f.OverrideHere == 0 {
			return g.refuse("coursework_incomplete", "The written exam opens when you have completed every module and the required training hours. Your training organisation can tell you what is left."), nil
		}
		g.Overridden = true
	}

	st := DefaultSettings(g.VendorID)
	if f.Duration != nil && f.PassPercent != nil && f.MaxAttempts != nil && f.WaitDays != nil && f.FormLength != nil {
		st.DurationMinutes, st.PassPercent, st.MaxAttempts, st.WaitDays, st.FormLength = *f.Duration, *f.PassPercent, *f.MaxAttempts, *f.WaitDays, *f.FormLength
		st.Saved = true
	}
	g.settings = st
	if f.Retired != nil {
		var ids []string
		if err := json.Unmarshal([]byte(*f.Retired), &ids); err != nil {
			return nil, fmt.Errorf("exam: retired items of vendor %s: %w", g.VendorID, err)
		}
		g.retired = make(map[string]bool, len(ids))
		for _, id := range ids {
			g.retired[id] = true
		}
	}
	g.MaxAttempts, g.FormLength, g.PassPercent = st.MaxAttempts, st.FormLength, st.PassPercent
	if f.Extra != nil {
		g.extra = *f.Extra
	}
	g.ExtraMinutes, g.DurationMinutes = g.extra, st.DurationMinutes+g.extra

	g.AttemptsUsed = f.Used
	if g.AttemptsUsed >= st.MaxAttempts {
		return g.refuse("no_attempts_left", fmt.Sprintf("You have used all %d attempts at the written exam with this training organisation. Please contact them about what comes next.", st.MaxAttempts)), nil
	}
	if f.LastFinished != nil && st.WaitDays > 0 {
		loc := s.vendorLocation(ctx, db, g.VendorID)
		reopens := f.LastFinished.In(loc).AddDate(0, 0, st.WaitDays)
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
	if v, err := account.LoadVendor(ctx, db, vendorID); err == nil {
		tz = v.Timezone
	}
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
//
// The gate's facts are read in one statement outside any transaction; the attempt is then written
// with the other starts of the moment in one transaction (start_batch.go), and only if the candidate
// still has the attempts the gate counted (under the candidate's row lock on PostgreSQL, SQLite has
// one writer). If another start or an expiry got there first, Start reads the gate again.
func (s *Service) Start(ctx context.Context, a audit.Actor, candidate *account.User) (*Summary, error) {
	if candidate == nil || candidate.Role != account.RoleCandidate {
		return nil, errCandidateOnly
	}
	if s.Bank == nil {
		return nil, errors.New("exam: no item bank loaded")
	}
	now := s.now()
	complete, vendorID, cohortID, err := s.coursework(ctx, candidate.ID)
	if err != nil {
		return nil, err
	}
	for try := 1; ; try++ {
		out, err := s.start(ctx, a, candidate, complete, vendorID, cohortID, now)
		switch {
		case errors.Is(err, errOverdue) && try < startTries:
			// The open attempt ran out of time: grade it on what was saved, then start afresh.
			if _, err := s.finish(ctx, audit.System, out.ID, StatusExpired, now); err != nil {
				return nil, err
			}
		case errors.Is(err, errStartRaced) && try < startTries:
		case err != nil:
			return nil, err
		default:
			return out, nil
		}
	}
}

// errStartRaced: the candidate's attempts changed between the gate's read and the write (a
// concurrent start, or the open attempt finished); Start reads the gate again.
var errStartRaced = errors.New("exam: the candidate's attempts changed while starting")

// startTries bounds Start's reads of the gate (each lost race means another request of the same
// candidate made progress).
const startTries = 5

// start reads the gate's facts (retired items included) in one statement and, when the candidate may
// start, writes the attempt (its whole form is one column) and its audit event with the other starts
// of the moment. On errOverdue, out.ID names the open attempt to expire.
func (s *Service) start(ctx context.Context, a audit.Actor, candidate *account.User, complete bool, vendorID, cohortID string, now time.Time) (*Summary, error) {
	g, err := s.gate(ctx, s.DB, candidate.ID, complete, vendorID, cohortID, now)
	if err != nil {
		return nil, err
	}
	if g.overdue(now) {
		return &Summary{ID: g.OpenAttemptID}, errOverdue
	}
	if g.OpenAttemptID != "" {
		out, err := s.openSummary(ctx, s.DB, candidate.ID)
		if database.ErrIsNotFound(err) {
			return nil, errStartRaced // finished a moment ago
		}
		return out, err
	}
	if err := g.Err(); err != nil {
		return nil, err
	}
	seed := rand.Int64()
	form, err := AssembleForm(s.Bank, g.retired, g.settings.FormLength, seed)
	if err != nil {
		var short *ShortDomainError
		if errors.As(err, &short) {
			return nil, apperr.New(apperr.Conflict, "exam_unavailable", "The exam cannot be put together right now. Please contact your training organisation.")
		}
		return nil, err
	}
	fj, err := json.Marshal(form)
	if err != nil {
		return nil, err
	}
	at := &attempt{ID: newID(), CandidateID: candidate.ID, VendorID: g.VendorID, Seed: seed, Form: string(fj), BankVersion: s.bankVersion(),
		PassPercent: g.settings.PassPercent, StartedAt: now, DeadlineAt: now.Add(time.Duration(g.DurationMinutes) * time.Minute), Status: StatusOpen}
	if g.CohortID != "" {
		at.CohortID = &g.CohortID
	}
	r := &startReq{at: at, seen: g.attempts, done: make(chan error, 1), event: audit.Pending{Actor: a, Entry: audit.Entry{
		Action: "exam.start", SubjectType: "exam_attempt", SubjectID: at.ID, VendorID: at.VendorID,
		Details: map[string]any{"questions": len(form), "minutes": g.DurationMinutes, "accommodated": g.extra > 0, "gate_override": g.Overridden,
			"bank_version": at.BankVersion}}}}
	s.startBatcher().Add(r)
	werr, err := batch.Wait(ctx, r.done)
	if err == nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	// Every save needs the attempt's unchanging facts: keep them now rather than read them back.
	st := &sitting{candidateID: at.CandidateID, deadline: at.DeadlineAt.UTC(), form: form, pos: make(map[string]int, len(form))}
	for i, fi := range form {
		st.pos[fi.ItemID] = i
	}
	c := s.sittings()
	c.Put(at.ID, st, c.Gen())
	return summaryOf(at, false)
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
