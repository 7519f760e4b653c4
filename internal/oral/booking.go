package oral

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/page"
)

// Gate says whether a candidate may book an oral exam now, and if not, why.
type Gate struct {
	CanBook bool   `json:"can_book"`
	Code    string `json:"code,omitempty"` // why not: written_exam_required, already_passed, retake_wait, already_booked, result_pending
	Message string `json:"message,omitempty"`

	VendorID        string     `json:"vendor_id,omitempty"`         // the vendor whose slots the candidate may book (of the passed written exam)
	ActiveBookingID string     `json:"active_booking_id,omitempty"` // set with already_booked and result_pending
	RebookFrom      *time.Time `json:"rebook_from,omitempty"`       // set with retake_wait

	kind apperr.Kind
}

// Err is the refusal as a safe error, or nil when the candidate may book.
func (g *Gate) Err() error {
	if g.CanBook {
		return nil
	}
	if g.Code == ErrAlreadyBooked.Code {
		return ErrAlreadyBooked
	}
	return apperr.New(g.kind, g.Code, g.Message)
}

func (g *Gate) refuse(kind apperr.Kind, code, msg string) *Gate {
	g.CanBook, g.kind, g.Code, g.Message = false, kind, code, msg
	return g
}

// Gate evaluates the booking rules for a candidate without booking anything.
func (s *Service) Gate(ctx context.Context, candidate *account.User) (*Gate, error) {
	if !isCandidate(candidate) {
		return nil, errCandidateOnly
	}
	vendorID, ok, err := s.written(ctx, candidate.ID)
	if err != nil {
		return nil, err
	}
	return s.gate(ctx, s.DB, candidate.ID, vendorID, ok, s.now(), "")
}

// written asks the written-exam service; it must run outside any transaction of ours (SQLite has
// one connection).
func (s *Service) written(ctx context.Context, candidateID string) (string, bool, error) {
	if s.Written == nil {
		return "", false, nil
	}
	v, ok, err := s.Written.Passed(ctx, candidateID)
	if err != nil || !ok || v == "" {
		return "", false, err
	}
	return v, true, nil
}

// effective is a candidate's effective grade of one booking with the exam's start.
type effective struct {
	GradeID  string    `bun:"id"`
	Passed   bool      `bun:"passed"`
	VendorID string    `bun:"vendor_id"`
	StartsAt time.Time `bun:"starts_at"`
}

// effectiveGrades lists a candidate's decided exams, latest first, each with the grade whose
// result decides it (one examiner's effective grade, or a panel's deciding one; see panel.go), and
// the latest exam whose result is not decided yet (waiting for another examiner), if any.
func effectiveGrades(ctx context.Context, db bun.IDB, candidateID string) ([]effective, *bookingDecision, error) {
	ds, err := decisions(ctx, db, "g.candidate_id = ?", candidateID)
	if err != nil {
		return nil, nil, err
	}
	var out []effective
	var pending *bookingDecision
	for i, d := range ds {
		switch {
		case d.Decided:
			out = append(out, effective{GradeID: d.GradeID, Passed: d.Passed, VendorID: d.VendorID, StartsAt: d.StartsAt})
		case pending == nil:
			pending = &ds[i]
		}
	}
	return out, pending, nil
}

// rebookFrom is when a candidate who failed the exam that started at examAt may book again: local
// midnight of the exam's date plus the vendor's wait.
func rebookFrom(examAt time.Time, loc *time.Location, waitDays int) time.Time {
	l := examAt.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+waitDays, 0, 0, 0, 0, loc).UTC()
}

