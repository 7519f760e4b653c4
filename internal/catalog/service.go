package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/exam"
)

// Limits of an offering's settings.
const (
	MaxAttemptsAllowed = 20
	MaxTimeLimit       = 8 * 60 // minutes
	// AnswerGrace is how long after the deadline a save is still accepted (network latency).
	AnswerGrace = 5 * time.Second
)

// Endorser adds an endorsement to a certificate when a specialty course is completed, in the
// completion's transaction (the certificate package, which signs it).
type Endorser interface {
	Endorse(ctx context.Context, tx bun.IDB, a audit.Actor, in EndorsementGrant) error
}

// EndorsementGrant is a completed specialty course to add to the holder's certificate.
type EndorsementGrant struct {
	CertificateID, HolderID, EnrolmentID, CourseSlug string
	Endorsement                                      Endorsement
	Since                                            time.Time
}

// Cohorts lists a cohort's candidates for a vendor enrolling them (the cohort package).
type Cohorts interface {
	// Candidates returns the ids of the cohort's active candidates, when the cohort is the vendor's.
	Candidates(ctx context.Context, vendorID, cohortID string) ([]string, error)
}

// Service offers catalogue courses and takes holders through them.
type Service struct {
	DB        *bun.DB
	Catalogue *Catalogue
	Vendors   func(ctx context.Context, id string) (*account.Vendor, error)
	Endorser  Endorser // nil: specialty completions add no endorsement
	CECerts   ce.Certs // the certificates CE courses credit (package certificate)
	Cohorts   Cohorts  // nil: no cohort enrolment
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

var (
	errNotFound         = apperr.New(apperr.NotFound, "not_found", "No such course.")
	errOfferingNotFound = apperr.New(apperr.NotFound, "offering_not_found", "No such course offering.")
	errEnrolmentMissing = apperr.New(apperr.NotFound, "enrolment_not_found", "No such enrolment.")
	errAttemptNotFound  = apperr.New(apperr.NotFound, "attempt_not_found", "No such assessment attempt.")
	errHolderOnly       = apperr.New(apperr.Forbidden, "holders_only", "Only certificate holders take catalogue courses.")
	errAdminOnly        = apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators offer courses.")
	// ErrAttemptFinished: the attempt is graded; no more answers.
	ErrAttemptFinished = apperr.New(apperr.Conflict, "attempt_finished", "This attempt has been submitted; answers can no longer change.")
	// ErrDeadlinePassed: the attempt's time ran out; it was graded on what was saved.
	ErrDeadlinePassed = apperr.New(apperr.Conflict, "deadline_passed", "Time is up: the attempt was graded on the answers saved before the deadline.")
)

func vendorAdmin(u *account.User) bool {
	return u != nil && u.Role == account.RoleVendorAdmin && u.Vendor() != ""
}

func holder(u *account.User) bool { return u != nil && u.Role == account.RoleCandidate }

// course finds a course the platform delivers (not the certification course).
func (s *Service) course(slug string) (*Course, error) {
	c, ok := s.Catalogue.Course(slug)
	if !ok || c.Kind == KindCertification {
		return nil, errNotFound
	}
	return c, nil
}

// ---- offerings ----

// Offerings lists a vendor's offerings, by course slug.
func (s *Service) Offerings(ctx context.Context, vendorID string) ([]Offering, error) {
	var os []Offering
	err := s.DB.NewSelect().Model(&os).Where("vendor_id = ?", vendorID).Order("course_slug").Scan(ctx)
	return os, err
}

// AllOfferings lists every vendor's offerings of the course, oldest first.
func (s *Service) AllOfferings(ctx context.Context, courseSlug string) ([]Offering, error) {
	var os []Offering
	err := s.DB.NewSelect().Model(&os).Where("course_slug = ?", courseSlug).Order("created_at").Scan(ctx)
	return os, err
}

// Offering returns one offering.
func (s *Service) Offering(ctx context.Context, id string) (*Offering, error) {
	o := new(Offering)
	if err := s.DB.NewSelect().Model(o).Where("id = ?", id).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errOfferingNotFound
		}
		return nil, err
	}
	return o, nil
}

