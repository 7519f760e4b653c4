package oral

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
)

// Limits on what a grade holds.
const (
	MaxNoteLength     = 2000 // characters per competency note
	MaxFeedbackLength = 5000
	MaxReasonLength   = 1000
)

// Grade is one submitted grading of a booking. Rows are never changed: a correction is a new row
// whose AmendsID names the grade it corrects, with a reason. A booking's effective grade is the last
// row of its chain (the one no other row amends).
type Grade struct {
	bun.BaseModel `bun:"table:oral_grades"`

	ID              string    `bun:"id,pk" json:"id"`
	BookingID       string    `bun:"booking_id,notnull" json:"booking_id"`
	CandidateID     string    `bun:"candidate_id,notnull" json:"candidate_id"`
	VendorID        string    `bun:"vendor_id,notnull" json:"vendor_id"`
	TrainerID       string    `bun:"trainer_id,notnull" json:"trainer_id"` // the examiner (the slot's trainer; on a panel, whoever graded the seat)
	GradedBy        string    `bun:"graded_by,notnull" json:"graded_by"`   // who submitted this row
	ScoresJSON      string    `bun:"scores,notnull" json:"-"`
	NotesJSON       string    `bun:"notes,notnull" json:"-"`
	Feedback        string    `bun:"feedback,notnull" json:"feedback"`
	Total           int       `bun:"total,notnull" json:"total"`
	Passed          bool      `bun:"passed,notnull" json:"passed"`
	RubricVersion   string    `bun:"rubric_version,notnull" json:"rubric_version"`
	SubmittedAt     time.Time `bun:"submitted_at,notnull" json:"submitted_at"`
	AmendsID        *string   `bun:"amends_id" json:"amends_id,omitempty"`
	AmendmentReason string    `bun:"amendment_reason,notnull" json:"amendment_reason,omitempty"`
	ScenarioID      string    `bun:"scenario_id,notnull" json:"scenario_id"` // the rubric scenario the exam used ("" for grades older than the rule)
	Seat            int       `bun:"seat,notnull" json:"seat"`               // 1, or on a panel 2 (second examiner) or 3 (deciding examiner)
	Panel           int       `bun:"panel,notnull" json:"panel"`             // examiners the booking required: 1 or 2

	Scores        map[string]int    `bun:"-" json:"scores"` // by competency id
	Notes         map[string]string `bun:"-" json:"notes"`  // by competency id; competencies without a note are absent
	ScenarioTitle string            `bun:"-" json:"scenario_title,omitempty"`
	Decision      *Decision         `bun:"-" json:"decision,omitempty"` // the booking's decision after this grade (from Grade and Amend)
}

func (g *Grade) decode() error {
	g.Scores, g.Notes = map[string]int{}, map[string]string{}
	if err := json.Unmarshal([]byte(g.ScoresJSON), &g.Scores); err != nil {
		return fmt.Errorf("oral: scores of grade %s: %w", g.ID, err)
	}
	if g.NotesJSON != "" {
		if err := json.Unmarshal([]byte(g.NotesJSON), &g.Notes); err != nil {
			return fmt.Errorf("oral: notes of grade %s: %w", g.ID, err)
		}
	}
	return nil
}

// GradeInput is what the examiner submits: the scenario used, a score for every competency of the
// rubric, notes per competency (required as evidence for a score at either end of the scale) and
// overall feedback. The candidate sees all of it.
type GradeInput struct {
	Scenario string            `json:"scenario"` // a scenario id of the rubric
	Scores   map[string]int    `json:"scores"`
	Notes    map[string]string `json:"notes"`
	Feedback string            `json:"feedback"`
	// Seat, when set, is the seat the examiner expects to grade (the form's GradingStatus.Seat): if
	// another examiner took it meanwhile, the grade is refused rather than silently becoming, say,
	// the deciding one.
	Seat int `json:"seat,omitempty"`
}