func (s *Service) gate(ctx context.Context, db bun.IDB, candidateID, vendorID string, passedWritten bool, now time.Time, ignoreBooking string) (*Gate, error) {
	g := &Gate{CanBook: true, VendorID: vendorID}
	if !passedWritten {
		g.VendorID = ""
		return g.refuse(apperr.Forbidden, "written_exam_required", "You can book the oral exam once you have passed the written exam."), nil
	}
	grades, pending, err := effectiveGrades(ctx, db, candidateID)
	if err != nil {
		return nil, err
	}
	for _, e := range grades {
		if e.Passed {
			return g.refuse(apperr.Forbidden, "already_passed", "You have already passed the oral exam."), nil
		}
	}
	if pending != nil {
		v, err := loadVendor(ctx, db, pending.VendorID)
		if err != nil {
			return nil, err
		}
		g.ActiveBookingID = pending.BookingID
		return g.refuse(apperr.Conflict, "result_pending", fmt.Sprintf("The result of your oral exam on %s is not decided yet: it waits for another examiner's grade. Your training organisation will record it.", When(pending.StartsAt, v.loc))), nil
	}
	if len(grades) > 0 {
		last := grades[0]
		v, err := loadVendor(ctx, db, last.VendorID)
		if err != nil {
			return nil, err
		}
		st, err := settingsIn(ctx, db, last.VendorID)
		if err != nil {
			return nil, err
		}
		from := rebookFrom(last.StartsAt, v.loc, st.RetakeWaitDays)
		if now.Before(from) {
			g.RebookFrom = &from
			return g.refuse(apperr.Forbidden, "retake_wait", fmt.Sprintf("You can book another oral exam from %s.", Day(from, v.loc))), nil
		}
	}
	var active []struct {
		ID       string    `bun:"id"`
		StartsAt time.Time `bun:"starts_at"`
		VendorID string    `bun:"vendor_id"`
	}
	err = db.NewRaw(`SELECT b.id, s.starts_at, s.vendor_id FROM oral_bookings AS b JOIN oral_slots AS s ON s.id = b.slot_id
WHERE b.candidate_id = ? AND b.status = ? AND b.id <> ?`, candidateID, BookingActive, ignoreBooking).Scan(ctx, &active)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	if len(active) > 0 {
		g.ActiveBookingID = active[0].ID
		if !active[0].StartsAt.After(now) {
			v, err := loadVendor(ctx, db, active[0].VendorID)
			if err != nil {
				return nil, err
			}
			return g.refuse(apperr.Conflict, "result_pending", fmt.Sprintf("Your oral exam on %s has not been recorded yet. Your training organisation will record the result.", When(active[0].StartsAt, v.loc))), nil
		}
		return g.refuse(apperr.Conflict, ErrAlreadyBooked.Code, ErrAlreadyBooked.Message), nil
	}
	return g, nil
}

// bookable checks a slot for a candidate whose written exam was with vendorID. Another vendor's slot
// is "not found".
func bookable(sl *Slot, vendorID string, now time.Time) error {
	if sl.VendorID != vendorID {
		return errSlotNotFound
	}
	if sl.Status != SlotOpen {
		return apperr.New(apperr.Conflict, "slot_unavailable", "That slot is no longer offered; choose another.")
	}
	if !sl.StartsAt.After(now) {
		return apperr.New(apperr.Conflict, "slot_past", "That slot has already started; choose another.")
	}
	return nil
}

// insertBooking adds an active booking; the partial unique indexes decide races.
func insertBooking(ctx context.Context, tx bun.IDB, b *Booking) error {
	_, err := tx.NewInsert().Model(b).Exec(ctx)
	if err == nil {
		return nil
	}
	if e := database.Err(err); errors.Is(e, database.ErrConflict) {
		msg := e.Error()
		switch {
		case strings.Contains(msg, "candidate"):
			return ErrAlreadyBooked
		case strings.Contains(msg, "slot"):
			return ErrSlotTaken
		}
	}
	return err
}