// ValidateOffering checks an offering's settings (shared by the page and the API). It returns the
// course and the settings with defaults filled in.
func (s *Service) ValidateOffering(in OfferingInput) (*Course, OfferingInput, error) {
	f := apperr.Fields{}
	c, err := s.course(in.Course)
	if err != nil {
		f.Add("course", "Choose a specialty or continuing-education course of the catalogue.")
	}
	if in.PassPercent == 0 && c != nil {
		in.PassPercent = c.PassPercent
	}
	if in.PassPercent < 1 || in.PassPercent > 100 {
		f.Add("pass_percent", "The pass mark is a percentage from 1 to 100.")
	}
	if in.AttemptsAllowed < 0 || in.AttemptsAllowed > MaxAttemptsAllowed {
		f.Add("attempts_allowed", fmt.Sprintf("Allow 1 to %d attempts, or 0 for no limit.", MaxAttemptsAllowed))
	}
	if in.TimeLimitMinutes < 0 || in.TimeLimitMinutes > MaxTimeLimit {
		f.Add("time_limit_minutes", fmt.Sprintf("The time limit is 1 to %d minutes, or 0 for none.", MaxTimeLimit))
	}
	return c, in, f.Err()
}

// Offer makes a course available from the administrator's vendor, or changes the settings of its
// offering (attempts already started keep theirs).
func (s *Service) Offer(ctx context.Context, a audit.Actor, admin *account.User, in OfferingInput) (*Offering, error) {
	if !vendorAdmin(admin) {
		return nil, errAdminOnly
	}
	_, in, err := s.ValidateOffering(in)
	if err != nil {
		return nil, err
	}
	now := s.now()
	o := &Offering{ID: newID(), VendorID: admin.Vendor(), CourseSlug: in.Course, PassPercent: in.PassPercent,
		AttemptsAllowed: in.AttemptsAllowed, TimeLimitMinutes: in.TimeLimitMinutes, CreatedAt: now, UpdatedAt: now}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(o).
			On("CONFLICT (vendor_id, course_slug) DO UPDATE").
			Set("pass_percent = EXCLUDED.pass_percent").Set("attempts_allowed = EXCLUDED.attempts_allowed").
			Set("time_limit_minutes = EXCLUDED.time_limit_minutes").Set("updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(o).Where("vendor_id = ?", o.VendorID).Where("course_slug = ?", o.CourseSlug).Scan(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "course.offer", SubjectType: "course_offering", SubjectID: o.ID, VendorID: o.VendorID,
			Details: map[string]any{"course": o.CourseSlug, "pass_percent": o.PassPercent, "attempts_allowed": o.AttemptsAllowed, "time_limit_minutes": o.TimeLimitMinutes}})
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// ---- enrolment ----

// Prerequisite problems say what a holder lacks.
var errNoCertificate = apperr.New(apperr.Conflict, "prerequisite_certificate",
	"This course is for Certified Peer Specialists: it needs a current, unrevoked certificate.")

// enrol enrols the holder in an offering, checking the course's prerequisites.
func (s *Service) enrol(ctx context.Context, tx bun.IDB, a audit.Actor, by string, holderID string, o *Offering) (*Enrolment, error) {
	c, err := s.course(o.CourseSlug)
	if err != nil {
		return nil, err
	}
	now := s.now()
	cert, err := certificate.Current(ctx, tx, holderID, now)
	if err != nil {
		return nil, err
	}
	// Every catalogue course credits or endorses a certificate: one is needed whatever the
	// prerequisites say; active-certificate asks for exactly that.
	if cert == nil {
		return nil, errNoCertificate
	}
	e := &Enrolment{ID: newID(), OfferingID: o.ID, VendorID: o.VendorID, CourseSlug: c.Slug, HolderID: holderID,
		CertificateID: cert.ID, EnrolledBy: by, CreatedAt: now}
	if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
		if errors.Is(database.Err(err), database.ErrConflict) {
			return nil, apperr.New(apperr.Conflict, "already_enrolled", "Already enrolled in "+c.Title+".")
		}
		return nil, err
	}
	return e, audit.Record(ctx, tx, a, audit.Entry{Action: "course.enrol", SubjectType: "course_enrolment", SubjectID: e.ID, VendorID: o.VendorID,
		Details: map[string]any{"course": c.Slug, "holder": holderID, "self": by == holderID}})
}

