package oral

import (
	"time"

	"github.com/uptrace/bun"
)

// Slot modes.
const (
	ModeInPerson = "in_person"
	ModeVirtual  = "virtual"
)

// Slot statuses.
const (
	SlotOpen      = "open"
	SlotCancelled = "cancelled"
)

// Booking statuses.
const (
	BookingActive    = "active"
	BookingCancelled = "cancelled"
	BookingNoShow    = "no_show"
	BookingCompleted = "completed"
)

// Defaults of a vendor's oral-exam settings.
const (
	DefaultCutoffHours    = 24
	DefaultRetakeWaitDays = 14
	// ReminderWindow: an active booking is reminded once when its exam starts within this window.
	ReminderWindow = 24 * time.Hour
)

// Settings are a vendor's oral-exam rules.
type Settings struct {
	bun.BaseModel `bun:"table:oral_settings"`

	VendorID       string    `bun:"vendor_id,pk" json:"vendor_id"`
	CutoffHours    int       `bun:"cutoff_hours,notnull" json:"cutoff_hours"`         // a candidate may cancel up to this long before the start
	RetakeWaitDays int       `bun:"retake_wait_days,notnull" json:"retake_wait_days"` // after a fail, booking reopens this many days after the exam date
	TwoExaminers   bool      `bun:"two_examiners,notnull" json:"two_examiners"`       // each exam is graded by two examiners (a third decides when they disagree)
	UpdatedBy      *string   `bun:"updated_by" json:"-"`
	UpdatedAt      time.Time `bun:"updated_at,notnull" json:"updated_at"`
	Saved          bool      `bun:"-" json:"saved"` // false: the defaults, never saved
}

// DefaultSettings are the settings of a vendor that has saved none.
func DefaultSettings(vendorID string) Settings {
	return Settings{VendorID: vendorID, CutoffHours: DefaultCutoffHours, RetakeWaitDays: DefaultRetakeWaitDays}
}

// Slot is a time a trainer offers for one oral exam. Times are stored in UTC.
type Slot struct {
	bun.BaseModel `bun:"table:oral_slots"`

	ID           string     `bun:"id,pk" json:"id"`
	VendorID     string     `bun:"vendor_id,notnull" json:"vendor_id"`
	TrainerID    string     `bun:"trainer_id,notnull" json:"trainer_id"`
	StartsAt     time.Time  `bun:"starts_at,notnull" json:"starts_at"`
	EndsAt       time.Time  `bun:"ends_at,notnull" json:"ends_at"`
	Mode         string     `bun:"mode,notnull" json:"mode"`
	Location     string     `bun:"location,notnull" json:"location"` // an address (in person) or an https meeting link (virtual)
	Status       string     `bun:"status,notnull" json:"status"`
	CancelReason string     `bun:"cancel_reason,notnull" json:"cancel_reason,omitempty"`
	CancelledAt  *time.Time `bun:"cancelled_at" json:"cancelled_at,omitempty"`
	CancelledBy  *string    `bun:"cancelled_by" json:"-"`
	CreatedBy    *string    `bun:"created_by" json:"-"`
	CreatedAt    time.Time  `bun:"created_at,notnull" json:"created_at"`
}

// Booking is a candidate's place in a slot.
type Booking struct {
	bun.BaseModel `bun:"table:oral_bookings"`

	ID           string     `bun:"id,pk" json:"id"`
	SlotID       string     `bun:"slot_id,notnull" json:"slot_id"`
	CandidateID  string     `bun:"candidate_id,notnull" json:"candidate_id"`
	Status       string     `bun:"status,notnull" json:"status"`
	BookedAt     time.Time  `bun:"booked_at,notnull" json:"booked_at"`
	CancelledAt  *time.Time `bun:"cancelled_at" json:"cancelled_at,omitempty"`
	CancelledBy  *string    `bun:"cancelled_by" json:"-"`
	CancelReason string     `bun:"cancel_reason,notnull" json:"cancel_reason,omitempty"`
	RemindedAt   *time.Time `bun:"reminded_at" json:"reminded_at,omitempty"`
}

// feed is a trainer's calendar subscription; only the token's hash is stored.
type feed struct {
	bun.BaseModel `bun:"table:oral_feeds"`

	ID        string     `bun:"id,pk"`
	TrainerID string     `bun:"trainer_id,notnull"`
	TokenHash string     `bun:"token_hash,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

// SlotInput describes a block of slots. Date, Start and End are wall-clock values in the vendor's
// time zone.
type SlotInput struct {
	Date        string `json:"date"`         // YYYY-MM-DD, the first date
	Start       string `json:"start"`        // HH:MM
	End         string `json:"end"`          // HH:MM, after Start on the same day
	SlotMinutes int    `json:"slot_minutes"` // 0: one slot from Start to End; else the block is cut into slots of this length
	Weeks       int    `json:"weeks"`        // 1: that date only; n > 1: the same weekday for n weeks
	Mode        string `json:"mode"`         // in_person or virtual
	Location    string `json:"location"`     // the address, or the https meeting link
}

// BookingInfo is what a trainer sees of the booking of a slot.
type BookingInfo struct {
	ID             string    `json:"id"`
	CandidateID    string    `json:"candidate_id"`
	CandidateName  string    `json:"candidate_name"`
	CandidateEmail string    `json:"candidate_email"`
	Status         string    `json:"status"`
	BookedAt       time.Time `json:"booked_at"`
	Graded         bool      `json:"graded"`
	AwaitingSeat   int       `json:"awaiting_seat,omitempty"` // graded, but the result waits for this seat's examiner (2 or 3)
}

// TrainerSlot is a slot with its booking (the active one, or the completed or no-show one), if any.
type TrainerSlot struct {
	Slot
	TrainerName string       `json:"trainer_name"`
	Booking     *BookingInfo `json:"booking,omitempty"`
}

// OpenSlot is a bookable slot as a candidate sees it.
type OpenSlot struct {
	Slot
	TrainerName string `json:"trainer_name"`
}

// BookingView is a booking with its slot, for the candidate and staff.
type BookingView struct {
	Booking
	Slot        Slot       `json:"slot"`
	TrainerName string     `json:"trainer_name"`
	Timezone    string     `json:"timezone"`                // the vendor's time zone, to show times in
	CancelBy    *time.Time `json:"cancel_by,omitempty"`     // the last moment the candidate may cancel or reschedule (active bookings)
	Graded      bool       `json:"graded"`                  // an (effective) grade exists
	Passed      *bool      `json:"passed,omitempty"`        // the effective grade's result, when graded
	VendorName  string     `json:"vendor_name,omitempty"`   // the training organisation
	TrainerMail string     `json:"trainer_email,omitempty"` // for questions about the exam
}

// When is the exam's start in the vendor's zone, as pages and emails write it.
func (v *BookingView) When() string { return When(v.Slot.StartsAt, zone(v.Timezone)) }