// Book reserves a slot for the candidate: an open future slot of the vendor with which the candidate
// passed the written exam. The candidate and the examiner are emailed with a calendar invitation.
// When others book the same slot at the same moment exactly one succeeds; the rest get ErrSlotTaken.
func (s *Service) Book(ctx context.Context, a audit.Actor, candidate *account.User, slotID string) (*BookingView, error) {
	if !isCandidate(candidate) {
		return nil, errCandidateOnly
	}
	vendorID, ok, err := s.written(ctx, candidate.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var view *BookingView
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		g, err := s.gate(ctx, tx, candidate.ID, vendorID, ok, now, "")
		if err != nil {
			return err
		}
		if !g.CanBook {
			return g.Err()
		}
		sl, err := getSlot(ctx, tx, slotID, "SHARE")
		if err != nil {
			return err
		}
		if err := bookable(sl, vendorID, now); err != nil {
			return err
		}
		b := &Booking{ID: newID(), SlotID: sl.ID, CandidateID: candidate.ID, Status: BookingActive, BookedAt: now}
		if err := insertBooking(ctx, tx, b); err != nil {
			return err
		}
		p, err := s.party(ctx, tx, b, sl)
		if err != nil {
			return err
		}
		if err := s.mailBooked(ctx, tx, p, now, false); err != nil {
			return err
		}
		view = p.view()
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.booking.create", SubjectType: "oral_booking", SubjectID: b.ID, VendorID: sl.VendorID,
			Details: map[string]any{"slot": sl.ID, "candidate": candidate.ID}})
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

func (p *party) view() *BookingView {
	v := &BookingView{Booking: *p.booking, Slot: *p.slot, TrainerName: p.trainer.Name, Timezone: p.vendor.loc.String(), VendorName: p.vendor.Name, TrainerMail: p.trainer.Email}
	if p.booking.Status == BookingActive {
		c := p.cancelBy()
		v.CancelBy = &c
	}
	return v
}

// candidateDeadline refuses a candidate's change after the vendor's cutoff.
func candidateDeadline(p *party, now time.Time, what string) error {
	deadline := p.cancelBy()
	if now.After(deadline) {
		return apperr.New(apperr.Forbidden, "cancel_deadline", fmt.Sprintf(
			"Bookings can be %s until %s before the exam; for this exam that was %s. Please contact %s.",
			what, plural(p.settings.CutoffHours, "hour", "hours"), When(deadline, p.vendor.loc), p.vendor.Name))
	}
	return nil
}

// Cancel cancels an active booking. The candidate may cancel their own booking up to the vendor's
// cutoff (24 hours by default) before the start; the examiner or an administrator of the vendor
// may cancel at any time but must give a reason, which the candidate is told. The candidate is
// emailed with a calendar cancellation (the examiner too, unless they cancelled).
func (s *Service) Cancel(ctx context.Context, a audit.Actor, actor *account.User, bookingID, reason string) error {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > 1000 {
		return apperr.Field("reason", "Use at most 1000 characters.")
	}
	now := s.now()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBooking(ctx, tx, bookingID, true)
		if err != nil {
			return err
		}
		sl, err := getSlot(ctx, tx, b.SlotID, "")
		if err != nil {
			return err
		}
		own := isCandidate(actor) && actor.ID == b.CandidateID
		if !own && !canExamine(actor, sl) {
			return errBookingNotFound
		}
		if b.Status != BookingActive {
			return errInactive
		}
		if !own && reason == "" {
			return apperr.Field("reason", "Give the reason for cancelling; the candidate will read it.")
		}
		return s.cancelBooking(ctx, tx, a, actor, b, sl, reason, now, false)
	})
}

var errInactive = apperr.New(apperr.Conflict, "booking_inactive", "This booking is no longer active.")

