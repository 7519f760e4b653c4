package oral

// The oral-exam service. Files: service.go (the Service, settings, shared helpers), slots.go
// (creating, cancelling and listing slots), booking.go (the gate, booking, cancelling, rescheduling,
// no-shows), ics.go (calendar invitations and email), feed.go (trainers' calendar feeds),
// remind.go (reminders), grade.go (grading, amendments, results), panel.go (who may grade: examiners
// who taught the candidate and their exceptions, two-examiner panels and the decision they reach);
// rubric.go is the rubric loader.
//
// Concurrency is decided by the database: one active booking per slot and one per candidate are
// partial unique indexes (a losing insert becomes a Conflict); a trainer's overlapping slots are
// refused by checking and inserting in one transaction that first locks the trainer's users row
// (FOR UPDATE on PostgreSQL; SQLite has one writer); cancelling, no-shows and reminders are
// conditional UPDATEs on the booking's status (reminders also use the outbox dedupe key); a booking
// seat is graded once (partial unique index on the booking and seat of first grades; one seat with
// one examiner, up to three on a two-examiner panel, never two seats for one examiner) and each grade
// amended at most once (unique amends_id), so each seat's amendments form one chain whose last row
// is its effective grade; the booking row is locked while grading, so the seat and the decision are
// computed from settled grades. Grade rows are never updated (a trigger refuses it).
// Privacy: audit details hold ids, counts, scores and flags, never notes, feedback or reasons; the
// calendar feed names no candidate.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // slot times are wall-clock times in the vendor's zone, also on hosts without zoneinfo

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
)

// WrittenExam says whether a candidate has passed the written exam and with which vendor. The app
// adapts the written-exam service to it.
type WrittenExam interface {
	Passed(ctx context.Context, candidateID string) (vendorID string, ok bool, err error)
}

// Mailer enqueues email in the caller's transaction; notify.Outbox is one.
type Mailer interface {
	Enqueue(ctx context.Context, db bun.IDB, e notify.Email) error
}

// Service runs the oral exam.
type Service struct {
	DB      *bun.DB
	Rubric  *Rubric
	Written WrittenExam
	Outbox  Mailer
	BaseURL string // public URL, for links in email
	Now     func() time.Time
}

var (
	errSlotNotFound    = apperr.New(apperr.NotFound, "not_found", "We could not find that exam slot.")
	errBookingNotFound = apperr.New(apperr.NotFound, "not_found", "We could not find that booking.")
	errGradeNotFound   = apperr.New(apperr.NotFound, "not_found", "We could not find that grade.")
	errStaffOnly       = apperr.New(apperr.Forbidden, "forbidden", "Only trainers and vendor administrators of a recognised training organisation manage oral exams.")
	errCandidateOnly   = apperr.New(apperr.Forbidden, "forbidden", "Only candidates book oral exams.")
	errAdminOnly       = apperr.New(apperr.Forbidden, "forbidden", "Only vendor administrators change the oral-exam settings.")

	// ErrSlotTaken: another candidate booked the slot first.
	ErrSlotTaken = apperr.New(apperr.Conflict, "slot_taken", "That slot was just taken; choose another.")
	// ErrAlreadyBooked: the candidate has an active booking.
	ErrAlreadyBooked = apperr.New(apperr.Conflict, "already_booked", "You already have a booking; cancel or reschedule it first.")
	// ErrAlreadyGraded: the booking has a grade; corrections are amendments.
	ErrAlreadyGraded = apperr.New(apperr.Conflict, "already_graded", "This exam is already graded; submit an amendment instead.")
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return database.Now()
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func isCandidate(u *account.User) bool {
	return u != nil && u.Role == account.RoleCandidate && u.DisabledAt == nil
}

func isStaff(u *account.User) bool {
	return u != nil && u.IsStaff() && u.Vendor() != "" && u.DisabledAt == nil
}

func isAdminOf(u *account.User, vendorID string) bool {
	return u != nil && u.Role == account.RoleVendorAdmin && u.DisabledAt == nil && u.Vendor() == vendorID
}

// canExamine: the slot's trainer (still with the slot's vendor) or an administrator of its vendor.
func canExamine(u *account.User, sl *Slot) bool {
	if isAdminOf(u, sl.VendorID) {
		return true
	}
	return isStaff(u) && u.ID == sl.TrainerID && u.Vendor() == sl.VendorID
}

// ---- settings ----

// Settings returns a vendor's oral-exam settings, or the defaults when it has saved none.
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

// UpdateSettings saves the settings of the administrator's own vendor. They apply from now on,
// to existing bookings too, except that a booking keeps the number of examiners it had when its
// first grade was recorded.
func (s *Service) UpdateSettings(ctx context.Context, a audit.Actor, admin *account.User, in Settings) (Settings, error) {
	if admin == nil || !isAdminOf(admin, admin.Vendor()) || admin.Vendor() == "" {
		return Settings{}, errAdminOnly
	}
	f := apperr.Fields{}
	if in.CutoffHours < 0 || in.CutoffHours > 720 {
		f.Add("cutoff_hours", "The cancellation deadline must be between 0 and 720 hours before the exam.")
	}
	if in.RetakeWaitDays < 0 || in.RetakeWaitDays > 365 {
		f.Add("retake_wait_days", "The wait before a new attempt must be between 0 and 365 days.")
	}
	if err := f.Err(); err != nil {
		return Settings{}, err
	}
	st := Settings{VendorID: admin.Vendor(), CutoffHours: in.CutoffHours, RetakeWaitDays: in.RetakeWaitDays, TwoExaminers: in.TwoExaminers, UpdatedBy: &admin.ID, UpdatedAt: s.now(), Saved: true}
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&st).On("CONFLICT (vendor_id) DO UPDATE").
			Set("cutoff_hours = EXCLUDED.cutoff_hours").Set("retake_wait_days = EXCLUDED.retake_wait_days").
			Set("two_examiners = EXCLUDED.two_examiners").Set("updated_by = EXCLUDED.updated_by").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.settings", SubjectType: "vendor", SubjectID: st.VendorID, VendorID: st.VendorID,
			Details: map[string]any{"cutoff_hours": st.CutoffHours, "retake_wait_days": st.RetakeWaitDays, "two_examiners": st.TwoExaminers}})
	})
	if err != nil {
		return Settings{}, err
	}
	return st, nil
}