// Version identifies the rubric's scoring content (scale, pass rule, competencies): the first 16
// hex digits of a SHA-256. It is stored with each grade.
func (r *Rubric) Version() string {
	type comp struct {
		ID, Title   string
		Descriptors map[int]string
	}
	v := struct {
		Scale             []Level
		MinEach, MinTotal int
		Competencies      []comp
	}{Scale: r.Scale, MinEach: r.MinEach, MinTotal: r.MinTotal}
	for _, c := range r.Competencies {
		v.Competencies = append(v.Competencies, comp{c.ID, c.Title, c.Descriptors})
	}
	b, _ := json.Marshal(v) // maps marshal with sorted keys
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// scored is a validated GradeInput.
type scored struct {
	scores, notes string
	feedback      string
	total         int
	passed        bool
	scoreMap      map[string]int
	noteMap       map[string]string
	rubricVersion string
	scenario      string
}

func (s *Service) validateGrade(in GradeInput) (*scored, error) {
	r := s.Rubric
	if r == nil || len(r.Competencies) == 0 {
		return nil, errors.New("oral: no rubric loaded")
	}
	f := apperr.Fields{}
	sc := &scored{scoreMap: map[string]int{}, noteMap: map[string]string{}, rubricVersion: r.Version()}
	for _, c := range r.Competencies {
		v, ok := in.Scores[c.ID]
		switch _, onScale := r.Level(v); {
		case !ok:
			f.Add("scores."+c.ID, fmt.Sprintf("Give a score for “%s”.", c.Title))
		case !onScale:
			f.Add("scores."+c.ID, fmt.Sprintf("Choose a score on the scale (%s) for “%s”.", r.scaleList(), c.Title))
		default:
			sc.scoreMap[c.ID] = v
			sc.total += v
		}
	}
	for _, id := range slices.Sorted(maps.Keys(in.Scores)) {
		if _, ok := r.Competency(id); !ok {
			f.Add("scores", fmt.Sprintf("%q is not a competency of the rubric.", id))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(in.Notes)) {
		note := strings.TrimSpace(in.Notes[id])
		if _, ok := r.Competency(id); !ok {
			f.Add("notes", fmt.Sprintf("%q is not a competency of the rubric.", id))
			continue
		}
		if utf8.RuneCountInString(note) > MaxNoteLength {
			f.Add("notes."+id, fmt.Sprintf("Keep each note under %d characters.", MaxNoteLength))
		}
		if note != "" {
			sc.noteMap[id] = note
		}
	}
	for _, c := range r.Competencies {
		if v, ok := sc.scoreMap[c.ID]; ok && r.AtEnd(v) && sc.noteMap[c.ID] == "" {
			lv, _ := r.Level(v)
			f.Add("notes."+c.ID, fmt.Sprintf("A score of %d (%s) for “%s” needs a written evidence note: what the candidate said or did.", v, lv.Label, c.Title))
		}
	}
	switch sc.scenario = strings.TrimSpace(in.Scenario); {
	case sc.scenario == "":
		f.Add("scenario", "Choose the scenario you used.")
	default:
		if _, ok := r.Scenario(sc.scenario); !ok {
			f.Add("scenario", fmt.Sprintf("%q is not a scenario of the rubric.", sc.scenario))
		}
	}
	sc.feedback = strings.TrimSpace(in.Feedback)
	if utf8.RuneCountInString(sc.feedback) > MaxFeedbackLength {
		f.Add("feedback", fmt.Sprintf("Keep the feedback under %d characters.", MaxFeedbackLength))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	sc.passed, _ = r.Passes(sc.scoreMap)
	b, _ := json.Marshal(sc.scoreMap)
	sc.scores = string(b)
	b, _ = json.Marshal(sc.noteMap)
	sc.notes = string(b)
	return sc, nil
}

func (sc *scored) grade(id string, b *Booking, sl *Slot, by *account.User, now time.Time) *Grade {
	return &Grade{ID: id, BookingID: b.ID, CandidateID: b.CandidateID, VendorID: sl.VendorID, TrainerID: sl.TrainerID, GradedBy: by.ID,
		ScoresJSON: sc.scores, NotesJSON: sc.notes, Feedback: sc.feedback, Total: sc.total, Passed: sc.passed, RubricVersion: sc.rubricVersion,
		SubmittedAt: now, Scores: sc.scoreMap, Notes: sc.noteMap, ScenarioID: sc.scenario, Seat: SeatFirst, Panel: 1}
}

// Grade records an examiner's grade of a booking's exam, once the exam has started. With one
// examiner: by the slot's trainer or an administrator of its vendor, once per booking
// (ErrAlreadyGraded after that, also when two submissions race). On a panel (the vendor requires
// two examiners): by any trainer or administrator of the vendor, each in their own seat; see
// panel.go. An examiner who taught the candidate needs an exception. Every competency of the rubric
// must be scored on the scale, with an evidence note at either end of it, and the scenario named;
// the grade's result is Rubric.Passes. The booking becomes completed with its first grade; the
// candidate is told when the result is decided. Corrections are amendments (Amend).
func (s *Service) Grade(ctx context.Context, a audit.Actor, trainer *account.User, bookingID string, in GradeInput) (*Grade, error) {
	now := s.now()
	var g *Grade
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBooking(ctx, tx, bookingID, true)
		if err != nil {
			return err
		}
		sl, err := getSlot(ctx, tx, b.SlotID, "")
		if err != nil {
			return err
		}
		st, err := s.gradingStatus(ctx, tx, trainer, b, sl, now)
		if err != nil {
			return err
		}
		if err := st.Err(); err != nil {
			return err
		}
		if in.Seat != 0 && in.Seat != st.Seat {
			return errSeatChanged
		}
		sc, err := s.validateGrade(in)
		if err != nil {
			return err
		}
		g = sc.grade(newID(), b, sl, trainer, now)
		g.TrainerID, g.Seat, g.Panel = st.ExaminerID, st.Seat, st.Decision.Panel
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return ErrAlreadyGraded
			}
			return err
		}
		if g.Seat == SeatFirst {
			res, err := tx.NewUpdate().Model((*Booking)(nil)).Set("status = ?", BookingCompleted).Where("id = ?", b.ID).Where("status = ?", BookingActive).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errInactive
			}
		}
		d, err := bookingDecisionOf(ctx, tx, b, sl)
		if err != nil {
			return err
		}
		g.Decision = &d
		if d.Decided {
			if err := s.mailResult(ctx, tx, b, sl, false); err != nil {
				return err
			}
		}
		details := map[string]any{"booking": b.ID, "candidate": b.CandidateID, "passed": g.Passed, "total": g.Total, "rubric_version": g.RubricVersion,
			"scenario": g.ScenarioID, "examiner": g.TrainerID, "seat": g.Seat, "panel": g.Panel, "decided": d.Decided}
		if st.Exception != nil {
			details["exception"] = st.Exception.ID
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.grade", SubjectType: "oral_grade", SubjectID: g.ID, VendorID: sl.VendorID, Details: details})
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Amend corrects a grade with a new row that references it, with a reason (required; kept with the
// grade, not in the audit trail). Only the booking's current (effective) grade can be amended; the
// new row becomes the effective grade. By the examiner or an administrator of the vendor.
func (s *Service) Amend(ctx context.Context, a audit.Actor, actor *account.User, gradeID, reason string, in GradeInput) (*Grade, error) {
	reason = strings.TrimSpace(reason)
	now := s.now()
	errAmended := apperr.New(apperr.Conflict, "grade_amended", "This grade has already been amended; review the latest version and amend that.")
	var g *Grade
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		orig := new(Grade)
		if err := tx.NewSelect().Model(orig).Where("id = ?", gradeID).Scan(ctx); err != nil {
			if database.ErrIsNotFound(err) {
				return errGradeNotFound
			}
			return err
		}
		b, err := getBooking(ctx, tx, orig.BookingID, true)
		if err != nil {
			return err
		}
		sl, err := getSlot(ctx, tx, b.SlotID, "")
		if err != nil {
			return err
		}
		allowed := canExamine(actor, sl)
		if orig.Panel > 1 { // on a panel, only the seat's own examiner (or an administrator) corrects it
			allowed = isAdminOf(actor, sl.VendorID) || (isStaff(actor) && actor.Vendor() == sl.VendorID && actor.ID == orig.TrainerID)
		}
		if !allowed {
			return errGradeNotFound
		}
		if reason == "" || utf8.RuneCountInString(reason) > MaxReasonLength {
			return apperr.Field("reason", fmt.Sprintf("Give the reason for the amendment (at most %d characters).", MaxReasonLength))
		}
		sc, err := s.validateGrade(in)
		if err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*Grade)(nil)).Where("amends_id = ?", orig.ID).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return errAmended
		}
		g = sc.grade(newID(), b, sl, actor, now)
		g.TrainerID, g.AmendsID, g.AmendmentReason, g.Seat, g.Panel = orig.TrainerID, &orig.ID, reason, orig.Seat, orig.Panel
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return errAmended
			}
			return err
		}
		d, err := bookingDecisionOf(ctx, tx, b, sl)
		if err != nil {
			return err
		}
		g.Decision = &d
		if d.Decided {
			if err := s.mailResult(ctx, tx, b, sl, true); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.grade.amend", SubjectType: "oral_grade", SubjectID: g.ID, VendorID: sl.VendorID,
			Details: map[string]any{"booking": b.ID, "candidate": b.CandidateID, "amends": orig.ID, "passed": g.Passed, "total": g.Total,
				"previous_passed": orig.Passed, "previous_total": orig.Total, "rubric_version": g.RubricVersion, "scenario": g.ScenarioID,
				"seat": g.Seat, "decided": d.Decided}})
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// mailResult tells the candidate a result is ready (the result itself is shown after signing in).
func (s *Service) mailResult(ctx context.Context, db bun.IDB, b *Booking, sl *Slot, amended bool) error {
	p, err := s.party(ctx, db, b, sl)
	if err != nil {
		return err
	}
	data := s.mailData(p)
	data["Amended"] = amended
	return s.send(ctx, db, p.candidate.Email, "oral_result", data, notify.Email{})
}