// cancelBooking applies the cancellation rules' outcome: a conditional UPDATE from active, email and
// audit. A candidate's cutoff is checked here.
func (s *Service) cancelBooking(ctx context.Context, tx bun.IDB, a audit.Actor, actor *account.User, b *Booking, sl *Slot, reason string, now time.Time, slotCancelled bool) error {
	p, err := s.party(ctx, tx, b, sl)
	if err != nil {
		return err
	}
	own := actor.ID == b.CandidateID
	if own {
		if err := candidateDeadline(p, now, "cancelled"); err != nil {
			return err
		}
	}
	res, err := tx.NewUpdate().Model((*Booking)(nil)).Set("status = ?", BookingCancelled).Set("cancelled_at = ?", now).
		Set("cancelled_by = ?", actor.ID).Set("cancel_reason = ?", reason).Where("id = ?", b.ID).Where("status = ?", BookingActive).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errInactive
	}
	b.Status, b.CancelledAt, b.CancelledBy, b.CancelReason = BookingCancelled, &now, &actor.ID, reason
	if err := s.mailCancelled(ctx, tx, p, actor, reason, now, false); err != nil {
		return err
	}
	return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.booking.cancel", SubjectType: "oral_booking", SubjectID: b.ID, VendorID: sl.VendorID,
		Details: map[string]any{"slot": sl.ID, "by_candidate": own, "reason_given": reason != "", "slot_cancelled": slotCancelled,
			"hours_before": int(sl.StartsAt.Sub(now).Hours())}})
}

// Reschedule moves the candidate's active booking to another slot in one transaction: the old
// booking is cancelled and the new one made, or nothing changes. The cutoff applies as for
// cancelling; the new slot must be bookable as for Book.
func (s *Service) Reschedule(ctx context.Context, a audit.Actor, candidate *account.User, bookingID, newSlotID string) (*BookingView, error) {
	if !isCandidate(candidate) {
		return nil, errCandidateOnly
	}
	vendorID, ok, err := s.written(ctx, candidate.ID)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var view *BookingView
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		old, err := getBooking(ctx, tx, bookingID, true)
		if err != nil {
			return err
		}
		if old.CandidateID != candidate.ID {
			return errBookingNotFound
		}
		if old.Status != BookingActive {
			return errInactive
		}
		if old.SlotID == newSlotID {
			return apperr.Field("slot_id", "Choose a different time from the one you have booked.")
		}
		oldSlot, err := getSlot(ctx, tx, old.SlotID, "")
		if err != nil {
			return err
		}
		op, err := s.party(ctx, tx, old, oldSlot)
		if err != nil {
			return err
		}
		if err := candidateDeadline(op, now, "rescheduled"); err != nil {
			return err
		}
		g, err := s.gate(ctx, tx, candidate.ID, vendorID, ok, now, old.ID)
		if err != nil {
			return err
		}
		if !g.CanBook {
			return g.Err()
		}
		sl, err := getSlot(ctx, tx, newSlotID, "SHARE")
		if err != nil {
			return err
		}
		if err := bookable(sl, vendorID, now); err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*Booking)(nil)).Set("status = ?", BookingCancelled).Set("cancelled_at = ?", now).
			Set("cancelled_by = ?", candidate.ID).Set("cancel_reason = ?", "rescheduled").Where("id = ?", old.ID).Where("status = ?", BookingActive).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errInactive
		}
		b := &Booking{ID: newID(), SlotID: sl.ID, CandidateID: candidate.ID, Status: BookingActive, BookedAt: now}
		if err := insertBooking(ctx, tx, b); err != nil {
			return err
		}
		if err := s.mailCancelled(ctx, tx, op, candidate, "", now, true); err != nil {
			return err
		}
		np, err := s.party(ctx, tx, b, sl)
		if err != nil {
			return err
		}
		if err := s.mailBooked(ctx, tx, np, now, true); err != nil {
			return err
		}
		view = np.view()
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.booking.reschedule", SubjectType: "oral_booking", SubjectID: b.ID, VendorID: sl.VendorID,
			Details: map[string]any{"from_booking": old.ID, "from_slot": oldSlot.ID, "slot": sl.ID}})
	})
	if err != nil {
		return nil, err
	}
	return view, nil
}