// Enrol enrols a certified holder in an offered CE or specialty course (self-paced, no cohort).
func (s *Service) Enrol(ctx context.Context, a audit.Actor, u *account.User, offeringID string) (*Enrolment, error) {
	if !holder(u) {
		return nil, errHolderOnly
	}
	o, err := s.Offering(ctx, offeringID)
	if err != nil {
		return nil, err
	}
	var e *Enrolment
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		e, err = s.enrol(ctx, tx, a, u.ID, u.ID, o)
		return err
	})
	return e, err
}

// CohortResult says what enrolling a cohort did.
type CohortResult struct {
	Enrolled []string `json:"enrolled"` // holder ids newly enrolled
	Already  int      `json:"already"`  // already enrolled
	Skipped  int      `json:"skipped"`  // without a current certificate
}

// EnrolCohort enrols the certified candidates of one of the administrator's cohorts in one of the
// vendor's offerings; candidates without a current certificate are skipped.
func (s *Service) EnrolCohort(ctx context.Context, a audit.Actor, admin *account.User, offeringID, cohortID string) (*CohortResult, error) {
	if !vendorAdmin(admin) || s.Cohorts == nil {
		return nil, errAdminOnly
	}
	o, err := s.Offering(ctx, offeringID)
	if err != nil || o.VendorID != admin.Vendor() {
		return nil, errOfferingNotFound
	}
	ids, err := s.Cohorts.Candidates(ctx, admin.Vendor(), cohortID)
	if err != nil {
		return nil, err
	}
	res := &CohortResult{Enrolled: []string{}}
	for _, id := range ids {
		err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
			_, err := s.enrol(ctx, tx, a, admin.ID, id, o)
			return err
		})
		var ae *apperr.Error
		switch {
		case err == nil:
			res.Enrolled = append(res.Enrolled, id)
		case errors.As(err, &ae) && ae.Code == "already_enrolled":
			res.Already++
		case errors.As(err, &ae) && ae.Code == errNoCertificate.Code:
			res.Skipped++
		default:
			return nil, err
		}
	}
	return res, nil
}

// Enrolments lists the holder's enrolments, newest first.
func (s *Service) Enrolments(ctx context.Context, u *account.User) ([]Enrolment, error) {
	if !holder(u) {
		return nil, errHolderOnly
	}
	var es []Enrolment
	err := s.DB.NewSelect().Model(&es).Where("holder_id = ?", u.ID).OrderExpr("created_at DESC").Scan(ctx)
	return es, err
}

// VendorEnrolments lists the administrator's vendor's enrolments (its reports), newest first.
func (s *Service) VendorEnrolments(ctx context.Context, admin *account.User) ([]Enrolment, error) {
	if !vendorAdmin(admin) {
		return nil, errAdminOnly
	}
	var es []Enrolment
	err := s.DB.NewSelect().Model(&es).Where("vendor_id = ?", admin.Vendor()).OrderExpr("created_at DESC").Limit(1000).Scan(ctx)
	return es, err
}

// enrolment loads an enrolment its holder (or its vendor's administrator, read-only) may see.
func (s *Service) enrolment(ctx context.Context, db bun.IDB, u *account.User, id string, write bool) (*Enrolment, error) {
	e := new(Enrolment)
	if err := db.NewSelect().Model(e).Where("id = ?", id).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errEnrolmentMissing
		}
		return nil, err
	}
	switch {
	case holder(u) && u.ID == e.HolderID:
	case !write && vendorAdmin(u) && u.Vendor() == e.VendorID:
	default:
		return nil, errEnrolmentMissing
	}
	return e, nil
}

