// Package certificate issues, verifies, revokes, reinstates and renews Certified Peer Specialist
// certificates. A certificate is a row (numbered PA-CPS-<VENDOR>-<YEAR>-<000123> per vendor and
// year), a PDF in the media store, and a credential signed with the vendor's Ed25519 key (an Open
// Badges 3.0 / W3C Verifiable Credential as a compact JWS), which anyone can check offline against
// the published keys. The public verification (by QR code, verify link, or number plus last name)
// shows the status, the holder's name, the credential, the number, the vendor and the dates: nothing
// else.
package certificate

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// CredentialName is the credential every certificate confers.
const CredentialName = "Certified Peer Specialist"

// Stored statuses.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
)

// Public statuses: Expired and Lapsed are derived from an active certificate's dates.
const (
	StateActive  = "active"
	StateExpired = "expired"
	StateLapsed  = "lapsed"
	StateRevoked = "revoked"
)

// Certificate is an issued certificate.
type Certificate struct {
	bun.BaseModel `bun:"table:certificates"`

	ID                 string     `bun:"id,pk" json:"id"`
	Number             string     `bun:"number,notnull" json:"number"`
	VerifyCode         string     `bun:"verify_code,notnull" json:"verify_code"`
	CandidateID        string     `bun:"candidate_id,notnull" json:"candidate_id"`
	VendorID           string     `bun:"vendor_id,notnull" json:"vendor_id"`
	HolderName         string     `bun:"holder_name,notnull" json:"holder_name"`
	HolderLastNameNorm string     `bun:"holder_last_name_norm,notnull" json:"-"`
	Credential         string     `bun:"credential,notnull" json:"credential"`
	Track              string     `bun:"track,notnull" json:"track,omitempty"`
	IssuedAt           time.Time  `bun:"issued_at,notnull" json:"issued_at"`
	ValidFrom          time.Time  `bun:"valid_from,notnull" json:"valid_from"`
	ExpiresAt          time.Time  `bun:"expires_at,notnull" json:"expires_at"`
	Status             string     `bun:"status,notnull" json:"status"`
	RevokedAt          *time.Time `bun:"revoked_at" json:"revoked_at,omitempty"`
	RevokedReason      string     `bun:"revoked_reason,notnull" json:"revoked_reason,omitempty"`
	CurriculumVersion  string     `bun:"curriculum_version,notnull" json:"curriculum_version"`
	WrittenAttemptID   string     `bun:"written_attempt_id,notnull" json:"written_attempt_id"`
	WrittenPercent     float64    `bun:"written_percent,notnull" json:"written_percent"`
	WrittenPassedAt    *time.Time `bun:"written_passed_at" json:"written_passed_at,omitempty"`
	OralGradeID        string     `bun:"oral_grade_id,notnull" json:"oral_grade_id"`
	OralTotal          int        `bun:"oral_total,notnull" json:"oral_total"`
	OralMax            int        `bun:"oral_max,notnull" json:"oral_max,omitempty"`
	OralPassedAt       *time.Time `bun:"oral_passed_at" json:"oral_passed_at,omitempty"`
	TrainingMinutes    int        `bun:"training_minutes,notnull" json:"training_minutes,omitempty"`
	CourseStart        string     `bun:"course_start,notnull" json:"course_start,omitempty"`
	CourseEnd          string     `bun:"course_end,notnull" json:"course_end,omitempty"`
	PDFKey             string     `bun:"pdf_key,notnull" json:"-"`
	CredentialJSON     string     `bun:"credential_json,notnull" json:"-"` // the compact JWS
	CERule             string     `bun:"ce_rule,notnull" json:"ce_rule"`
	LapsedAt           *time.Time `bun:"lapsed_at" json:"lapsed_at,omitempty"`
	IssuedBy           *string    `bun:"issued_by" json:"-"`
	StatusIndex        *int       `bun:"status_index" json:"-"` // position in the vendor's status list (nil until allocated)
	CreatedAt          time.Time  `bun:"created_at,notnull" json:"created_at"`
}

// State is the certificate's public status at now: revoked if revoked; expired once expires_at has
// passed; lapsed while lapsed_at is set; else active.
func (c *Certificate) State(now time.Time) string {
	switch {
	case c.Status == StatusRevoked:
		return StateRevoked
	case !now.Before(c.ExpiresAt):
		return StateExpired
	case c.LapsedAt != nil:
		return StateLapsed
	}
	return StateActive
}

