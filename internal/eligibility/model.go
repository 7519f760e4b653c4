// Package eligibility runs a candidate's application to a training organisation (a "vendor"): the
// Pennsylvania CPS eligibility rule (Evaluate, a pure function), the application with its positions,
// courses and private documents, and the vendor's review (needs more information, approve, reject).
// An approved application is what lets a vendor enrol the candidate in a cohort (Service.Enrollable
// satisfies cohort.Eligibility).
//
// Privacy: the date of birth and the candidate's statement are sealed (sealbox, AES-256-GCM bound to
// the application id and column); documents live in the media store under
// "applications/<application id>/<document id>" and are only served through OpenDocument, which
// checks permission. Only the candidate and the administrators of the vendor applied to ever see an
// application, and vendor administrators only once it has been submitted; everyone else is told it
// does not exist. Audit details hold ids, counts, kinds and decisions: never names, dates of birth,
// statements, file names or file contents.
package eligibility

import (
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// Application statuses.
const (
	StatusDraft     = "draft"
	StatusSubmitted = "submitted"
	StatusNeedsInfo = "needs_info"
	StatusApproved  = "approved"
	StatusRejected  = "rejected"
	StatusWithdrawn = "withdrawn"
)

// Statuses lists every status in the order a review moves through them.
var Statuses = []string{StatusDraft, StatusSubmitted, StatusNeedsInfo, StatusApproved, StatusRejected, StatusWithdrawn}

// StatusLabel is the human name of a status.
func StatusLabel(s string) string {
	switch s {
	case StatusDraft:
		return "Draft"
	case StatusSubmitted:
		return "Submitted"
	case StatusNeedsInfo:
		return "More information needed"
	case StatusApproved:
		return "Approved"
	case StatusRejected:
		return "Not approved"
	case StatusWithdrawn:
		return "Withdrawn"
	}
	return s
}

// Editable reports whether the candidate may change an application in status s.
func Editable(s string) bool { return s == StatusDraft || s == StatusNeedsInfo }

// open reports whether an application in status s blocks another one with the same vendor.
func open(s string) bool { return s != StatusWithdrawn && s != StatusRejected }

// Decisions a vendor administrator can take on a submitted application.
const (
	DecisionApprove   = "approve"
	DecisionReject    = "reject"
	DecisionNeedsInfo = "needs_info"
)

// Document kinds.
const (
	KindDiploma   = "diploma"
	KindWork      = "work"
	KindEducation = "education"
	KindIdentity  = "identity"
	KindOther     = "other"
)

// Kinds lists the document kinds.
var Kinds = []string{KindDiploma, KindWork, KindEducation, KindIdentity, KindOther}

// KindLabel is the human name of a document kind.
func KindLabel(k string) string {
	switch k {
	case KindDiploma:
		return "Diploma or GED"
	case KindWork:
		return "Work or volunteer experience"
	case KindEducation:
		return "College transcript"
	case KindIdentity:
		return "Proof of age"
	case KindOther:
		return "Other"
	}
	return k
}

// Education values.
const (
	EducationDiploma = "diploma"
	EducationGED     = "ged"
)

// Application is a stored application. DOBSealed and AttestationSealed are sealbox values (or "").
type Application struct {
	bun.BaseModel `bun:"table:applications"`

	ID                  string     `bun:"id,pk"`
	CandidateID         string     `bun:"candidate_id,notnull"`
	VendorID            string     `bun:"vendor_id,notnull"`
	Status              string     `bun:"status,notnull"`
	LegalName           string     `bun:"legal_name,notnull"`
	PreferredName       string     `bun:"preferred_name,notnull"`
	EmailContact        string     `bun:"email_contact,notnull"`
	Phone               string     `bun:"phone,notnull"`
	Education           string     `bun:"education,notnull"`
	EducationYear       int        `bun:"education_year,notnull"`
	DOBSealed           string     `bun:"dob_sealed,notnull"`
	AttestationSealed   string     `bun:"attestation_sealed,notnull"`
	SelfIdentifies      bool       `bun:"self_identifies,notnull"`
	Consent             bool       `bun:"consent,notnull"`
	SubmittedAt         *time.Time `bun:"submitted_at"`
	DecidedAt           *time.Time `bun:"decided_at"`
	DecidedBy           *string    `bun:"decided_by"`
	DecisionReason      string     `bun:"decision_reason,notnull"`
	DeletionRequestedAt *time.Time `bun:"deletion_requested_at"`
	CreatedAt           time.Time  `bun:"created_at,notnull"`
	UpdatedAt           time.Time  `bun:"updated_at,notnull"`
}

// positionRow is a stored position. Hours per week are kept in tenths (37.5 h -> 375).
type positionRow struct {
	bun.BaseModel `bun:"table:application_positions"`

	ID            string  `bun:"id,pk"`
	ApplicationID string  `bun:"application_id,notnull"`
	Seq           int     `bun:"seq,notnull"`
	Title         string  `bun:"title,notnull"`
	Organisation  string  `bun:"organisation,notnull"`
	Paid          bool    `bun:"paid,notnull"`
	StartDate     string  `bun:"start_date,notnull"`
	EndDate       *string `bun:"end_date"`
	HoursTenths   int     `bun:"hours_per_week_tenths,notnull"`
}

// courseRow is a stored course. Credits are kept in hundredths (23.5 -> 2350).
type courseRow struct {
	bun.BaseModel `bun:"table:application_courses"`

	ID                string `bun:"id,pk"`
	ApplicationID     string `bun:"application_id,notnull"`
	Seq               int    `bun:"seq,notnull"`
	Institution       string `bun:"institution,notnull"`
	Course            string `bun:"course,notnull"`
	CompletedDate     string `bun:"completed_date,notnull"`
	CreditsHundredths int    `bun:"credits_hundredths,notnull"`
}

// Document is an uploaded supporting document. Filename is what the candidate's file was called;
// ContentType was sniffed from the data, never taken from the client.
type Document struct {
	bun.BaseModel `bun:"table:application_documents"`

	ID              string     `bun:"id,pk" json:"id"`
	ApplicationID   string     `bun:"application_id,notnull" json:"application_id"`
	Kind            string     `bun:"kind,notnull" json:"kind"`
	Filename        string     `bun:"filename,notnull" json:"filename"`
	ContentType     string     `bun:"content_type,notnull" json:"content_type"`
	Size            int64      `bun:"size,notnull" json:"size"`
	MediaKey        string     `bun:"media_key,notnull" json:"-"`
	UploadedAt      time.Time  `bun:"uploaded_at,notnull" json:"uploaded_at"`
	DeletedAt       *time.Time `bun:"deleted_at" json:"-"`
	PurgedAt        *time.Time `bun:"purged_at" json:"-"`
	PurgeLeaseUntil *time.Time `bun:"purge_lease_until" json:"-"`
}

// Draft is an application as a form or a JSON body sends it: every value a string as typed, so a
// form with errors can be shown again exactly as submitted. Blank position and course rows are ignored.
type Draft struct {
	LegalName      string          `json:"legal_name"`
	PreferredName  string          `json:"preferred_name"`
	Email          string          `json:"email"`
	Phone          string          `json:"phone"`
	DateOfBirth    string          `json:"dob"`            // YYYY-MM-DD
	Education      string          `json:"education"`      // "diploma", "ged" or ""
	EducationYear  string          `json:"education_year"` // YYYY or ""
	SelfIdentifies bool            `json:"self_identifies"`
	Attestation    string          `json:"attestation"`
	Consent        bool            `json:"consent"`
	Positions      []PositionInput `json:"positions"`
	Courses        []CourseInput   `json:"courses"`
}

// PositionInput is one work or volunteer position as typed.
type PositionInput struct {
	Title        string `json:"title"`
	Organisation string `json:"organisation"`
	Paid         bool   `json:"paid"`
	Start        string `json:"start"` // YYYY-MM-DD
	End          string `json:"end"`   // YYYY-MM-DD, or "" while ongoing
	Hours        string `json:"hours"` // hours per week, e.g. "20" or "37.5"
}

// CourseInput is one completed post-secondary course as typed.
type CourseInput struct {
	Institution string `json:"institution"`
	Course      string `json:"course"`
	Completed   string `json:"completed"` // YYYY-MM-DD
	Credits     string `json:"credits"`   // e.g. "3" or "1.5"
}

// View is an application as its candidate or its reviewers see it, with private fields opened.
type View struct {
	ID                  string         `json:"id"`
	CandidateID         string         `json:"candidate_id"`
	VendorID            string         `json:"vendor_id"`
	VendorName          string         `json:"vendor_name"`
	Status              string         `json:"status"`
	LegalName           string         `json:"legal_name"`
	PreferredName       string         `json:"preferred_name"`
	Email               string         `json:"email"`
	Phone               string         `json:"phone"`
	DateOfBirth         string         `json:"dob"`
	Education           string         `json:"education"`
	EducationYear       int            `json:"education_year,omitempty"`
	SelfIdentifies      bool           `json:"self_identifies"`
	Attestation         string         `json:"attestation"`
	Consent             bool           `json:"consent"`
	Positions           []PositionView `json:"positions"`
	Courses             []CourseView   `json:"courses"`
	Documents           []Document     `json:"documents"`
	SubmittedAt         *time.Time     `json:"submitted_at,omitempty"`
	DecidedAt           *time.Time     `json:"decided_at,omitempty"`
	DecisionReason      string         `json:"decision_reason,omitempty"`
	DeletionRequestedAt *time.Time     `json:"deletion_requested_at,omitempty"`
	CreatedAt           time.Time      `json:"created_at"`
	UpdatedAt           time.Time      `json:"updated_at"`
}

// PositionView is a stored position.
type PositionView struct {
	Title        string  `json:"title"`
	Organisation string  `json:"organisation"`
	Paid         bool    `json:"paid"`
	Start        string  `json:"start"`
	End          string  `json:"end,omitempty"`
	Hours        float64 `json:"hours"`
}

// CourseView is a stored course.
type CourseView struct {
	Institution string  `json:"institution"`
	Course      string  `json:"course"`
	Completed   string  `json:"completed"`
	Credits     float64 `json:"credits"`
}

// DisplayName is the preferred name, or the legal name.
func (v *View) DisplayName() string {
	if v.PreferredName != "" {
		return v.PreferredName
	}
	return v.LegalName
}

// Editable reports whether the candidate may still change the application.
func (v *View) Editable() bool { return Editable(v.Status) }

// Draft returns the stored application as form values, to fill the edit form.
func (v *View) Draft() Draft {
	d := Draft{LegalName: v.LegalName, PreferredName: v.PreferredName, Email: v.Email, Phone: v.Phone,
		DateOfBirth: v.DateOfBirth, Education: v.Education, SelfIdentifies: v.SelfIdentifies, Attestation: v.Attestation, Consent: v.Consent}
	if v.EducationYear != 0 {
		d.EducationYear = strconv.Itoa(v.EducationYear)
	}
	for _, p := range v.Positions {
		d.Positions = append(d.Positions, PositionInput{Title: p.Title, Organisation: p.Organisation, Paid: p.Paid, Start: p.Start, End: p.End, Hours: FormatNumber(p.Hours)})
	}
	for _, c := range v.Courses {
		d.Courses = append(d.Courses, CourseInput{Institution: c.Institution, Course: c.Course, Completed: c.Completed, Credits: FormatNumber(c.Credits)})
	}
	return d
}

// Facts returns what the eligibility rule needs from the application.
func (v *View) Facts() Facts {
	f := Facts{HasDiplomaOrGED: v.Education == EducationDiploma || v.Education == EducationGED,
		SelfIdentifies: v.SelfIdentifies, Attestation: v.Attestation, Consent: v.Consent}
	if t, err := time.Parse(dateLayout, v.DateOfBirth); err == nil {
		f.DateOfBirth = t
	}
	for _, p := range v.Positions {
		start, err := time.Parse(dateLayout, p.Start)
		if err != nil {
			continue
		}
		pos := Position{Start: start, HoursPerWeek: p.Hours}
		if p.End != "" {
			if end, err := time.Parse(dateLayout, p.End); err == nil {
				pos.End = end
			}
		}
		f.Positions = append(f.Positions, pos)
	}
	for _, c := range v.Courses {
		if t, err := time.Parse(dateLayout, c.Completed); err == nil {
			f.Courses = append(f.Courses, Course{Completed: t, Credits: c.Credits})
		}
	}
	return f
}

// QueueFilter narrows a vendor's review queue. Status "" is every submitted application; Query
// matches names and contact email (case-insensitive substring).
type QueueFilter struct {
	Status string `json:"status"`
	Query  string `json:"q"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
}

// QueueRow is one application in the review queue. DisplayName is empty once the candidate had
// their data deleted (DeletionRequested).
type QueueRow struct {
	ID                string     `json:"id"`
	DisplayName       string     `json:"display_name"`
	Status            string     `json:"status"`
	SubmittedAt       *time.Time `json:"submitted_at"`
	DeletionRequested bool       `json:"deletion_requested"`
}

// Queue is a page of the review queue with the number of applications in each status (all of the
// vendor's applications that were ever submitted, whatever the filter).
type Queue struct {
	Rows   []QueueRow     `json:"rows"`
	Total  int            `json:"total"`
	Counts map[string]int `json:"counts"`
}

// Summary is one of a candidate's own applications.
type Summary struct {
	ID          string     `json:"id"`
	VendorID    string     `json:"vendor_id"`
	VendorName  string     `json:"vendor_name"`
	Status      string     `json:"status"`
	SubmittedAt *time.Time `json:"submitted_at,omitempty"`
	UpdatedAt   time.Time  `json:"updated_at"`
	CreatedAt   time.Time  `json:"-"` // the list's sort key
}