// Progress is an enrolment as its holder sees it.
type Progress struct {
	Enrolment   *Enrolment      `json:"enrolment"`
	Course      *Course         `json:"-"`
	Offering    *Offering       `json:"offering"`
	Done        map[string]bool `json:"done"` // module slug -> done
	ModulesDone int             `json:"modules_done"`
	Modules     int             `json:"modules"`
	Attempts    []Attempt       `json:"attempts"`
	Passed      bool            `json:"passed"`
	CanAttempt  bool            `json:"can_attempt"` // attempts left (or one open)
	Open        *Attempt        `json:"open,omitempty"`
}

// ProgressOf reports an enrolment's modules, attempts and completion.
func (s *Service) ProgressOf(ctx context.Context, u *account.User, enrolmentID string) (*Progress, error) {
	e, err := s.enrolment(ctx, s.DB, u, enrolmentID, false)
	if err != nil {
		return nil, err
	}
	return s.progress(ctx, s.DB, e)
}

func (s *Service) progress(ctx context.Context, db bun.IDB, e *Enrolment) (*Progress, error) {
	c, ok := s.Catalogue.Course(e.CourseSlug)
	if !ok {
		return nil, fmt.Errorf("catalog: enrolment %s is in course %q, no longer in the catalogue", e.ID, e.CourseSlug)
	}
	o := new(Offering)
	if err := db.NewSelect().Model(o).Where("id = ?", e.OfferingID).Scan(ctx); err != nil {
		return nil, err
	}
	p := &Progress{Enrolment: e, Course: c, Offering: o, Done: map[string]bool{}, Attempts: []Attempt{}}
	var done []moduleDone
	if err := db.NewSelect().Model(&done).Where("enrolment_id = ?", e.ID).Scan(ctx); err != nil {
		return nil, err
	}
	for _, m := range c.Modules.Modules() {
		p.Modules++
		if slices.ContainsFunc(done, func(d moduleDone) bool { return d.ModuleSlug == m.Slug }) {
			p.Done[m.Slug] = true
			p.ModulesDone++
		}
	}
	if err := db.NewSelect().Model(&p.Attempts).Where("enrolment_id = ?", e.ID).Order("number").Scan(ctx); err != nil {
		return nil, err
	}
	for i := range p.Attempts {
		at := &p.Attempts[i]
		p.Passed = p.Passed || at.Passed
		if !at.Finished() {
			p.Open = at
		}
	}
	p.CanAttempt = MayAttempt(p.Passed, p.Open != nil, len(p.Attempts), o.AttemptsAllowed)
	return p, nil
}

// MarkDone marks a module of the course done (idempotent) and completes the course when it was the
// last thing missing.
func (s *Service) MarkDone(ctx context.Context, a audit.Actor, u *account.User, enrolmentID, moduleSlug string) (*Progress, error) {
	var p *Progress
	provider, err := s.provider(ctx, enrolmentID)
	if err != nil {
		return nil, err
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.enrolment(ctx, tx, u, enrolmentID, true)
		if err != nil {
			return err
		}
		c, err := s.course(e.CourseSlug)
		if err != nil {
			return err
		}
		if _, ok := c.Modules.Module(moduleSlug); !ok {
			return apperr.New(apperr.NotFound, "module_not_found", "No such module in this course.")
		}
		if _, err := tx.NewInsert().Model(&moduleDone{EnrolmentID: e.ID, ModuleSlug: moduleSlug, DoneAt: s.now()}).
			On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		if p, err = s.progress(ctx, tx, e); err != nil {
			return err
		}
		return s.completeIfDone(ctx, tx, a, p, provider)
	})
	return p, err
}

// ---- the final assessment ----

