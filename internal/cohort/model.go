// Package cohort runs the ten-day course: cohorts and their session dates, trainers, enrolments,
// module progress, the attendance register, make-up work and the coursework-completion rule.
package cohort

import (
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/curriculum"
)

// Days is the length of the course.
const Days = 10

// DefaultRequiredMinutes is the course's required total, 75 hours: the figure the day timetables
// must add up to (content check enforces it), defined once in curriculum.
const DefaultRequiredMinutes = curriculum.CourseMinutes

// DefaultSessionMinutes is one day's planned teaching time (7.5 hours).
const DefaultSessionMinutes = 450

// Cohort is one run of the course.
type Cohort struct {
	bun.BaseModel `bun:"table:cohorts"`

	ID                string    `bun:"id,pk" json:"id"`
	VendorID          string    `bun:"vendor_id,notnull" json:"vendor_id"`
	Name              string    `bun:"name,notnull" json:"name"`
	Timezone          string    `bun:"timezone,notnull" json:"timezone"`
	Delivery          string    `bun:"delivery,notnull" json:"delivery"`
	Location          string    `bun:"location,notnull" json:"location"`
	Capacity          int       `bun:"capacity,notnull" json:"capacity"`
	RequiredMinutes   int       `bun:"required_minutes,notnull" json:"required_minutes"`
	CurriculumVersion string    `bun:"curriculum_version,notnull" json:"curriculum_version"`
	CreatedBy         *string   `bun:"created_by" json:"-"`
	CreatedAt         time.Time `bun:"created_at,notnull" json:"created_at"`

	Sessions []Session `bun:"-" json:"sessions"`
	Trainers []string  `bun:"-" json:"trainer_ids"`
}

// Location returns the cohort's time zone.
func (c *Cohort) Loc() *time.Location {
	l, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return l
}

// Session is one teaching day of a cohort. The day's modules open at local midnight of Date.
type Session struct {
	bun.BaseModel `bun:"table:cohort_sessions"`

	CohortID string    `bun:"cohort_id,pk" json:"-"`
	Day      int       `bun:"day,pk" json:"day"`
	Date     string    `bun:"date,notnull" json:"date"`
	OpensAt  time.Time `bun:"opens_at,notnull" json:"opens_at"`
	Minutes  int       `bun:"minutes,notnull" json:"minutes"`
}

// Enrollment places a candidate in a cohort.
type Enrollment struct {
	bun.BaseModel `bun:"table:enrollments"`

	ID          string    `bun:"id,pk" json:"id"`
	CohortID    string    `bun:"cohort_id,notnull" json:"cohort_id"`
	CandidateID string    `bun:"candidate_id,notnull" json:"candidate_id"`
	Status      string    `bun:"status,notnull" json:"status"`
	EnrolledBy  *string   `bun:"enrolled_by" json:"-"`
	EnrolledAt  time.Time `bun:"enrolled_at,notnull" json:"enrolled_at"`
}

// Enrollment statuses.
const (
	EnrollActive    = "active"
	EnrollWithdrawn = "withdrawn"
)

// Progress is a candidate's record of one module.
type Progress struct {
	bun.BaseModel `bun:"table:module_progress"`

	CandidateID       string     `bun:"candidate_id,pk" json:"-"`
	ModuleSlug        string     `bun:"module_slug,pk" json:"module"`
	StartedAt         time.Time  `bun:"started_at,notnull" json:"started_at"`
	LastViewedAt      time.Time  `bun:"last_viewed_at,notnull" json:"last_viewed_at"`
	CompletedAt       *time.Time `bun:"completed_at" json:"completed_at,omitempty"`
	CheckAttempts     int        `bun:"check_attempts,notnull" json:"check_attempts"`
	CurriculumVersion string     `bun:"curriculum_version,notnull" json:"curriculum_version"`
}

// Attendance is one line of the register.
type Attendance struct {
	bun.BaseModel `bun:"table:attendance"`

	CohortID        string    `bun:"cohort_id,pk" json:"-"`
	Day             int       `bun:"day,pk" json:"day"`
	CandidateID     string    `bun:"candidate_id,pk" json:"candidate_id"`
	Status          string    `bun:"status,notnull" json:"status"`
	MinutesAttended int       `bun:"minutes_attended,notnull" json:"minutes_attended"`
	Note            string    `bun:"note,notnull" json:"note"`
	RecordedBy      string    `bun:"recorded_by,notnull" json:"-"`
	RecordedAt      time.Time `bun:"recorded_at,notnull" json:"recorded_at"`
}

// Attendance statuses.
const (
	Present = "present"
	Late    = "late"
	Absent  = "absent"
	Excused = "excused"
)

// Makeup is work done to make up missed hours.
type Makeup struct {
	bun.BaseModel `bun:"table:makeup_work"`

	ID          string    `bun:"id,pk" json:"id"`
	CohortID    string    `bun:"cohort_id,notnull" json:"cohort_id"`
	CandidateID string    `bun:"candidate_id,notnull" json:"candidate_id"`
	Day         *int      `bun:"day" json:"day,omitempty"`
	Description string    `bun:"description,notnull" json:"description"`
	Minutes     int       `bun:"minutes,notnull" json:"minutes"`
	RecordedBy  string    `bun:"recorded_by,notnull" json:"-"`
	RecordedAt  time.Time `bun:"recorded_at,notnull" json:"recorded_at"`
}

// Status is a candidate's coursework standing: complete when every module is completed and attended
// plus made-up minutes reach the cohort's required total.
type Status struct {
	CandidateID      string `json:"candidate_id"`
	Name             string `json:"name"`
	Email            string `json:"email"`
	EnrollmentStatus string `json:"enrollment_status"`
	ModulesCompleted int    `json:"modules_completed"`
	ModulesTotal     int    `json:"modules_total"`
	AttendedMinutes  int    `json:"attended_minutes"`
	MakeupMinutes    int    `json:"makeup_minutes"`
	RequiredMinutes  int    `json:"required_minutes"`
	Complete         bool   `json:"complete"`
}

// Hours formats minutes as hours for people ("7.5", "75").
func Hours(min int) string {
	s := strconv.FormatFloat(float64(min)/60, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}

// Completion applies the coursework rule.
func Completion(modulesDone, modulesTotal, attended, makeup, required int) bool {
	return modulesTotal > 0 && modulesDone >= modulesTotal && attended+makeup >= required
}

// AttendedMinutes is what one register line counts toward the total: a full session when present,
// the recorded minutes when late, nothing when absent or excused (to be made up).
func AttendedMinutes(a Attendance, sessionMinutes int) int {
	switch a.Status {
	case Present:
		return sessionMinutes
	case Late:
		return min(a.MinutesAttended, sessionMinutes)
	}
	return 0
}
