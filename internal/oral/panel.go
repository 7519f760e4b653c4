package oral

// Who may grade a booking, and when its result is decided.
//
// A vendor grades each exam with one examiner (the slot's trainer, as before) or, when its settings
// require two examiners, with a panel: two different examiners each record an independent grade
// (seats 1 and 2); when their pass/fail decisions differ a third, different examiner grades (seat 3)
// and that grade decides. Every seat's grade is immutable and amended like any other grade, so the
// decision is computed from the effective grade of each seat. By default an examiner may not grade a
// candidate from a cohort they taught; a vendor administrator may record an exception with a reason.

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/page"
)

// Seats on a booking's panel.
const (
	SeatFirst    = 1 // the only examiner, or the first of two
	SeatSecond   = 2 // the second examiner, when the vendor requires two
	SeatDeciding = 3 // the third examiner, when the first two disagree on pass or fail
)

// How a decided result was reached.
const (
	DecidedSingle    = "single"    // one examiner
	DecidedAgreement = "agreement" // two examiners agreed on pass or fail
	DecidedThird     = "third"     // a third examiner decided between two who disagreed
)

// Decision is where a booking's grading stands: decided (with the grade whose result decides), or
// waiting for a seat.
type Decision struct {
	Panel    int            `json:"panel"` // examiners required: 1 or 2 (a third only on disagreement)
	Decided  bool           `json:"decided"`
	Passed   bool           `json:"passed"`               // when decided
	GradeID  string         `json:"grade_id,omitempty"`   // the (effective) grade that decides
	By       string         `json:"decided_by,omitempty"` // single, agreement or third
	NextSeat int            `json:"next_seat,omitempty"`  // when not decided: the seat to grade next
	Graders  int            `json:"examiners"`            // examiners who have graded
	examiner map[string]int // examiner id -> seat
}

// seatGrade is the effective grade (the last of its amendment chain) of one seat of a booking.
type seatGrade struct {
	ID          string    `bun:"id"`
	BookingID   string    `bun:"booking_id"`
	CandidateID string    `bun:"candidate_id"`
	TrainerID   string    `bun:"trainer_id"`
	Seat        int       `bun:"seat"`
	Panel       int       `bun:"panel"`
	Passed      bool      `bun:"passed"`
	VendorID    string    `bun:"vendor_id"`
	StartsAt    time.Time `bun:"starts_at"`
}

// decide computes a booking's decision from the effective grade of each of its seats. panel is the
// number of examiners a booking without grades would need (the vendor's current setting); once
// graded, the first grade's panel rules.
func decide(gs []seatGrade, panel int) Decision {
	d := Decision{Panel: panel, examiner: map[string]int{}}
	seats := map[int]seatGrade{}
	for _, g := range gs {
		seats[g.Seat] = g
		d.examiner[g.TrainerID] = g.Seat
	}
	d.Graders = len(seats)
	done := func(g seatGrade, by string) Decision {
		d.Decided, d.Passed, d.GradeID, d.By = true, g.Passed, g.ID, by
		return d
	}
	first, ok := seats[SeatFirst]
	if !ok {
		d.NextSeat = SeatFirst
		return d
	}
	if d.Panel = first.Panel; d.Panel < 2 {
		return done(first, DecidedSingle)
	}
	second, ok := seats[SeatSecond]
	if !ok {
		d.NextSeat = SeatSecond
		return d
	}
	if first.Passed == second.Passed {
		return done(second, DecidedAgreement)
	}
	third, ok := seats[SeatDeciding]
	if !ok {
		d.NextSeat = SeatDeciding
		return d
	}
	return done(third, DecidedThird)
}

// bookingDecision is one graded booking's decision with its exam's start and vendor.
type bookingDecision struct {
	BookingID   string
	CandidateID string
	VendorID    string
	StartsAt    time.Time
	Decision
}

// decisions computes the decisions of graded bookings, latest exam first. where filters the grades
// (alias g), e.g. "g.candidate_id = ?".
func decisions(ctx context.Context, db bun.IDB, where string, args ...any) ([]bookingDecision, error) {
	var gs []seatGrade
	err := db.NewRaw(`SELECT g.id, g.booking_id, g.candidate_id, g.trainer_id, g.seat, g.panel, g.passed, g.vendor_id, s.starts_at FROM oral_grades AS g
JOIN oral_bookings AS b ON b.id = g.booking_id
JOIN oral_slots AS s ON s.id = b.slot_id
WHERE NOT EXISTS (SELECT 1 FROM oral_grades AS n WHERE n.amends_id = g.id) AND `+where+`
ORDER BY s.starts_at DESC, g.booking_id, g.seat`, args...).Scan(ctx, &gs)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	var out []bookingDecision
	for i := 0; i < len(gs); {
		j := i
		for j < len(gs) && gs[j].BookingID == gs[i].BookingID {
			j++
		}
		out = append(out, bookingDecision{BookingID: gs[i].BookingID, CandidateID: gs[i].CandidateID, VendorID: gs[i].VendorID, StartsAt: gs[i].StartsAt, Decision: decide(gs[i:j], 1)})
		i = j
	}
	return out, nil
}