// Question is one question as the holder sees it: options in displayed order, the saved choice as
// displayed indexes, no key.
type Question struct {
	Number   int      `json:"number"`
	ItemID   string   `json:"item_id"`
	Type     string   `json:"type"`
	Stem     string   `json:"stem"`
	Options  []string `json:"options"`
	Selected []int    `json:"selected"`
}

// AttemptView is an attempt as its holder sees it: questions while open, the result once graded.
type AttemptView struct {
	Attempt     *Attempt   `json:"attempt"`
	Course      string     `json:"course"`
	Questions   []Question `json:"questions"`
	SecondsLeft int        `json:"seconds_left,omitempty"` // with a time limit
	Percent     float64    `json:"percent"`
}

// Start begins an attempt at the course's assessment, or returns the open one. The offering's pass
// mark and time limit are fixed on the attempt when it starts.
func (s *Service) Start(ctx context.Context, a audit.Actor, u *account.User, enrolmentID string) (*Attempt, error) {
	var at *Attempt
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		e, err := s.enrolment(ctx, tx, u, enrolmentID, true)
		if err != nil {
			return err
		}
		p, err := s.progress(ctx, tx, e)
		if err != nil {
			return err
		}
		switch {
		case p.Open != nil:
			at = p.Open
			return nil
		case p.Passed:
			return apperr.New(apperr.Conflict, "already_passed", "You have passed this assessment.")
		case !p.CanAttempt:
			return apperr.New(apperr.Conflict, "no_attempts_left", fmt.Sprintf("All %d attempts allowed have been used.", p.Offering.AttemptsAllowed))
		}
		form, err := exam.AssembleForm(p.Course.Assessment, nil, p.Course.FormLength, rand.Int64())
		if err != nil {
			return err
		}
		fj, err := json.Marshal(form)
		if err != nil {
			return err
		}
		now := s.now()
		at = &Attempt{ID: newID(), EnrolmentID: e.ID, HolderID: e.HolderID, Number: len(p.Attempts) + 1, Form: string(fj),
			PassPercent: p.Offering.PassPercent, StartedAt: now}
		if m := p.Offering.TimeLimitMinutes; m > 0 {
			d := now.Add(time.Duration(m) * time.Minute)
			at.Deadline = &d
		}
		if _, err := tx.NewInsert().Model(at).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "course.attempt", SubjectType: "course_attempt", SubjectID: at.ID, VendorID: e.VendorID,
			Details: map[string]any{"course": e.CourseSlug, "number": at.Number}})
	})
	return at, err
}

func (s *Service) attempt(ctx context.Context, db bun.IDB, u *account.User, id string) (*Attempt, exam.Form, *Course, error) {
	if !holder(u) {
		return nil, nil, nil, errHolderOnly
	}
	at := new(Attempt)
	if err := db.NewSelect().Model(at).Where("id = ?", id).Where("holder_id = ?", u.ID).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, nil, nil, errAttemptNotFound
		}
		return nil, nil, nil, err
	}
	var form exam.Form
	if err := json.Unmarshal([]byte(at.Form), &form); err != nil {
		return nil, nil, nil, err
	}
	e := new(Enrolment)
	if err := db.NewSelect().Model(e).Where("id = ?", at.EnrolmentID).Scan(ctx); err != nil {
		return nil, nil, nil, err
	}
	c, err := s.course(e.CourseSlug)
	return at, form, c, err
}

func (s *Service) overdue(at *Attempt, now time.Time) bool {
	return !at.Finished() && at.Deadline != nil && now.After(at.Deadline.Add(AnswerGrace))
}