// Evidence is what the training, the written exam and the oral exam say about a candidate with a
// vendor. Package standing gathers it from the cohort, exam and oral services. Fields after OralPassedAt are
// optional and only printed on the completion record.
type Evidence struct {
	CourseworkComplete bool       `json:"coursework_complete"`
	CurriculumVersion  string     `json:"curriculum_version"`
	WrittenAttemptID   string     `json:"written_attempt_id"`
	WrittenPercent     float64    `json:"written_percent"`
	WrittenPassedAt    *time.Time `json:"written_passed_at,omitempty"`
	OralGradeID        string     `json:"oral_grade_id"`
	OralTotal          int        `json:"oral_total"`
	OralPassedAt       *time.Time `json:"oral_passed_at,omitempty"`

	OralMax         int    `json:"oral_max,omitempty"`         // the oral rubric's maximum score, when known
	TrainingMinutes int    `json:"training_minutes,omitempty"` // attended plus made-up minutes
	CourseStart     string `json:"course_start,omitempty"`     // first and last session dates (YYYY-MM-DD) of the candidate's cohort
	CourseEnd       string `json:"course_end,omitempty"`
}

// Missing lists what a candidate still lacks for a certificate (empty when ready).
func (e Evidence) Missing() []string {
	var m []string
	if !e.CourseworkComplete {
		m = append(m, "the coursework is not complete")
	}
	if e.WrittenPassedAt == nil {
		m = append(m, "the written exam is not passed")
	}
	if e.OralPassedAt == nil {
		m = append(m, "the oral exam is not passed")
	}
	return m
}

// Ready reports whether the evidence is complete.
func (e Evidence) Ready() bool { return len(e.Missing()) == 0 }

// EvidenceSource gives the evidence for certificates (package standing is the one the app uses). It
// is called outside any transaction of this package (with SQLite's single connection it must not
// wait for one).
type EvidenceSource interface {
	// Evidence returns the evidence of each of candidateIDs with the vendor, in one batch.
	Evidence(ctx context.Context, vendorID string, candidateIDs []string) (map[string]Evidence, error)
	// ReadyCandidates lists the candidates of the vendor that may be ready (the service re-checks).
	ReadyCandidates(ctx context.Context, vendorID string) ([]string, error)
}

// ReadyRow is a candidate ready for a certificate.
type ReadyRow struct {
	CandidateID string   `json:"candidate_id"`
	Name        string   `json:"name"` // the name the certificate will carry
	Email       string   `json:"email"`
	Evidence    Evidence `json:"evidence"`
	// Revoked lists the numbers of certificates the vendor revoked from this candidate. Issuing again
	// is how a certificate is replaced (a corrected name, say), so it is allowed, but never by default.
	Revoked []string `json:"revoked,omitempty"`
}

// Public is what anyone verifying a certificate sees. Nothing else may be added: no email, exam
// results, dates of birth or anything that hints at health.
type Public struct {
	Status     string     `json:"status"`
	HolderName string     `json:"holder_name"`
	Credential string     `json:"credential"`
	Number     string     `json:"number"`
	VendorName string     `json:"vendor_name"`
	IssuedAt   time.Time  `json:"issued_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	// Endorsements are the certificate's specialty endorsements; Endorsement is the one whose own
	// verification code was used, when it was.
	Endorsements []PublicEndorsement `json:"endorsements,omitempty"`
	Endorsement  *PublicEndorsement  `json:"endorsement,omitempty"`
}

// PublicEndorsement is what the public sees of an endorsement.
type PublicEndorsement struct {
	Title   string    `json:"title"`
	Since   time.Time `json:"since"`
	Current bool      `json:"current"` // false once the certificate is revoked or expired
}

// Stats are a vendor's certificate counts.
type Stats struct {
	Active           int `json:"active"`
	Expired          int `json:"expired"`
	Lapsed           int `json:"lapsed"`
	Revoked          int `json:"revoked"`
	ExpiringIn60Days int `json:"expiring_in_60_days"` // active or lapsed, expiring within 60 days
	CEAwaitingReview int `json:"ce_awaiting_review"`
}