// ---- shared lookups ----

// vendorInfo is a vendor with its time zone (America/New_York when unset or unknown).
type vendorInfo struct {
	account.Vendor
	loc *time.Location
}

func loadVendor(ctx context.Context, db bun.IDB, id string) (*vendorInfo, error) {
	v, err := account.LoadVendor(ctx, db, id)
	if err != nil {
		return nil, err
	}
	return &vendorInfo{Vendor: *v, loc: zone(v.Timezone)}, nil
}

// Horizon is how far ahead the pages and the API list slots.
const Horizon = 12 * 7 * 24 * time.Hour

// DefaultTimezone is the zone of a vendor that names none (or an unknown one).
const DefaultTimezone = "America/New_York"

func zone(name string) *time.Location {
	if strings.TrimSpace(name) == "" {
		name = DefaultTimezone
	}
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name) // reads the zone database every time: hence the cache
	if err != nil {
		l = zone(DefaultTimezone)
	}
	zones.Store(name, l)
	return l
}

// zones caches loaded time zones by name.
var zones sync.Map

func loadUser(ctx context.Context, db bun.IDB, id string) (*account.User, error) {
	return account.LoadUser(ctx, db, id)
}

// getSlot reads a slot; lock takes a row lock on PostgreSQL (share: others may read and book, but
// nobody may change the slot until the transaction ends; update: exclusive).
func getSlot(ctx context.Context, db bun.IDB, id, lock string) (*Slot, error) {
	sl := new(Slot)
	q := db.NewSelect().Model(sl).Where("id = ?", id)
	if lock != "" && database.IsPostgres(db) {
		q = q.For(lock)
	}
	if err := q.Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errSlotNotFound
		}
		return nil, err
	}
	return sl, nil
}

func getBooking(ctx context.Context, db bun.IDB, id string, lock bool) (*Booking, error) {
	b := new(Booking)
	q := db.NewSelect().Model(b).Where("id = ?", id)
	if lock && database.IsPostgres(db) {
		q = q.For("UPDATE")
	}
	if err := q.Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errBookingNotFound
		}
		return nil, err
	}
	return b, nil
}

// When formats an instant for people in a zone: "Tuesday, March 2, 2027 at 9:00 AM EST".
func When(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Monday, January 2, 2006 at 3:04 PM MST")
}

// Day formats the calendar date of an instant in a zone: "Monday, April 19, 2027".
func Day(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Monday, January 2, 2006")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