// Grades lists the grade rows of a booking seat by seat, each seat's original followed by its
// amendments, for the examiner or an administrator of the vendor (on a panel, any trainer of the
// vendor). On a panel whose result is not decided yet a trainer sees only their own grades, so that
// each examiner grades independently.
func (s *Service) Grades(ctx context.Context, actor *account.User, bookingID string) ([]Grade, error) {
	b, err := getBooking(ctx, s.DB, bookingID, false)
	if err != nil {
		return nil, err
	}
	sl, err := getSlot(ctx, s.DB, b.SlotID, "")
	if err != nil {
		return nil, err
	}
	d, err := bookingDecisionOf(ctx, s.DB, b, sl)
	if err != nil {
		return nil, err
	}
	if !mayView(actor, sl, d) {
		return nil, errBookingNotFound
	}
	gs, err := chain(ctx, s.DB, b.ID)
	if err != nil {
		return nil, err
	}
	if d.Panel > 1 && !d.Decided && !isAdminOf(actor, sl.VendorID) {
		gs = slices.DeleteFunc(gs, func(g Grade) bool { return g.TrainerID != actor.ID })
	}
	for i := range gs {
		if s.Rubric != nil {
			sc, _ := s.Rubric.Scenario(gs[i].ScenarioID)
			gs[i].ScenarioTitle = sc.Title
		}
	}
	return gs, nil
}