// MarkNoShow records that the candidate did not attend: the examiner or an administrator of the
// vendor, once the exam's start time has passed. The candidate may book again (no retake wait).
func (s *Service) MarkNoShow(ctx context.Context, a audit.Actor, trainer *account.User, bookingID string) error {
	now := s.now()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		b, err := getBooking(ctx, tx, bookingID, true)
		if err != nil {
			return err
		}
		sl, err := getSlot(ctx, tx, b.SlotID, "")
		if err != nil {
			return err
		}
		if !canExamine(trainer, sl) {
			return errBookingNotFound
		}
		if b.Status != BookingActive {
			return errInactive
		}
		if now.Before(sl.StartsAt) {
			v, err := loadVendor(ctx, tx, sl.VendorID)
			if err != nil {
				return err
			}
			return apperr.New(apperr.Conflict, "not_started", fmt.Sprintf("You can record a no-show once the exam has started (%s).", When(sl.StartsAt, v.loc)))
		}
		res, err := tx.NewUpdate().Model((*Booking)(nil)).Set("status = ?", BookingNoShow).Where("id = ?", b.ID).Where("status = ?", BookingActive).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errInactive
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.booking.no_show", SubjectType: "oral_booking", SubjectID: b.ID, VendorID: sl.VendorID,
			Details: map[string]any{"slot": sl.ID, "candidate": b.CandidateID}})
	})
}

// Bookings lists the candidate's bookings, latest exam first.
func (s *Service) Bookings(ctx context.Context, candidate *account.User) ([]BookingView, error) {
	p, err := s.BookingsPage(ctx, candidate, page.Request{Limit: 200})
	return p.Items, err
}

// bookingsOrder is the order of a candidate's bookings: newest first.
var bookingsOrder = page.Order{List: "bookings", Keys: []page.Key{{Col: "booked_at", Time: true}, {Col: "id"}}, Desc: true}

// BookingsPage is one page of Bookings.
func (s *Service) BookingsPage(ctx context.Context, candidate *account.User, r page.Request) (page.Page[BookingView], error) {
	if !isCandidate(candidate) {
		return page.Page[BookingView]{}, errCandidateOnly
	}
	var bs []Booking
	pg, err := page.Fetch(ctx, s.DB.NewSelect().Model(&bs).Where("candidate_id = ?", candidate.ID), &bs, r, bookingsOrder, func(b Booking) []any { return []any{b.BookedAt, b.ID} })
	if err != nil {
		return page.Page[BookingView]{}, err
	}
	out := []BookingView{}
	for i := range pg.Items {
		v, err := s.viewOf(ctx, s.DB, &pg.Items[i])
		if err != nil {
			return page.Page[BookingView]{}, err
		}
		out = append(out, *v)
	}
	return page.Page[BookingView]{Items: out, Next: pg.Next}, nil
}

// GetBooking returns a booking to its candidate, its examiner or an administrator of its vendor (on
// a panel, to any trainer of the vendor);
// anyone else gets "not found".
func (s *Service) GetBooking(ctx context.Context, actor *account.User, bookingID string) (*BookingView, error) {
	b, err := getBooking(ctx, s.DB, bookingID, false)
	if err != nil {
		return nil, err
	}
	sl, err := getSlot(ctx, s.DB, b.SlotID, "")
	if err != nil {
		return nil, err
	}
	if !(isCandidate(actor) && actor.ID == b.CandidateID) && !canExamine(actor, sl) {
		// On a panel, any trainer of the vendor may be the next examiner.
		d, err := bookingDecisionOf(ctx, s.DB, b, sl)
		if err != nil {
			return nil, err
		}
		if !mayView(actor, sl, d) {
			return nil, errBookingNotFound
		}
	}
	return s.viewOf(ctx, s.DB, b)
}

func (s *Service) viewOf(ctx context.Context, db bun.IDB, b *Booking) (*BookingView, error) {
	sl, err := getSlot(ctx, db, b.SlotID, "")
	if err != nil {
		return nil, err
	}
	p, err := s.party(ctx, db, b, sl)
	if err != nil {
		return nil, err
	}
	v := p.view()
	d, err := bookingDecisionOf(ctx, db, b, sl)
	if err != nil {
		return nil, err
	}
	if d.Decided {
		v.Graded, v.Passed = true, &d.Passed
	}
	return v, nil
}
