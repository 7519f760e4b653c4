package exam

import (
	"time"

	"github.com/uptrace/bun"
)

// Attempt statuses.
const (
	StatusOpen      = "open"
	StatusSubmitted = "submitted" // the candidate submitted
	StatusExpired   = "expired"   // time ran out; graded on what was saved
)

// Defaults of a vendor's exam settings (used when the vendor has saved none).
const (
	DefaultDurationMinutes = 90
	DefaultPassPercent     = 75
	DefaultMaxAttempts     = 3
	DefaultWaitDays        = 7
	DefaultFormLength      = 60
)

// Settings are a vendor's written-exam rules.
type Settings struct {
	bun.BaseModel `bun:"table:exam_settings"`

	VendorID        string    `bun:"vendor_id,pk" json:"vendor_id"`
	DurationMinutes int       `bun:"duration_minutes,notnull" json:"duration_minutes"`
	PassPercent     int       `bun:"pass_percent,notnull" json:"pass_percent"`
	MaxAttempts     int       `bun:"max_attempts,notnull" json:"max_attempts"`
	WaitDays        int       `bun:"wait_days,notnull" json:"wait_days"`
	FormLength      int       `bun:"form_length,notnull" json:"form_length"`
	UpdatedBy       *string   `bun:"updated_by" json:"-"`
	UpdatedAt       time.Time `bun:"updated_at,notnull" json:"-"`
	Saved           bool      `bun:"-" json:"saved"` // false: the defaults, nothing saved yet
}

// DefaultSettings are the settings of a vendor that has saved none.
func DefaultSettings(vendorID string) Settings {
	return Settings{VendorID: vendorID, DurationMinutes: DefaultDurationMinutes, PassPercent: DefaultPassPercent,
		MaxAttempts: DefaultMaxAttempts, WaitDays: DefaultWaitDays, FormLength: DefaultFormLength}
}

// Accommodation is extra time a vendor administrator granted a candidate. Reason may describe a
// disability: show it to the vendor's administrators only.
type Accommodation struct {
	bun.BaseModel `bun:"table:exam_accommodations"`

	CandidateID  string    `bun:"candidate_id,pk" json:"candidate_id"`
	VendorID     string    `bun:"vendor_id,pk" json:"vendor_id"`
	ExtraMinutes int       `bun:"extra_minutes,notnull" json:"extra_minutes"`
	Reason       string    `bun:"reason,notnull" json:"reason"`
	GrantedBy    string    `bun:"granted_by,notnull" json:"granted_by"`
	GrantedAt    time.Time `bun:"granted_at,notnull" json:"granted_at"`
}

// GateOverride lets a candidate start the exam with a vendor without completed coursework.
type GateOverride struct {
	bun.BaseModel `bun:"table:exam_gate_overrides"`

	CandidateID string    `bun:"candidate_id,pk" json:"candidate_id"`
	VendorID    string    `bun:"vendor_id,pk" json:"vendor_id"`
	Reason      string    `bun:"reason,notnull" json:"reason"`
	GrantedBy   string    `bun:"granted_by,notnull" json:"granted_by"`
	GrantedAt   time.Time `bun:"granted_at,notnull" json:"granted_at"`
}

// RetiredItem is a bank item a vendor no longer puts on new forms.
type RetiredItem struct {
	bun.BaseModel `bun:"table:exam_retired_items"`

	VendorID  string    `bun:"vendor_id,pk" json:"vendor_id"`
	ItemID    string    `bun:"item_id,pk" json:"item_id"`
	RetiredBy string    `bun:"retired_by,notnull" json:"retired_by"`
	RetiredAt time.Time `bun:"retired_at,notnull" json:"retired_at"`
	Reason    string    `bun:"reason,notnull" json:"reason"`
}

// attempt is a row of exam_attempts. It stays inside the package: callers get AttemptView and
// AttemptResult, which are shaped for what each audience may see.
type attempt struct {
	bun.BaseModel `bun:"table:exam_attempts"`

	ID          string     `bun:"id,pk"`
	CandidateID string     `bun:"candidate_id,notnull"`
	VendorID    string     `bun:"vendor_id,notnull"`
	CohortID    *string    `bun:"cohort_id"`
	Seed        int64      `bun:"seed,notnull"`
	Form        string     `bun:"form,notnull"`
	BankVersion string     `bun:"bank_version,notnull"`
	PassPercent int        `bun:"pass_percent,notnull"`
	StartedAt   time.Time  `bun:"started_at,notnull"`
	DeadlineAt  time.Time  `bun:"deadline_at,notnull"`
	Status      string     `bun:"status,notnull"`
	FinishedAt  *time.Time `bun:"finished_at"`
	Correct     *int       `bun:"correct"`
	Total       *int       `bun:"total"`
	Percent     *float64   `bun:"percent"`
	Passed      *bool      `bun:"passed"`
	ByDomain    *string    `bun:"by_domain"`
}

// answer is a row of exam_answers; Choice is a JSON list of ORIGINAL option indexes.
type answer struct {
	bun.BaseModel `bun:"table:exam_answers"`

	AttemptID string    `bun:"attempt_id,pk"`
	ItemID    string    `bun:"item_id,pk"`
	Choice    string    `bun:"choice,notnull"`
	Seq       int64     `bun:"seq,notnull"`
	Flagged   bool      `bun:"flagged,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}