// VendorOutcomes counts a vendor's decided oral exams and how many of them passed (each booking
// once, whatever the number of examiners), for dashboards.
func VendorOutcomes(ctx context.Context, db bun.IDB, vendorID string) (decided, passed int, err error) {
	ds, err := decisions(ctx, db, "g.vendor_id = ?", vendorID)
	if err != nil {
		return 0, 0, err
	}
	for _, d := range ds {
		if d.Decided {
			decided++
			if d.Passed {
				passed++
			}
		}
	}
	return decided, passed, nil
}

// bookingDecisionOf computes one booking's decision; a booking without grades needs the vendor's
// current number of examiners.
func bookingDecisionOf(ctx context.Context, db bun.IDB, b *Booking, sl *Slot) (Decision, error) {
	ds, err := decisions(ctx, db, "g.booking_id = ?", b.ID)
	if err != nil {
		return Decision{}, err
	}
	if len(ds) > 0 {
		return ds[0].Decision, nil
	}
	st, err := settingsIn(ctx, db, sl.VendorID)
	if err != nil {
		return Decision{}, err
	}
	return decide(nil, st.panel()), nil
}

func (st Settings) panel() int {
	if st.TwoExaminers {
		return 2
	}
	return 1
}

// ---- who may grade ----

// GradingStatus says whether a user may grade a booking now (the seat they would take), and if
// not, why; the grading form and the API show it, and Grade enforces it.
type GradingStatus struct {
	CanGrade   bool       `json:"can_grade"`
	Code       string     `json:"code,omitempty"` // why not: booking_cancelled, no_show, not_started, already_graded, already_examined, examiner_conflict
	Message    string     `json:"message,omitempty"`
	Seat       int        `json:"seat,omitempty"`        // the seat the grade would take
	ExaminerID string     `json:"examiner_id,omitempty"` // whose grade it would be: the slot's trainer (one examiner) or the user (a panel)
	TaughtIn   []string   `json:"taught_in,omitempty"`   // cohorts in which the examiner taught the candidate
	Exception  *Exception `json:"exception,omitempty"`   // the exception that allows it despite TaughtIn
	Decision   Decision   `json:"decision"`

	// Conflicts are the vendor's staff who taught the candidate, for administrators (who record
	// exceptions): user id -> cohort names.
	Conflicts map[string][]string `json:"conflicts,omitempty"`

	kind apperr.Kind
}

// Err is the refusal as a safe error, or nil.
func (st *GradingStatus) Err() error {
	if st.CanGrade {
		return nil
	}
	if st.Code == ErrAlreadyGraded.Code {
		return ErrAlreadyGraded
	}
	return apperr.New(st.kind, st.Code, st.Message)
}

func (st *GradingStatus) refuse(kind apperr.Kind, code, msg string) *GradingStatus {
	st.CanGrade, st.kind, st.Code, st.Message = false, kind, code, msg
	return st
}

// GradingStatus tells a trainer or administrator whether they may grade a booking now.
func (s *Service) GradingStatus(ctx context.Context, u *account.User, bookingID string) (*GradingStatus, error) {
	b, err := getBooking(ctx, s.DB, bookingID, false)
	if err != nil {
		return nil, err
	}
	sl, err := getSlot(ctx, s.DB, b.SlotID, "")
	if err != nil {
		return nil, err
	}
	return s.gradingStatus(ctx, s.DB, u, b, sl, s.now())
}

// mayView: whoever may examine the slot, and on a panel any trainer or administrator of its vendor.
func mayView(u *account.User, sl *Slot, d Decision) bool {
	return canExamine(u, sl) || (d.Panel > 1 && isStaff(u) && u.Vendor() == sl.VendorID)
}

