package catalog

import (
	"time"

	"github.com/uptrace/bun"
)

// Offering is a vendor's offer of a catalogue course, with its settings.
type Offering struct {
	bun.BaseModel `bun:"table:course_offerings"`

	ID               string    `bun:"id,pk" json:"id"`
	VendorID         string    `bun:"vendor_id,notnull" json:"vendor_id"`
	CourseSlug       string    `bun:"course_slug,notnull" json:"course"`
	PassPercent      int       `bun:"pass_percent,notnull" json:"pass_percent"`
	AttemptsAllowed  int       `bun:"attempts_allowed,notnull" json:"attempts_allowed"`     // 0: no limit
	TimeLimitMinutes int       `bun:"time_limit_minutes,notnull" json:"time_limit_minutes"` // 0: none
	CreatedAt        time.Time `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at,notnull" json:"updated_at"`
}

// OfferingInput is what a vendor administrator sets. PassPercent 0 takes the course's default.
type OfferingInput struct {
	Course           string `json:"course"`
	PassPercent      int    `json:"pass_percent"`
	AttemptsAllowed  int    `json:"attempts_allowed"`
	TimeLimitMinutes int    `json:"time_limit_minutes"`
}

// Enrolment is a holder in an offered course.
type Enrolment struct {
	bun.BaseModel `bun:"table:course_enrolments"`

	ID            string     `bun:"id,pk" json:"id"`
	OfferingID    string     `bun:"offering_id,notnull" json:"offering_id"`
	VendorID      string     `bun:"vendor_id,notnull" json:"vendor_id"`
	CourseSlug    string     `bun:"course_slug,notnull" json:"course"`
	HolderID      string     `bun:"holder_id,notnull" json:"holder_id"`
	CertificateID string     `bun:"certificate_id,notnull" json:"certificate_id"`
	EnrolledBy    string     `bun:"enrolled_by,notnull" json:"-"`
	CreatedAt     time.Time  `bun:"created_at,notnull" json:"created_at"`
	CompletedAt   *time.Time `bun:"completed_at" json:"completed_at,omitempty"`
	AttemptID     *string    `bun:"attempt_id" json:"attempt_id,omitempty"`         // the passing attempt
	CEActivityID  *string    `bun:"ce_activity_id" json:"ce_activity_id,omitempty"` // CE courses: the credit
}

// Completed reports whether the course is complete.
func (e *Enrolment) Completed() bool { return e.CompletedAt != nil }

type moduleDone struct {
	bun.BaseModel `bun:"table:course_module_progress"`

	EnrolmentID string    `bun:"enrolment_id,pk"`
	ModuleSlug  string    `bun:"module_slug,pk"`
	DoneAt      time.Time `bun:"done_at,notnull"`
}

// Attempt is one sitting of a course's final assessment.
type Attempt struct {
	bun.BaseModel `bun:"table:course_attempts"`

	ID          string     `bun:"id,pk" json:"id"`
	EnrolmentID string     `bun:"enrolment_id,notnull" json:"enrolment_id"`
	HolderID    string     `bun:"holder_id,notnull" json:"-"`
	Number      int        `bun:"number,notnull" json:"number"`
	Form        string     `bun:"form,notnull" json:"-"`
	PassPercent int        `bun:"pass_percent,notnull" json:"pass_percent"`
	StartedAt   time.Time  `bun:"started_at,notnull" json:"started_at"`
	Deadline    *time.Time `bun:"deadline" json:"deadline,omitempty"`
	FinishedAt  *time.Time `bun:"finished_at" json:"finished_at,omitempty"`
	Correct     int        `bun:"correct,notnull" json:"correct"`
	Total       int        `bun:"total,notnull" json:"total"`
	Passed      bool       `bun:"passed,notnull" json:"passed"`
}

// Finished reports whether the attempt has been graded.
func (a *Attempt) Finished() bool { return a.FinishedAt != nil }

// Percent is the attempt's score.
func (a *Attempt) Percent() float64 {
	if a.Total == 0 {
		return 0
	}
	return float64(a.Correct) * 100 / float64(a.Total)
}

type answer struct {
	bun.BaseModel `bun:"table:course_answers"`

	AttemptID string    `bun:"attempt_id,pk"`
	ItemID    string    `bun:"item_id,pk"`
	Choice    string    `bun:"choice,notnull"`
	SavedAt   time.Time `bun:"saved_at,notnull"`
}