// chain returns a booking's grades seat by seat, in amendment order: each seat's original first,
// each amendment after the grade it amends.
func chain(ctx context.Context, db bun.IDB, bookingID string) ([]Grade, error) {
	var gs []Grade
	if err := db.NewSelect().Model(&gs).Where("booking_id = ?", bookingID).OrderExpr("seat, submitted_at").Scan(ctx); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	next := map[string]int{}
	var roots []int
	for i := range gs {
		if err := gs[i].decode(); err != nil {
			return nil, err
		}
		if gs[i].AmendsID == nil {
			roots = append(roots, i)
		} else {
			next[*gs[i].AmendsID] = i
		}
	}
	out := []Grade{}
	for _, i := range roots {
		for n := 0; n < len(gs); n++ {
			out = append(out, gs[i])
			j, ok := next[gs[i].ID]
			if !ok {
				break
			}
			i = j
		}
	}
	return out, nil
}

// CompetencyResult is one competency of a result.
type CompetencyResult struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Score int    `json:"score"`
	Level string `json:"level"` // the scale label of the score
	Note  string `json:"note,omitempty"`
}

// Result is a candidate's latest effective oral-exam grade.
type Result struct {
	GradeID       string             `json:"grade_id"`
	BookingID     string             `json:"booking_id"`
	ExamAt        time.Time          `json:"exam_at"`
	Timezone      string             `json:"timezone"`
	VendorID      string             `json:"vendor_id"`
	VendorName    string             `json:"vendor_name"`
	ExaminerName  string             `json:"examiner_name"`
	Passed        bool               `json:"passed"`
	Reason        string             `json:"reason,omitempty"` // why not passed, when the rubric is the one graded with
	Total         int                `json:"total"`
	MaxTotal      int                `json:"max_total"`
	MinTotal      int                `json:"min_total"`
	MinEach       int                `json:"min_each"`
	Competencies  []CompetencyResult `json:"competencies"`
	Feedback      string             `json:"feedback"`
	SubmittedAt   time.Time          `json:"submitted_at"`
	Amended       bool               `json:"amended"`
	RubricVersion string             `json:"rubric_version"`
	RebookFrom    *time.Time         `json:"rebook_from,omitempty"` // failed: when another exam may be booked
	ScenarioID    string             `json:"scenario_id,omitempty"`
	ScenarioTitle string             `json:"scenario_title,omitempty"`
	Examiners     int                `json:"examiners"`  // examiners who graded the exam (1, 2 or 3)
	DecidedBy     string             `json:"decided_by"` // single, agreement (two examiners agreed) or third (a third examiner decided)
}