func (s *Service) gradingStatus(ctx context.Context, db bun.IDB, u *account.User, b *Booking, sl *Slot, now time.Time) (*GradingStatus, error) {
	d, err := bookingDecisionOf(ctx, db, b, sl)
	if err != nil {
		return nil, err
	}
	if !mayView(u, sl, d) {
		return nil, errBookingNotFound
	}
	st := &GradingStatus{CanGrade: true, Decision: d, Seat: d.NextSeat, ExaminerID: sl.TrainerID}
	if d.Panel > 1 {
		st.ExaminerID = u.ID // on a panel each examiner records their own grade
	}
	taught, err := cohort.TrainersOf(ctx, db, b.CandidateID)
	if err != nil {
		return nil, err
	}
	if isAdminOf(u, sl.VendorID) {
		st.Conflicts = taught
	}
	switch {
	case b.Status == BookingCancelled:
		return st.refuse(apperr.Conflict, "booking_cancelled", "This booking was cancelled; there is no exam to grade."), nil
	case b.Status == BookingNoShow:
		return st.refuse(apperr.Conflict, "no_show", "This candidate was recorded as not attending; there is no exam to grade."), nil
	case d.Decided:
		return st.refuse(apperr.Conflict, ErrAlreadyGraded.Code, ErrAlreadyGraded.Message), nil
	case now.Before(sl.StartsAt):
		v, err := loadVendor(ctx, db, sl.VendorID)
		if err != nil {
			return nil, err
		}
		return st.refuse(apperr.Conflict, "not_started", fmt.Sprintf("You can grade the exam once it has started (%s).", When(sl.StartsAt, v.loc))), nil
	}
	if seat, ok := d.examiner[st.ExaminerID]; ok && d.Panel > 1 {
		next := "a second examiner, who grades independently"
		if d.NextSeat == SeatDeciding {
			next = "a third examiner, who has not graded it, decides between the two grades"
		}
		return st.refuse(apperr.Conflict, "already_examined", fmt.Sprintf("You already graded this exam (examiner %d of the panel). The next grade comes from %s.", seat, next)), nil
	}
	if st.TaughtIn = taught[st.ExaminerID]; len(st.TaughtIn) > 0 {
		exc, err := findException(ctx, db, st.ExaminerID, b)
		if err != nil {
			return nil, err
		}
		if exc == nil {
			who := "You taught"
			if st.ExaminerID != u.ID {
				who = "The examiner of this slot taught"
			}
			return st.refuse(apperr.Forbidden, "examiner_conflict", fmt.Sprintf("%s this candidate (cohort %s), so may not grade this exam. A vendor administrator can record an exception with a reason; until then another examiner must grade it.",
				who, strings.Join(st.TaughtIn, ", "))), nil
		}
		st.Exception = exc
	}
	return st, nil
}

// ---- exceptions ----

// Exception lets an examiner grade a candidate from a cohort they taught: for every exam of the
// candidate (BookingID nil) or for one booking. Recorded by a vendor administrator with a reason.
type Exception struct {
	bun.BaseModel `bun:"table:oral_examiner_exceptions"`

	ID          string    `bun:"id,pk" json:"id"`
	VendorID    string    `bun:"vendor_id,notnull" json:"vendor_id"`
	ExaminerID  string    `bun:"examiner_id,notnull" json:"examiner_id"`
	CandidateID string    `bun:"candidate_id,notnull" json:"candidate_id"`
	BookingID   *string   `bun:"booking_id" json:"booking_id,omitempty"`
	Reason      string    `bun:"reason,notnull" json:"reason"`
	CreatedBy   string    `bun:"created_by,notnull" json:"created_by"`
	CreatedAt   time.Time `bun:"created_at,notnull" json:"created_at"`
}

// ExceptionInput is what an administrator records: the examiner, and either a booking (that exam
// only) or a candidate (every exam of theirs with the vendor), with the reason.
type ExceptionInput struct {
	ExaminerID  string `json:"examiner_id"`
	CandidateID string `json:"candidate_id,omitempty"`
	BookingID   string `json:"booking_id,omitempty"`
	Reason      string `json:"reason"`
}

func findException(ctx context.Context, db bun.IDB, examinerID string, b *Booking) (*Exception, error) {
	var es []Exception
	err := db.NewSelect().Model(&es).Where("examiner_id = ?", examinerID).Where("candidate_id = ?", b.CandidateID).
		Where("(booking_id IS NULL OR booking_id = ?)", b.ID).OrderExpr("created_at DESC").Limit(1).Scan(ctx)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	if len(es) == 0 {
		return nil, nil
	}
	return &es[0], nil
}