// View shows the holder an attempt; an attempt whose time ran out is graded first.
func (s *Service) View(ctx context.Context, a audit.Actor, u *account.User, attemptID string) (*AttemptView, error) {
	at, form, c, err := s.attempt(ctx, s.DB, u, attemptID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if s.overdue(at, now) {
		if at, err = s.Submit(ctx, a, u, attemptID); err != nil {
			return nil, err
		}
	}
	v := &AttemptView{Attempt: at, Course: c.Slug, Questions: []Question{}, Percent: at.Percent()}
	if at.Finished() {
		return v, nil
	}
	if at.Deadline != nil {
		v.SecondsLeft = max(int(at.Deadline.Sub(now)/time.Second), 0)
	}
	saved, err := s.answers(ctx, s.DB, at.ID)
	if err != nil {
		return nil, err
	}
	for i, fi := range form {
		it, ok := c.Assessment.Item(fi.ItemID)
		if !ok {
			return nil, fmt.Errorf("catalog: item %s of attempt %s is no longer in the assessment", fi.ItemID, at.ID)
		}
		v.Questions = append(v.Questions, Question{Number: i + 1, ItemID: it.ID, Type: it.Type, Stem: it.Stem,
			Options: fi.Displayed(it), Selected: fi.Selected(saved[it.ID])})
	}
	return v, nil
}

func (s *Service) answers(ctx context.Context, db bun.IDB, attemptID string) (map[string][]int, error) {
	var as []answer
	if err := db.NewSelect().Model(&as).Where("attempt_id = ?", attemptID).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string][]int, len(as))
	for _, a := range as {
		var choice []int
		if err := json.Unmarshal([]byte(a.Choice), &choice); err != nil {
			return nil, err
		}
		out[a.ItemID] = choice
	}
	return out, nil
}

// SaveAnswer autosaves one choice (DISPLAYED indexes; empty clears it). Saves are refused once the
// attempt is graded, and after its deadline (it is then graded on what was saved).
func (s *Service) SaveAnswer(ctx context.Context, a audit.Actor, u *account.User, attemptID, itemID string, displayed []int) error {
	at, form, c, err := s.attempt(ctx, s.DB, u, attemptID)
	if err != nil {
		return err
	}
	if at.Finished() {
		return ErrAttemptFinished
	}
	now := s.now()
	if s.overdue(at, now) {
		if _, err := s.Submit(ctx, a, u, attemptID); err != nil {
			return err
		}
		return ErrDeadlinePassed
	}
	pos := form.Position(itemID)
	it, ok := c.Assessment.Item(itemID)
	if pos < 0 || !ok {
		return apperr.Field("item_id", "That question is not part of this attempt.")
	}
	original, err := form[pos].Original(it, displayed)
	if err != nil {
		return err
	}
	cj, err := json.Marshal(original)
	if err != nil {
		return err
	}
	// One statement, as the written exam's autosave: the upsert writes only while the attempt is
	// open (on PostgreSQL its row is locked FOR SHARE, so a Submit grades this save or it writes
	// nothing).
	lock := ""
	if database.IsPostgres(s.DB) {
		lock = " FOR SHARE"
	}
	res, err := s.DB.NewRaw(`INSERT INTO course_answers (attempt_id, item_id, choice, saved_at)
		SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM course_attempts AS t WHERE t.id = ? AND t.finished_at IS NULL`+lock+`)
		ON CONFLICT (attempt_id, item_id) DO UPDATE SET choice = EXCLUDED.choice, saved_at = EXCLUDED.saved_at`,
		at.ID, itemID, string(cj), now, at.ID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrAttemptFinished
	}
	return nil
}