var errSeatChanged = apperr.New(apperr.Conflict, "seat_changed", "Another examiner graded this exam while you were grading it. Review where it stands and submit again.")

var errNoResult = apperr.New(apperr.NotFound, "no_result", "You have no oral exam result yet.")

// Result returns the grade that decides the candidate's latest decided exam (one examiner's
// effective grade, or on a panel the one that settled it) with scores, notes and feedback, and when
// failed, the date from which they may book again.
func (s *Service) Result(ctx context.Context, candidate *account.User) (*Result, error) {
	if !isCandidate(candidate) {
		return nil, errCandidateOnly
	}
	eff, _, err := effectiveGrades(ctx, s.DB, candidate.ID)
	if err != nil {
		return nil, err
	}
	if len(eff) == 0 {
		return nil, errNoResult
	}
	g := new(Grade)
	if err := s.DB.NewSelect().Model(g).Where("id = ?", eff[0].GradeID).Scan(ctx); err != nil {
		return nil, err
	}
	d, err := decisions(ctx, s.DB, "g.booking_id = ?", g.BookingID)
	if err != nil || len(d) == 0 {
		if err == nil {
			err = errNoResult
		}
		return nil, err
	}
	if err := g.decode(); err != nil {
		return nil, err
	}
	b, err := getBooking(ctx, s.DB, g.BookingID, false)
	if err != nil {
		return nil, err
	}
	sl, err := getSlot(ctx, s.DB, b.SlotID, "")
	if err != nil {
		return nil, err
	}
	p, err := s.party(ctx, s.DB, b, sl)
	if err != nil {
		return nil, err
	}
	r := &Result{GradeID: g.ID, BookingID: b.ID, ExamAt: sl.StartsAt, Timezone: p.vendor.loc.String(), VendorID: g.VendorID, VendorName: p.vendor.Name,
		ExaminerName: p.trainer.Name, Passed: g.Passed, Total: g.Total, Feedback: g.Feedback, SubmittedAt: g.SubmittedAt,
		Amended: g.AmendsID != nil, RubricVersion: g.RubricVersion, Competencies: []CompetencyResult{}, ScenarioID: g.ScenarioID,
		Examiners: d[0].Graders, DecidedBy: d[0].By}
	if g.TrainerID != sl.TrainerID {
		ex, err := loadUser(ctx, s.DB, g.TrainerID)
		if err != nil {
			return nil, err
		}
		r.ExaminerName = ex.Name
	}
	if rb := s.Rubric; rb != nil {
		sc, _ := rb.Scenario(g.ScenarioID)
		r.ScenarioTitle = sc.Title
		r.MaxTotal, r.MinTotal, r.MinEach = rb.MaxTotal(), rb.MinTotal, rb.MinEach
		if !g.Passed && g.RubricVersion == rb.Version() {
			_, r.Reason = rb.Passes(g.Scores)
		}
		for _, c := range rb.Competencies {
			if v, ok := g.Scores[c.ID]; ok {
				lv, _ := rb.Level(v)
				r.Competencies = append(r.Competencies, CompetencyResult{ID: c.ID, Title: c.Title, Score: v, Level: lv.Label, Note: g.Notes[c.ID]})
			}
		}
	}
	// Competencies the current rubric no longer names (a grade made with an older rubric).
	for _, id := range slices.Sorted(maps.Keys(g.Scores)) {
		if !slices.ContainsFunc(r.Competencies, func(c CompetencyResult) bool { return c.ID == id }) {
			r.Competencies = append(r.Competencies, CompetencyResult{ID: id, Title: id, Score: g.Scores[id], Note: g.Notes[id]})
		}
	}
	if !g.Passed {
		from := rebookFrom(sl.StartsAt, p.vendor.loc, p.settings.RetakeWaitDays)
		r.RebookFrom = &from
	}
	return r, nil
}