// AddException records an exception to the rule that an examiner may not grade a candidate they
// taught. By an administrator of the vendor, for one of its trainers or administrators and a
// candidate who booked an oral exam with it; the reason is required (kept with the exception, not in
// the audit trail).
func (s *Service) AddException(ctx context.Context, a audit.Actor, admin *account.User, in ExceptionInput) (*Exception, error) {
	if admin == nil || admin.Vendor() == "" || !isAdminOf(admin, admin.Vendor()) {
		return nil, errExceptionAdminOnly
	}
	vendorID := admin.Vendor()
	f := apperr.Fields{}
	reason := strings.TrimSpace(in.Reason)
	if reason == "" || utf8.RuneCountInString(reason) > MaxReasonLength {
		f.Add("reason", fmt.Sprintf("Give the reason for the exception (at most %d characters).", MaxReasonLength))
	}
	examiner, err := loadUser(ctx, s.DB, strings.TrimSpace(in.ExaminerID))
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	if err != nil || !isStaff(examiner) || examiner.Vendor() != vendorID {
		f.Add("examiner_id", "Choose a trainer or administrator of your organisation.")
	}
	e := &Exception{ID: newID(), VendorID: vendorID, Reason: reason, CreatedBy: admin.ID, CreatedAt: s.now()}
	if examiner != nil {
		e.ExaminerID = examiner.ID
	}
	if id := strings.TrimSpace(in.BookingID); id != "" {
		b, err := getBooking(ctx, s.DB, id, false)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			return nil, err
		}
		var sl *Slot
		if err == nil {
			if sl, err = getSlot(ctx, s.DB, b.SlotID, ""); err != nil {
				return nil, err
			}
		}
		if b == nil || sl.VendorID != vendorID || (in.CandidateID != "" && in.CandidateID != b.CandidateID) {
			f.Add("booking_id", "Choose an oral exam booked with your organisation.")
		} else {
			e.BookingID, e.CandidateID = &b.ID, b.CandidateID
		}
	} else {
		n, err := s.DB.NewSelect().TableExpr("oral_bookings AS b").Join("JOIN oral_slots AS s ON s.id = b.slot_id").
			Where("b.candidate_id = ?", strings.TrimSpace(in.CandidateID)).Where("s.vendor_id = ?", vendorID).Count(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			f.Add("candidate_id", "Choose a candidate who booked an oral exam with your organisation.")
		}
		e.CandidateID = strings.TrimSpace(in.CandidateID)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
			return err
		}
		details := map[string]any{"examiner": e.ExaminerID, "candidate": e.CandidateID}
		if e.BookingID != nil {
			details["booking"] = *e.BookingID
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.examiner_exception", SubjectType: "oral_examiner_exception", SubjectID: e.ID, VendorID: vendorID, Details: details})
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

var errExceptionAdminOnly = apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators record examiner exceptions.")

// Exceptions lists the exceptions of the administrator's vendor, newest first.
func (s *Service) Exceptions(ctx context.Context, admin *account.User) ([]Exception, error) {
	p, err := s.ExceptionsPage(ctx, admin, page.Request{Limit: 500})
	return p.Items, err
}

// exceptionsOrder is the order of a vendor's examiner exceptions: newest first.
var exceptionsOrder = page.Order{List: "exceptions", Keys: []page.Key{{Col: "created_at", Time: true}, {Col: "id"}}, Desc: true}

// ExceptionsPage is one page of Exceptions.
func (s *Service) ExceptionsPage(ctx context.Context, admin *account.User, r page.Request) (page.Page[Exception], error) {
	if admin == nil || admin.Vendor() == "" || !isAdminOf(admin, admin.Vendor()) {
		return page.Page[Exception]{}, errExceptionAdminOnly
	}
	es := []Exception{}
	return page.Fetch(ctx, s.DB.NewSelect().Model(&es).Where("vendor_id = ?", admin.Vendor()), &es, r, exceptionsOrder, func(e Exception) []any { return []any{e.CreatedAt, e.ID} })
}

// ---- exams waiting for another examiner ----

// Awaiting is a graded exam whose result waits for another examiner's grade.
type Awaiting struct {
	BookingID     string    `json:"booking_id"`
	CandidateName string    `json:"candidate_name"`
	StartsAt      time.Time `json:"starts_at"`
	Seat          int       `json:"seat"` // 2: a second examiner; 3: a deciding examiner
}

// AwaitingGrades lists the exams of the user's vendor that wait for another examiner and that the
// user has not graded, latest first.
func (s *Service) AwaitingGrades(ctx context.Context, u *account.User) ([]Awaiting, error) {
	if !isStaff(u) {
		return nil, errStaffOnly
	}
	ds, err := decisions(ctx, s.DB, "g.vendor_id = ? AND g.panel > 1", u.Vendor())
	if err != nil {
		return nil, err
	}
	out := []Awaiting{}
	var candidates []string // the booking's candidate, by position in out
	for _, d := range ds {
		if _, graded := d.examiner[u.ID]; !d.Decided && !graded {
			out = append(out, Awaiting{BookingID: d.BookingID, StartsAt: d.StartsAt, Seat: d.NextSeat})
			candidates = append(candidates, d.CandidateID)
		}
	}
	names, err := s.names(ctx, s.DB, candidates)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].CandidateName = names[candidates[i]].Name
	}
	return out, nil
}