// Submit grades the attempt (exam.Grade against the pass mark fixed when it started) and completes
// the course when every module is done too. Submitting a graded attempt returns it unchanged.
func (s *Service) Submit(ctx context.Context, a audit.Actor, u *account.User, attemptID string) (*Attempt, error) {
	var out *Attempt
	var enrolmentID string
	if err := s.DB.NewSelect().Model((*Attempt)(nil)).Column("enrolment_id").Where("id = ?", attemptID).Scan(ctx, &enrolmentID); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	provider, err := s.provider(ctx, enrolmentID)
	if err != nil {
		return nil, err
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		at, form, c, err := s.attempt(ctx, tx, u, attemptID)
		if err != nil {
			return err
		}
		out = at
		if at.Finished() {
			return nil
		}
		saved, err := s.answers(ctx, tx, at.ID)
		if err != nil {
			return err
		}
		r := exam.Grade(form, c.Assessment, saved, at.PassPercent)
		now := s.now()
		res, err := tx.NewUpdate().Model((*Attempt)(nil)).Where("id = ?", at.ID).Where("finished_at IS NULL").
			Set("finished_at = ?", now).Set("correct = ?", r.Correct).Set("total = ?", r.Total).Set("passed = ?", r.Passed).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // graded meanwhile
		}
		at.FinishedAt, at.Correct, at.Total, at.Passed = &now, r.Correct, r.Total, r.Passed
		e := new(Enrolment)
		if err := tx.NewSelect().Model(e).Where("id = ?", at.EnrolmentID).Scan(ctx); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "course.assessment", SubjectType: "course_attempt", SubjectID: at.ID, VendorID: e.VendorID,
			Details: map[string]any{"course": c.Slug, "number": at.Number, "correct": r.Correct, "total": r.Total, "passed": r.Passed}}); err != nil {
			return err
		}
		p, err := s.progress(ctx, tx, e)
		if err != nil {
			return err
		}
		return s.completeIfDone(ctx, tx, a, p, provider)
	})
	return out, err
}

// completeIfDone completes the enrolment once every module is done and an attempt passed: a CE
// course credits its hours to the certificate, a specialty adds its endorsement. Both happen in the
// same transaction as the completion.
// provider names the vendor of an enrolment (the CE activity's provider), read before a completing
// transaction starts (SQLite has one connection: no other read may wait inside it).
func (s *Service) provider(ctx context.Context, enrolmentID string) (string, error) {
	var vendorID string
	err := s.DB.NewSelect().Model((*Enrolment)(nil)).Column("vendor_id").Where("id = ?", enrolmentID).Scan(ctx, &vendorID)
	if err != nil || s.Vendors == nil {
		return "", nil // reported by the transaction that follows
	}
	v, err := s.Vendors(ctx, vendorID)
	if err != nil {
		return "", err
	}
	return v.Name, nil
}

func (s *Service) completeIfDone(ctx context.Context, tx bun.IDB, a audit.Actor, p *Progress, provider string) error {
	e, c := p.Enrolment, p.Course
	if e.Completed() || !CompletesCourse(p.ModulesDone, p.Modules, p.Passed) {
		return nil
	}
	now := s.now()
	passing := PassingAttempt(p.Attempts)
	var activityID *string
	switch c.Kind {
	case KindCE:
		act, err := ce.CreditCourse(ctx, tx, s.CECerts, a, ce.CourseCredit{CertificateID: e.CertificateID, HolderID: e.HolderID,
			CourseSlug: c.Slug, CourseTitle: c.Title, Provider: provider, EnrolmentID: e.ID, Minutes: c.Minutes,
			Category: c.CECategory, CompletedAt: now})
		if err != nil {
			return err
		}
		activityID = &act.ID
	case KindSpecialty:
		if s.Endorser != nil {
			if err := s.Endorser.Endorse(ctx, tx, a, EndorsementGrant{CertificateID: e.CertificateID, HolderID: e.HolderID,
				EnrolmentID: e.ID, CourseSlug: c.Slug, Endorsement: *c.Endorsement, Since: now}); err != nil {
				return err
			}
		}
	}
	if _, err := tx.NewUpdate().Model((*Enrolment)(nil)).Where("id = ?", e.ID).Where("completed_at IS NULL").
		Set("completed_at = ?", now).Set("attempt_id = ?", passing).Set("ce_activity_id = ?", activityID).Exec(ctx); err != nil {
		return err
	}
	e.CompletedAt, e.AttemptID, e.CEActivityID = &now, &passing, activityID
	return audit.Record(ctx, tx, a, audit.Entry{Action: "course.complete", SubjectType: "course_enrolment", SubjectID: e.ID, VendorID: e.VendorID,
		Details: map[string]any{"course": c.Slug, "kind": c.Kind, "certificate": e.CertificateID, "ce_activity": activityID}})
}
